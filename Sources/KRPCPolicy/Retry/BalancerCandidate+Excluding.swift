extension Array where Element == BalancerCandidate {
    /// The candidates whose address is not in `tried`: where a retry or a hedge may go.
    public func excluding(_ tried: Set<NodeAddress>) -> [BalancerCandidate] {
        self.filter { !tried.contains($0.address) }
    }
}
