/// One error, one wording: the same failure reaches krpc-top worded by whoever noticed it first, the client
/// (`UserServiceRpc.Login on 127.0.0.1:9000 exceeded its deadline of 1000 ms`) or the server
/// (`UserServiceRpc.Login exceeded its deadline of 1000 ms on the server`). The dashboard shows both as
/// `UserServiceRpc.Login exceeded its deadline of 1000 ms` (the node is on the line anyway), so a log of one
/// timeout does not read like two different errors and folds as one pattern.
public enum ReasonWording {
    /// `text` with every deadline message in the one wording; other text unchanged.
    public static func canonical(_ text: String) -> String {
        guard text.contains("exceeded its deadline of") else { return text }
        // Client side: "<method> on <host:port> exceeded …" loses " on <host:port>".
        let client = #/(?<method>[^\s']+) on [^\s']+ exceeded its deadline of (?<ms>\d+) ms/#
        // Server side: "… N ms on the server" loses " on the server".
        let server = #/exceeded its deadline of (?<ms>\d+) ms on the server/#
        return text
            .replacing(client) { "\($0.output.method) exceeded its deadline of \($0.output.ms) ms" }
            .replacing(server) { "exceeded its deadline of \($0.output.ms) ms" }
    }
}
