print('step')
