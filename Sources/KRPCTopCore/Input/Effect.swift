public import KRPCPolicy

/// Something the reducer asks the wiring layer to do outside the view; returned by ``ViewState/apply(_:)``.
///
/// The wiring layer executes each effect and may report a failure back as ``TopEvent/message(_:_:)``.
/// The view assumes nothing about the outcome: the next ``DashboardSnapshot`` shows it.
public enum Effect: Sendable, Hashable {
    /// Quit: restore the terminal and exit 0.
    case quit
    /// Write `value` (`error`, `timeout`, `delay:<ms>`) to the node's fault key `krpc:fault:<host:port>` with
    /// this time to live.
    case setFault(node: NodeAddress, value: String, ttl: Duration)
    /// Delete the node's fault key.
    case clearFault(node: NodeAddress)
    /// Cut the node off from this client's host (`demo-cluster/fault <node> partition --from <host>`).
    case partition(node: NodeAddress)
    /// Undo the node's partition from this client's host (`demo-cluster/fault <node> heal --from <host>`).
    case heal(node: NodeAddress)
    /// Set the load generator's target rate, in calls per second.
    case setRate(Double)
    /// Pause (`true`) or resume (`false`) the load generator.
    case setPaused(Bool)
    /// Switch the channel to the balancer with this name.
    case setBalancer(String)
    /// Point the client stack (load, probes, breakers) at this method: the node view then shows its nodes.
    case openMethod(service: String, method: String)
    /// Fetch the node detail's data (ZooKeeper leaf, fault TTL, `Stats.Get`) for this node, or stop (`nil`).
    case watchDetail(NodeAddress?)
    /// Load and use the theme with this name (see ``ThemeLoader``); the terminal layer then redraws with it.
    case setTheme(String)
}
