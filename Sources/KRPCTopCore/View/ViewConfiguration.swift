/// Settings of the view that the wiring layer may change at start-up: the key table, the fault values and
/// their TTL, the rate ladder, and the balancer and theme names to cycle through.
public struct ViewConfiguration: Sendable, Hashable {
    /// The key table used for dispatch and help.
    public var keyMap: KeyMap
    /// The TTL given to faults set with `e`, `t`, `d`.
    public var faultTTL: Duration
    /// The delay set with `d`, in milliseconds (fault value `delay:<ms>`).
    public var delayMilliseconds: Int
    /// The target rates `+` and `-` step through, in calls per second, ascending.
    public var rateSteps: [Double]
    /// The balancer names `b` cycles through, as the client stack spells them.
    public var balancers: [String]
    /// The theme names `T` cycles through (see ``ThemeLoader/availableThemes(in:)``).
    public var themes: [String]
    /// How long a status message stays.
    public var messageDuration: Duration
    /// This client's host in the demo's hosts mode (`demo-cluster/run --hosts`), where `p` and `h` partition and
    /// heal the selected node from it; `nil` elsewhere (the keys then say they need the hosts mode).
    public var partitionHost: String?

    /// Creates a configuration; every field has a default.
    public init(
        keyMap: KeyMap = .standard,
        faultTTL: Duration = .seconds(60),
        delayMilliseconds: Int = 500,
        rateSteps: [Double] = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000],
        balancers: [String] = ["round-robin", "weighted-round-robin", "random", "least-outstanding", "consistent-hash"],
        themes: [String] = ["default", "light", "high-contrast", "monochrome"],
        messageDuration: Duration = .seconds(5),
        partitionHost: String? = nil
    ) {
        self.keyMap = keyMap
        self.faultTTL = faultTTL
        self.delayMilliseconds = delayMilliseconds
        self.rateSteps = rateSteps
        self.balancers = balancers
        self.themes = themes
        self.messageDuration = messageDuration
        self.partitionHost = partitionHost
    }
}
