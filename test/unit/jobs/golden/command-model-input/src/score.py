print('scoring')
