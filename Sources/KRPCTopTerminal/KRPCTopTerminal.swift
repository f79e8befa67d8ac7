// KRPCTopTerminal
