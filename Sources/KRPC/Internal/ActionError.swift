/// A ``KRPCError`` inside a state machine's action: compared by code and message, so that actions
/// are `Equatable` and tests can assert whole sequences of them. The cause (an underlying socket
/// error, say) is carried along but not compared: `any Error` is not `Equatable`.
struct ActionError: Equatable, Sendable, CustomStringConvertible {
    var error: KRPCError

    init(_ error: KRPCError) {
        self.error = error
    }

    init(_ code: KRPCError.Code, _ message: String) {
        self.error = KRPCError(code: code, message: message)
    }

    static func == (a: ActionError, b: ActionError) -> Bool {
        a.error.code == b.error.code && a.error.message == b.error.message
    }

    var description: String { self.error.description }
}
