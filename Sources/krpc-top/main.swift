print("krpc-top: not yet")
