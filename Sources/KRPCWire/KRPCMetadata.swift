/// Request metadata: an ordered collection of key/value pairs a call carries beside its message.
///
/// Shaped like grpc-swift 2's `Metadata`: a key may appear more than once, and the pairs keep the
/// order they were added in. Keys are lower-case ASCII (`[a-z0-9._-]`); the `add…` methods lower-case
/// the keys they are given. A value is a UTF-8 string or, under a key ending in `-bin`, raw bytes.
///
/// On the wire the pairs travel in the REQUEST header's field 8 (``FrameFormat``, "Metadata"),
/// within ``maximumEntryCount`` pairs and ``maximumEncodedBytes`` bytes of keys and values: a krpc
/// client refuses to send more, a krpc server refuses to read more.
///
/// ```swift
/// var metadata: KRPCMetadata = ["tenant": "acme"]
/// metadata.addString("debug", forKey: "x-flags")
/// metadata.addBinary([0x01, 0x02], forKey: "token-bin")
/// metadata.firstString(forKey: "tenant")   // "acme"
/// ```
public struct KRPCMetadata: Sendable, Hashable, RandomAccessCollection, ExpressibleByDictionaryLiteral,
    CustomStringConvertible
{
    /// A value: a string, or bytes under a key that ends in `-bin`.
    public enum Value: Sendable, Hashable, CustomStringConvertible, ExpressibleByStringLiteral {
        /// A UTF-8 string.
        case string(String)
        /// Raw bytes (the key ends in `-bin`).
        case binary([UInt8])

        /// The number of bytes the value takes on the wire.
        public var encodedCount: Int {
            switch self {
            case .string(let string): string.utf8.count
            case .binary(let bytes): bytes.count
            }
        }

        /// A string value.
        public init(stringLiteral value: String) {
            self = .string(value)
        }

        public var description: String {
            switch self {
            case .string(let string): "\"\(string)\""
            case .binary(let bytes): "<\(bytes.count) bytes>"
            }
        }
    }

    /// One key/value pair.
    public struct Entry: Sendable, Hashable {
        /// The key, lower-case ASCII.
        public var key: String
        /// The value.
        public var value: Value
    }

    /// The most pairs a request may carry (a receiver refuses a header with more).
    public static let maximumEntryCount = 64
    /// The most bytes of keys and values together a request may carry (the UTF-8 bytes of every key
    /// plus every value's bytes; the protobuf tags and lengths around them do not count).
    public static let maximumEncodedBytes = 8192

    private var entries: [Entry]

    /// Empty metadata.
    public init() {
        self.entries = []
    }

    /// Metadata holding `elements` in order (keys lower-cased).
    public init(_ elements: some Sequence<(key: String, value: Value)>) {
        self.entries = elements.map { Entry(key: Self.normalized($0.key), value: $0.value) }
    }

    /// Metadata from a literal, e.g. `["tenant": .string("acme")]`.
    public init(dictionaryLiteral elements: (String, Value)...) {
        self.entries = elements.map { Entry(key: Self.normalized($0.0), value: $0.1) }
    }

    /// Wraps pairs the decoder already checked (keys valid, limits kept).
    package init(decodedEntries: [Entry]) {
        self.entries = decodedEntries
    }

    // MARK: Adding and removing

    /// Adds `value` under `key` (lower-cased), after the pairs already there.
    public mutating func addString(_ value: String, forKey key: String) {
        self.entries.append(Entry(key: Self.normalized(key), value: .string(value)))
    }

    /// Adds bytes under `key` (lower-cased), which should end in `-bin`.
    public mutating func addBinary(_ value: [UInt8], forKey key: String) {
        self.entries.append(Entry(key: Self.normalized(key), value: .binary(value)))
    }

    /// Removes every value under `key`, then adds `value`.
    public mutating func replaceOrAddString(_ value: String, forKey key: String) {
        self.removeAllValues(forKey: key)
        self.addString(value, forKey: key)
    }

    /// Removes every value under `key`, then adds bytes.
    public mutating func replaceOrAddBinary(_ value: [UInt8], forKey key: String) {
        self.removeAllValues(forKey: key)
        self.addBinary(value, forKey: key)
    }

    /// Adds every pair of `other`, in order.
    public mutating func add(contentsOf other: KRPCMetadata) {
        self.entries.append(contentsOf: other.entries)
    }

    /// Removes every value under `key`.
    public mutating func removeAllValues(forKey key: String) {
        let key = Self.normalized(key)
        self.entries.removeAll { $0.key == key }
    }

    // MARK: Reading

    /// Every value under `key`, in order.
    public subscript(key: String) -> [Value] {
        let key = Self.normalized(key)
        return self.entries.compactMap { $0.key == key ? $0.value : nil }
    }

    /// Every string value under `key`, in order (binary values are left out).
    public subscript(stringValues key: String) -> [String] {
        let key = Self.normalized(key)
        return self.entries.compactMap { entry in
            guard entry.key == key, case .string(let string) = entry.value else { return nil }
            return string
        }
    }

    /// Every binary value under `key`, in order (string values are left out).
    public subscript(binaryValues key: String) -> [[UInt8]] {
        let key = Self.normalized(key)
        return self.entries.compactMap { entry in
            guard entry.key == key, case .binary(let bytes) = entry.value else { return nil }
            return bytes
        }
    }

    /// The first string value under `key`, or `nil`.
    public func firstString(forKey key: String) -> String? {
        let key = Self.normalized(key)
        for entry in self.entries where entry.key == key {
            if case .string(let string) = entry.value { return string }
        }
        return nil
    }

    /// The bytes the pairs take against ``maximumEncodedBytes``: every key's and value's bytes.
    public var encodedBytes: Int {
        self.entries.reduce(0) { $0 + $1.key.utf8.count + $1.value.encodedCount }
    }

    /// Checks the pairs against the wire's limits and key syntax.
    ///
    /// - Returns: `nil` when the metadata may be sent, else why not.
    public func wireViolation() -> String? {
        if self.entries.count > Self.maximumEntryCount {
            return "metadata has \(self.entries.count) entries, more than the maximum \(Self.maximumEntryCount)"
        }
        let bytes = self.encodedBytes
        if bytes > Self.maximumEncodedBytes {
            return "metadata takes \(bytes) bytes, more than the maximum \(Self.maximumEncodedBytes)"
        }
        for entry in self.entries where !Self.isValidKey(entry.key.utf8) {
            return "metadata key '\(entry.key)' is not 1 or more of a-z 0-9 . _ -"
        }
        return nil
    }

    // MARK: Collection

    public typealias Element = Entry
    public typealias Index = Int
    public var startIndex: Int { self.entries.startIndex }
    public var endIndex: Int { self.entries.endIndex }
    public subscript(position: Int) -> Entry { self.entries[position] }

    public var description: String {
        "[" + self.entries.map { "\($0.key): \($0.value)" }.joined(separator: ", ") + "]"
    }

    // MARK: Keys

    /// Whether `key` is a valid metadata key: one or more of `a-z 0-9 . _ -`.
    static func isValidKey(_ key: some Sequence<UInt8>) -> Bool {
        var empty = true
        for byte in key {
            empty = false
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."):
                continue
            default:
                return false
            }
        }
        return !empty
    }

    /// `key` with ASCII upper-case letters lower-cased (other characters are left for
    /// ``wireViolation()`` to refuse).
    private static func normalized(_ key: String) -> String {
        guard key.utf8.contains(where: { $0 >= UInt8(ascii: "A") && $0 <= UInt8(ascii: "Z") }) else { return key }
        return String(decoding: key.utf8.map { ($0 >= 65 && $0 <= 90) ? $0 + 32 : $0 }, as: UTF8.self)
    }
}
