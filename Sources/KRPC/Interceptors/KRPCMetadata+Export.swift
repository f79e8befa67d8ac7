// `KRPCMetadata` is declared in KRPCWire (the frame header carries it); re-exported so that code
// importing only KRPC can name it, as it names `KRPCCallOptions` and the interceptor types.
@_exported public import struct KRPCWire.KRPCMetadata
