package import KRPC
import Synchronization

/// A ``FaultSource`` whose real source is set once the server knows its own address.
///
/// The fault key is `krpc:fault:<host:port>`, and with `--port 0` the port is known only after the
/// listener is bound, while the server takes its fault source when it is created. Until the watcher is
/// set the node is healthy.
package final class DeferredFaultSource: FaultSource {
    private let source = Mutex<(any FaultSource)?>(nil)

    /// Creates a source with no fault until ``set(_:)``.
    package init() {}

    /// Makes `source` the one asked from now on.
    package func set(_ source: any FaultSource) {
        self.source.withLock { $0 = source }
    }

    package func currentFault() -> Fault? {
        self.source.withLock { $0 }?.currentFault()
    }
}
