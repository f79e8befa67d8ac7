print("krpc-server: not yet")
