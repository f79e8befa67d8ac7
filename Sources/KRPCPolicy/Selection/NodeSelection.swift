/// The outcome of an ``EjectionPolicy`` selection: which nodes the balancer may pick from, and whether in panic.
public struct NodeSelection: Sendable, Hashable {
    /// The nodes to pass to the balancer as candidates: the admitting ones, or every node in panic.
    public var eligible: [NodeAddress]
    /// The nodes whose breakers do not admit calls now (still listed in panic, for display).
    public var ejected: [NodeAddress]
    /// More nodes are ejected than the limit allows: every node is eligible (the dashboard shows PANIC).
    public var panic: Bool
    /// How many ejections the limit allowed for this cluster size.
    public var allowedEjections: Int

    /// Creates a selection.
    public init(eligible: [NodeAddress], ejected: [NodeAddress], panic: Bool, allowedEjections: Int) {
        self.eligible = eligible
        self.ejected = ejected
        self.panic = panic
        self.allowedEjections = allowedEjections
    }
}
