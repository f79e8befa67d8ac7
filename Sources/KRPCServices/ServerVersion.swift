/// The version published in the registry leaves (`version`) and logged at start.
package enum ServerVersion {
    /// The krpc-server version.
    package static let current = "0.1.0"
}
