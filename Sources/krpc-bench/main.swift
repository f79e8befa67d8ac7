print("krpc-bench: not yet")
