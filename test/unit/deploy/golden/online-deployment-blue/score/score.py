def init():
    pass

def run(raw):
    return raw
