// KRPCTopCore
