/// What a frame carries (field 1 of the header; see ``FrameFormat``).
public enum FrameKind: UInt8, Hashable, Sendable, CaseIterable, CustomStringConvertible {
    /// Client to server: a call.
    case request = 0
    /// Server to client: the answer to a request.
    case response = 1
    /// Client to server: the caller gave up on a request; no answer follows.
    case cancel = 2
    /// Server to client, request id 0: a connection-level error; the connection closes after it.
    case goaway = 3

    public var description: String {
        switch self {
        case .request: "REQUEST"
        case .response: "RESPONSE"
        case .cancel: "CANCEL"
        case .goaway: "GOAWAY"
        }
    }
}
