// KRPCWire
