/// One leaf as ZooKeeper holds it, for a dashboard's node detail (``ZooKeeperRegistry/readLeaf(_:_:)``).
package struct RegistryLeaf: Sendable, Hashable {
    /// The leaf's path.
    package var path: String
    /// Its data (krpc-server writes JSON; the seed wrote nothing).
    package var data: [UInt8]
    /// Its metadata: `ephemeralOwner` is the owning session's id, `ctime` its creation time.
    package var stat: ZooKeeperStat

    /// Creates a leaf.
    package init(path: String, data: [UInt8], stat: ZooKeeperStat) {
        self.path = path
        self.data = data
        self.stat = stat
    }
}
