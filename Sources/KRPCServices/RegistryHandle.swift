package import KRPC

/// A registry the node registers in, with how to close it when the node stops.
package struct RegistryHandle: Sendable, CustomStringConvertible {
    /// Where the node registers.
    package let registry: any ServiceRegistry
    /// The servers, for logs.
    package let description: String
    /// Closes the registry (after the node has deregistered).
    package let close: @Sendable () async -> Void

    /// Creates a handle.
    package init(registry: any ServiceRegistry, description: String, close: @escaping @Sendable () async -> Void) {
        self.registry = registry
        self.description = description
        self.close = close
    }
}
