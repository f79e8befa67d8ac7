// KRPCZooKeeper
