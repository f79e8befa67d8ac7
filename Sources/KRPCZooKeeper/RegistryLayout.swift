package import KRPC
package import KRPCPolicy

/// The znode layout, compatible with the seed so that `zkCli.sh` shows what its README shows:
/// `<root>/<Service>/<Method>/<host:port>`; the root is empty by default (configurable, e.g. `/krpc`).
package struct RegistryLayout: Hashable, Sendable {
    /// `""` or an absolute path without a trailing slash, e.g. `/krpc`.
    package let root: String

    /// Creates a layout.
    /// - Throws: ``ZooKeeperError/Code/invalidConfiguration`` naming `root` when it is not `""` or `/a/b`.
    package init(root: String) throws {
        if !root.isEmpty {
            guard root.hasPrefix("/"), !root.hasSuffix("/") else {
                throw ZooKeeperError(
                    code: .invalidConfiguration,
                    message:
                        "root must be empty or an absolute path without a trailing slash, e.g. /krpc (got \"\(root)\")"
                )
            }
            for component in root.dropFirst().split(separator: "/", omittingEmptySubsequences: false) {
                if let problem = Self.problem(with: component) {
                    throw ZooKeeperError(
                        code: .invalidConfiguration,
                        message: "root \"\(root)\": component \"\(component)\" \(problem)"
                    )
                }
            }
        }
        self.root = root
    }

    /// `<root>/<Service>/<Method>`: the parent of the leaves.
    /// - Throws: ``ZooKeeperError/Code/invalidPath`` when the service or method is not a usable znode name.
    package func methodPath(_ key: ServiceKey) throws -> String {
        for (field, value) in [("service", key.service), ("method", key.method)] {
            if let problem = Self.problem(with: value[...]) {
                throw ZooKeeperError(code: .invalidPath, message: "\(field) name \"\(value)\" \(problem)")
            }
        }
        if self.root.isEmpty && key.service == "zookeeper" {
            throw ZooKeeperError(code: .invalidPath, message: "service name \"zookeeper\" is reserved at the top level")
        }
        return "\(self.root)/\(key.service)/\(key.method)"
    }

    /// `<root>/<Service>/<Method>/<host:port>`: one server's ephemeral leaf.
    package func leafPath(_ key: ServiceKey, _ address: NodeAddress) throws -> String {
        "\(try self.methodPath(key))/\(address)"
    }

    /// Every ancestor of `path` below `/`, outermost first: `/a/b/c` → `/a`, `/a/b`.
    static func ancestors(of path: String) -> [String] {
        let components = path.split(separator: "/")
        guard components.count > 1 else { return [] }
        return (1..<components.count).map { "/" + components[0..<$0].joined(separator: "/") }
    }

    /// Why `name` cannot be a znode name, or nil when it can (ZooKeeper's PathUtils rules).
    private static func problem(with name: Substring) -> String? {
        if name.isEmpty { return "is empty" }
        if name == "." || name == ".." { return "is a relative path component" }
        for scalar in name.unicodeScalars {
            switch scalar.value {
            case 0x2F: return "contains '/'"
            case 0x00...0x1F, 0x7F...0x9F: return "contains a control character"
            case 0xD800...0xF8FF, 0xFFF0...0xFFFF: return "contains a character ZooKeeper rejects"
            default: continue
            }
        }
        return nil
    }
}
