print('reading')
