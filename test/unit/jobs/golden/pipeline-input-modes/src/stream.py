print('stream')
