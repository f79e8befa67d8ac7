import KRPC
import KRPCPolicy

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The data of a registry leaf: `{"host","port","weight","pid","started_at","version"}` (JSON).
///
/// Readers also accept what the seed writes: empty data, or any non-JSON text (the leaf's name is the
/// address then, and the weight is 1). Data that looks like JSON (starts with `{`) but does not decode, or
/// carries an impossible value, makes the leaf malformed.
enum LeafData {
    /// The krpc version servers publish when the instance does not say.
    static let defaultVersion = "0.1.0"
    /// Weights outside this range are malformed.
    static let weightRange = 0...1_000_000

    /// The JSON document for `instance`, fields in the documented order.
    static func encode(_ instance: ServiceInstance, pid: Int, startedAt: Int64) -> [UInt8] {
        let fields = [
            "\"host\":\(jsonString(instance.address.host))",
            "\"port\":\(instance.address.port)",
            "\"weight\":\(instance.weight)",
            "\"pid\":\(instance.pid ?? pid)",
            "\"started_at\":\(instance.startedAt ?? startedAt)",
            "\"version\":\(jsonString(instance.version ?? defaultVersion))",
        ] + (instance.faultInjection.map { ["\"fault_injection\":\($0)"] } ?? [])
        return Array("{\(fields.joined(separator: ","))}".utf8)
    }

    /// Why a leaf was skipped.
    struct Malformed: Error, Equatable, CustomStringConvertible {
        var reason: String
        var description: String { self.reason }
    }

    /// Reads the leaf named `name` with `data`.
    static func decode(name: String, data: [UInt8]) -> Result<ServiceInstance, Malformed> {
        guard let address = NodeAddress(parsing: name) else {
            return .failure(Malformed(reason: "leaf name \"\(name)\" is not host:port"))
        }
        let firstNonSpace = data.first { !(Character(Unicode.Scalar($0)).isWhitespace) }
        guard firstNonSpace == UInt8(ascii: "{") || firstNonSpace == UInt8(ascii: "[") else {
            // The seed's form: a bare host:port leaf, with empty or plain-text data.
            return .success(ServiceInstance(address: address))
        }
        let document: Document
        do {
            document = try JSONDecoder().decode(Document.self, from: Data(data))
        } catch {
            return .failure(Malformed(reason: "leaf \"\(name)\" has data that is not a valid registry document"))
        }
        let weight = document.weight ?? 1
        guard self.weightRange.contains(weight) else {
            return .failure(Malformed(reason: "leaf \"\(name)\" has weight \(weight), outside \(self.weightRange)"))
        }
        // The name is the address (it is what the path says); host/port in the data are informational.
        return .success(
            ServiceInstance(
                address: address,
                weight: weight,
                pid: document.pid,
                startedAt: document.startedAt,
                version: document.version,
                faultInjection: document.faultInjection
            )
        )
    }

    private struct Document: Decodable {
        var host: String?
        var port: Int?
        var weight: Int?
        var pid: Int?
        var startedAt: Int64?
        var version: String?
        var faultInjection: Bool?

        enum CodingKeys: String, CodingKey {
            case host, port, weight, pid, version
            case startedAt = "started_at"
            case faultInjection = "fault_injection"
        }

        init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            self.host = try c.decodeIfPresent(String.self, forKey: .host)
            self.port = try c.decodeIfPresent(Int.self, forKey: .port)
            self.weight = try c.decodeIfPresent(Int.self, forKey: .weight)
            self.pid = try c.decodeIfPresent(Int.self, forKey: .pid)
            // Seconds since the epoch; a fractional number is accepted and truncated.
            if let whole = try? c.decodeIfPresent(Int64.self, forKey: .startedAt) {
                self.startedAt = whole
            } else if let seconds = try c.decodeIfPresent(Double.self, forKey: .startedAt) {
                guard seconds.isFinite, abs(seconds) < 1e15 else {
                    throw DecodingError.dataCorruptedError(forKey: .startedAt, in: c, debugDescription: "out of range")
                }
                self.startedAt = Int64(seconds)
            }
            self.faultInjection = try? c.decodeIfPresent(Bool.self, forKey: .faultInjection)
            // The version may be written as a string or a number.
            if let text = try? c.decodeIfPresent(String.self, forKey: .version) {
                self.version = text
            } else if let number = try c.decodeIfPresent(Double.self, forKey: .version) {
                self.version = number == number.rounded() && abs(number) < 1e15 ? String(Int64(number)) : String(number)
            }
        }
    }

    private static func jsonString(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20:
                out += "\\u" + String(repeating: "0", count: 4 - String(scalar.value, radix: 16).count)
                    + String(scalar.value, radix: 16)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}
