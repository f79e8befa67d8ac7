import Foundation
import KRPC
import KRPCPolicy
import KRPCWire
import NIOCore
import Testing

enum Requests {
    static func echo(_ text: String) -> EchoRequest {
        var request = EchoRequest()
        request.value = Data(text.utf8)
        return request
    }

    /// The bytes of a well-formed Echo.Echo request frame.
    static func echoFrame(id: UInt64, text: String = "hi", deadlineMilliseconds: UInt32 = 10_000) throws -> ByteBuffer {
        let payload: [UInt8] = try Self.echo(text).serializedBytes()
        var buffer = ByteBuffer()
        buffer.writeKRPCFrame(
            header: .request(id: id, service: Echo.name, method: Echo.echo, deadlineMilliseconds: deadlineMilliseconds),
            payload: payload
        )
        return buffer
    }

    static func decodeEcho(_ frame: Frame) throws -> String {
        let response = try EchoResponse(serializedBytes: frame.payload.readableBytesSpan)
        return String(decoding: response.value, as: UTF8.self)
    }
}

/// Checks that `address` still answers calls, over `connection` and over a fresh one.
func expectStillServing(_ address: NodeAddress, over connection: NodeConnection? = nil) async throws {
    if let connection {
        let reply = try await EchoClient(connection).echo(Requests.echo("still there"), deadline: Timeouts.generous)
        #expect(reply.value == Data("still there".utf8))
    }
    try await withConnection(to: address) { fresh in
        let reply = try await EchoClient(fresh).echo(Requests.echo("fresh"), deadline: Timeouts.generous)
        #expect(reply.value == Data("fresh".utf8))
    }
}
