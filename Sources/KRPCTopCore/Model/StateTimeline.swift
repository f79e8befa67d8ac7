/// A node's breaker state, one sample per second, for the node detail's timeline (the last minutes).
public struct StateTimeline: Sendable, Hashable {
    /// Samples kept: three minutes.
    public static let capacity = 180

    /// States, oldest first, one per second; `nil` for a second the node was not listed.
    public private(set) var states: [NodeState?] = []

    /// Creates an empty timeline.
    public init(states: [NodeState?] = []) {
        self.states = Array(states.suffix(Self.capacity))
    }

    /// Appends one second.
    public mutating func append(_ state: NodeState?) {
        self.states.append(state)
        if self.states.count > Self.capacity { self.states.removeFirst(self.states.count - Self.capacity) }
    }
}
