/// The metadata ZooKeeper keeps for a znode (`struct Stat` in the C client).
package struct ZooKeeperStat: Hashable, Sendable {
    /// The zxid of the change that created the node.
    package var czxid: Int64
    /// The zxid of the change that last modified the node's data.
    package var mzxid: Int64
    /// Creation time, milliseconds since the Unix epoch.
    package var ctime: Int64
    /// Last modification time, milliseconds since the Unix epoch.
    package var mtime: Int64
    /// Number of changes to the data.
    package var version: Int32
    /// Number of changes to the children.
    package var cversion: Int32
    /// Number of changes to the ACL.
    package var aversion: Int32
    /// The session id owning this node when it is ephemeral, else 0.
    package var ephemeralOwner: Int64
    /// Length of the data in bytes.
    package var dataLength: Int32
    /// Number of children.
    package var numChildren: Int32
    /// The zxid of the change that last modified the children.
    package var pzxid: Int64

    /// Creates a stat (for tests; real ones come from the server).
    package init(
        czxid: Int64 = 0, mzxid: Int64 = 0, ctime: Int64 = 0, mtime: Int64 = 0, version: Int32 = 0,
        cversion: Int32 = 0, aversion: Int32 = 0, ephemeralOwner: Int64 = 0, dataLength: Int32 = 0,
        numChildren: Int32 = 0, pzxid: Int64 = 0
    ) {
        self.czxid = czxid
        self.mzxid = mzxid
        self.ctime = ctime
        self.mtime = mtime
        self.version = version
        self.cversion = cversion
        self.aversion = aversion
        self.ephemeralOwner = ephemeralOwner
        self.dataLength = dataLength
        self.numChildren = numChildren
        self.pzxid = pzxid
    }

    /// Whether the node is ephemeral (owned by a session).
    package var isEphemeral: Bool { self.ephemeralOwner != 0 }
}

/// How ``ZooKeeperClient/create(_:data:mode:)`` creates a node.
package enum ZooKeeperCreateMode: Hashable, Sendable, CaseIterable {
    /// Stays until deleted.
    case persistent
    /// Removed by the server when the creating session ends.
    case ephemeral
    /// Persistent, with a monotonically increasing 10-digit suffix appended to the name.
    case persistentSequential
    /// Ephemeral, with a monotonically increasing 10-digit suffix appended to the name.
    case ephemeralSequential
    /// A container node: removed by the server once its last child is gone.
    case container
}

/// Who may do what with the nodes a client creates.
package enum ZooKeeperACL: Hashable, Sendable {
    /// Anyone may do anything (`ZOO_OPEN_ACL_UNSAFE`): the seed's behaviour and the default.
    case openUnsafe
    /// The authenticated creator may do anything, anyone may read. Needs an authenticated session
    /// (for example ``ZooKeeperDigestAuthentication``).
    case creatorAllAnyoneRead
}

/// The state of a ZooKeeper session, as the C client reports it.
package enum ZooKeeperSessionState: Hashable, Sendable {
    /// Connecting (or reconnecting) to a server; the session, if any, may still be alive.
    case connecting
    /// Connected: requests are served and watches are live.
    case connected
    /// Connected to a read-only server (only when the server allows read-only mode).
    case connectedReadOnly
    /// The server expired the session: the handle is dead, ephemeral nodes are gone, a new client is needed.
    case expired
    /// Authentication was rejected: the handle is dead.
    case authenticationFailed
    /// ``ZooKeeperClient/close()`` was called.
    case closed

    /// Whether the handle can never be used again.
    package var isTerminal: Bool {
        switch self {
        case .expired, .authenticationFailed, .closed: true
        case .connecting, .connected, .connectedReadOnly: false
        }
    }
}

/// What changed on a watched znode.
package enum ZooKeeperNodeEventKind: Hashable, Sendable {
    /// The node was created (an `exists` watch).
    case created
    /// The node was deleted.
    case deleted
    /// The node's data changed.
    case dataChanged
    /// The node's list of children changed.
    case childrenChanged
    /// The server removed the watch.
    case watchRemoved
}

/// An event from a ``ZooKeeperClient``: a session state change, or a fired watch.
///
/// Watches are one-shot (ZooKeeper's rule): after a `.node` event, ask again with `watch: true` to re-arm.
package enum ZooKeeperEvent: Hashable, Sendable {
    /// The session state changed.
    case session(ZooKeeperSessionState)
    /// A watch set on `path` fired.
    case node(ZooKeeperNodeEventKind, path: String)
}

/// The id and password of a session: enough to reattach another handle to the same session.
package struct ZooKeeperSessionCredentials: Hashable, Sendable, CustomStringConvertible {
    /// The session id, as ``ZooKeeperStat/ephemeralOwner`` shows it.
    package var id: Int64
    /// The session password (16 bytes).
    package var password: [UInt8]

    /// Creates credentials.
    package init(id: Int64, password: [UInt8]) {
        self.id = id
        self.password = password
    }

    /// The session id in hexadecimal, as the ZooKeeper server logs it (`0x…`). The password is never printed.
    package var description: String { "0x" + String(UInt64(bitPattern: self.id), radix: 16) }
}

/// Digest authentication (`user:password`), added to the session on connect and after every reconnect.
public struct ZooKeeperDigestAuthentication: Hashable, Sendable, CustomStringConvertible {
    /// The user name.
    public var user: String
    /// The password.
    public var password: String

    /// Creates digest credentials.
    public init(user: String, password: String) {
        self.user = user
        self.password = password
    }

    /// `digest user` (the password is never printed).
    public var description: String { "digest \(self.user)" }
}
