extension RedisKeys {
    /// Prefix of the fleet view keys: `krpc:view:<client-id>`, one per publishing client.
    public static let viewPrefix = "krpc:view:"

    /// `krpc:view:<host>:<pid>:<name>`: a string holding the client's ``FleetView`` as JSON
    /// (``FleetViewCodec``), refreshed about once a second and expiring a few seconds after the last refresh.
    public static func view(_ client: FleetClientID) -> String { "\(viewPrefix)\(client.id)" }
}
