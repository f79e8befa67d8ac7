/// One leaf as ZooKeeper holds it, for a dashboard's node detail (``ZooKeeperRegistry/readLeaf(_:_:)``).
public struct RegistryLeaf: Sendable, Hashable {
    /// The leaf's path.
    public var path: String
    /// Its data (krpc-server writes JSON; the seed wrote nothing).
    public var data: [UInt8]
    /// Its metadata: `ephemeralOwner` is the owning session's id, `ctime` its creation time.
    public var stat: ZooKeeperStat

    /// Creates a leaf.
    public init(path: String, data: [UInt8], stat: ZooKeeperStat) {
        self.path = path
        self.data = data
        self.stat = stat
    }
}
