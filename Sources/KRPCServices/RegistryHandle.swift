package import KRPC

/// A registry the node registers in, with how to keep its session and how to close it when the node stops.
package struct RegistryHandle: Sendable, CustomStringConvertible {
    /// Where the node registers.
    package let registry: any ServiceRegistry
    /// The servers, for logs.
    package let description: String
    /// Keeps the registry's session until ``close`` ends it.
    package let run: @Sendable () async -> Void
    /// Closes the registry (after the node has deregistered).
    package let close: @Sendable () async -> Void

    /// Creates a handle.
    package init(
        registry: any ServiceRegistry,
        description: String,
        run: @escaping @Sendable () async -> Void,
        close: @escaping @Sendable () async -> Void
    ) {
        self.registry = registry
        self.description = description
        self.run = run
        self.close = close
    }
}
