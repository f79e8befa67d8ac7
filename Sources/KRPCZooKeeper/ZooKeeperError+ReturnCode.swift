internal import CZooKeeper

extension ZooKeeperError {
    /// Translates a raw ZooKeeper return code (never `ZOK`) into a typed error. The raw code stays in here.
    init(returnCode rc: Int32, path: String?, operation: String) {
        let code: Code =
            switch rc {
            case ZNONODE.rawValue: .noNode
            case ZNODEEXISTS.rawValue: .nodeExists
            case ZNOTEMPTY.rawValue: .notEmpty
            case ZBADVERSION.rawValue: .badVersion
            case ZNOAUTH.rawValue: .noAuth
            case ZAUTHFAILED.rawValue, ZSESSIONCLOSEDREQUIRESASLAUTH.rawValue: .authFailed
            case ZINVALIDACL.rawValue: .invalidACL
            case ZNOCHILDRENFOREPHEMERALS.rawValue, ZEPHEMERALONLOCALSESSION.rawValue: .noChildrenForEphemerals
            case ZSESSIONEXPIRED.rawValue: .sessionExpired
            case ZSESSIONMOVED.rawValue: .sessionMoved
            case ZCONNECTIONLOSS.rawValue: .connectionLoss
            case ZOPERATIONTIMEOUT.rawValue: .operationTimeout
            case ZCLOSING.rawValue: .closing
            case ZINVALIDSTATE.rawValue: .invalidState
            case ZBADARGUMENTS.rawValue: .badArguments
            case ZMARSHALLINGERROR.rawValue: .marshallingError
            case ZNOTREADONLY.rawValue: .notReadOnly
            case ZTHROTTLEDOP.rawValue: .throttled
            case ZSYSTEMERROR.rawValue, ZRUNTIMEINCONSISTENCY.rawValue, ZDATAINCONSISTENCY.rawValue: .systemError
            case ZUNIMPLEMENTED.rawValue: .unimplemented
            default: .unknown
            }
        let text = zerror(rc).map { String(cString: $0) } ?? "error"
        self.init(code: code, message: "\(operation): \(text)", path: path)
    }
}
