// KRPCRedis
