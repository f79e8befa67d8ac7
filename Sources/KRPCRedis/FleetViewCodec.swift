import KRPC
import KRPCPolicy

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// The JSON value of a `krpc:view:<client-id>` key (DESIGN.md "Contracts"):
///
/// ```json
/// {"version":1,
///  "client":{"host":"client-a","pid":4242,"name":"krpc-top"},
///  "published_at":1764756000.25,"interval_ms":1000,
///  "nodes":[{"service":"UserServiceRpc","method":"Login","node":"10.213.0.11:8001",
///            "state":"open","reason":"5 consecutive failures: connect refused",
///            "error_percent":100,"p99_us":0,"in_state_ms":3200}]}
/// ```
///
/// `state` is `closed`, `open` or `half-open`; `reason` may be absent. Readers ignore fields they do not
/// know (a later version may add some) and reject a value whose known fields are missing or impossible.
public enum FleetViewCodec {
    /// Why a value is not a fleet view.
    public struct DecodingFailure: Error, Sendable, Hashable, CustomStringConvertible {
        /// What is wrong with it, for the log line.
        public var reason: String
        public var description: String { self.reason }
    }

    /// The JSON text of `view`, keys sorted (the order `JSONEncoder` with `.sortedKeys` gives).
    ///
    /// Written by hand: krpc-top publishes a view every second, and `JSONEncoder` made that the largest part of
    /// the publishing cost (the issue's bar is < 1 % of krpc-top's CPU). Decoding stays on `JSONDecoder`.
    public static func encode(_ view: FleetView) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(160 + 220 * view.nodes.count)
        out.append(contentsOf: #"{"client":{"host":"#.utf8)
        JSONText.string(view.client.host, into: &out)
        out.append(contentsOf: #","name":"#.utf8)
        JSONText.string(view.client.name, into: &out)
        out.append(contentsOf: #","pid":"#.utf8)
        JSONText.integer(view.client.pid, into: &out)
        out.append(contentsOf: #"},"interval_ms":"#.utf8)
        JSONText.integer(milliseconds(view.interval), into: &out)
        out.append(contentsOf: #","nodes":["#.utf8)
        for (index, node) in view.nodes.enumerated() {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            out.append(contentsOf: #"{"error_percent":"#.utf8)
            JSONText.number(node.errorPercent, into: &out)
            out.append(contentsOf: #","in_state_ms":"#.utf8)
            JSONText.integer(milliseconds(node.timeInState), into: &out)
            out.append(contentsOf: #","method":"#.utf8)
            JSONText.string(node.key.method, into: &out)
            out.append(contentsOf: #","node":"#.utf8)
            JSONText.string(node.node.description, into: &out)
            out.append(contentsOf: #","p99_us":"#.utf8)
            JSONText.integer(node.p99Micros, into: &out)
            if let reason = node.reason {
                out.append(contentsOf: #","reason":"#.utf8)
                JSONText.string(reason, into: &out)
            }
            out.append(contentsOf: #","service":"#.utf8)
            JSONText.string(node.key.service, into: &out)
            out.append(contentsOf: #","state":"#.utf8)
            JSONText.string(node.state.rawValue, into: &out)
            out.append(UInt8(ascii: "}"))
        }
        out.append(contentsOf: #"],"published_at":"#.utf8)
        JSONText.number(view.publishedAt, into: &out)
        out.append(contentsOf: #","version":"#.utf8)
        JSONText.integer(FleetView.formatVersion, into: &out)
        out.append(UInt8(ascii: "}"))
        return out
    }

    /// Decodes a value read from a view key.
    /// - Throws: ``DecodingFailure`` naming what is wrong.
    public static func decode(_ bytes: [UInt8]) throws(DecodingFailure) -> FleetView {
        let wire: WireView
        do {
            wire = try JSONDecoder().decode(WireView.self, from: Data(bytes))
        } catch {
            throw DecodingFailure(reason: "not a fleet view: \(Self.describe(error))")
        }
        guard wire.intervalMilliseconds >= 0, wire.publishedAt.isFinite else {
            throw DecodingFailure(reason: "impossible interval_ms or published_at")
        }
        var nodes: [FleetNodeView] = []
        nodes.reserveCapacity(wire.nodes.count)
        for (index, node) in wire.nodes.enumerated() {
            guard let address = NodeAddress(parsing: node.node) else {
                throw DecodingFailure(reason: "nodes[\(index)].node '\(node.node)' is not host:port")
            }
            guard let state = BreakerState(rawValue: node.state) else {
                throw DecodingFailure(reason: "nodes[\(index)].state '\(node.state)' is not closed|open|half-open")
            }
            guard node.errorPercent.isFinite, (0...100).contains(node.errorPercent), node.p99Micros >= 0,
                node.inStateMilliseconds >= 0
            else {
                throw DecodingFailure(reason: "nodes[\(index)] has an impossible number")
            }
            nodes.append(
                FleetNodeView(
                    key: ServiceKey(service: node.service, method: node.method),
                    node: address,
                    state: state,
                    reason: node.reason,
                    errorPercent: node.errorPercent,
                    p99Micros: node.p99Micros,
                    timeInState: .milliseconds(node.inStateMilliseconds)
                )
            )
        }
        return FleetView(
            client: FleetClientID(host: wire.client.host, pid: wire.client.pid, name: wire.client.name),
            publishedAt: wire.publishedAt,
            interval: .milliseconds(wire.intervalMilliseconds),
            nodes: nodes
        )
    }

    private static func milliseconds(_ duration: Duration) -> Int {
        let (seconds, attoseconds) = duration.components
        return max(0, Int(seconds) * 1000 + Int(attoseconds / 1_000_000_000_000_000))
    }

    private static func describe(_ error: any Error) -> String {
        switch error {
        case DecodingError.keyNotFound(let key, _): "missing field '\(key.stringValue)'"
        case DecodingError.typeMismatch(_, let context), DecodingError.valueNotFound(_, let context):
            "wrong type at '\(context.codingPath.map(\.stringValue).joined(separator: "."))'"
        case DecodingError.dataCorrupted: "not JSON"
        default: "\(error)"
        }
    }

    private struct WireView: Codable {
        var version: Int
        var client: WireClient
        var publishedAt: Double
        var intervalMilliseconds: Int
        var nodes: [WireNode]

        enum CodingKeys: String, CodingKey {
            case version, client, nodes
            case publishedAt = "published_at"
            case intervalMilliseconds = "interval_ms"
        }
    }

    private struct WireClient: Codable {
        var host: String
        var pid: Int
        var name: String
    }

    private struct WireNode: Codable {
        var service: String
        var method: String
        var node: String
        var state: String
        var reason: String?
        var errorPercent: Double
        var p99Micros: Int
        var inStateMilliseconds: Int

        enum CodingKeys: String, CodingKey {
            case service, method, node, state, reason
            case errorPercent = "error_percent"
            case p99Micros = "p99_us"
            case inStateMilliseconds = "in_state_ms"
        }
    }
}
