public import KRPC

extension ZooKeeperRegistry {
    /// The watchers of one method: its subscribers, the last snapshot, and the debounce bookkeeping.
    struct DiscoveryGroup {
        /// Distinguishes this group from a later one for the same key (a refresher of an old group stops).
        let token: UInt64
        let path: String
        /// The subscribers. Each keeps only the newest list when its consumer lags: an older list is of no use
        /// once a newer one exists.
        let broadcaster = EventBroadcaster<[ServiceInstance]>(bufferingPolicy: .bufferingNewest(1))
        /// The last membership delivered; kept while ZooKeeper is unreachable.
        var snapshot: [ServiceInstance]?
        var publishedCount = 0
        /// Fingerprints of the malformed leaves already warned about (only those still present).
        var warned: Set<String> = []
        var firstEventAt: ContinuousClock.Instant?
        var lastEventAt: ContinuousClock.Instant?
        var immediately = false
        var refresherRunning = false
    }

    /// The live membership of `key`: the current list first (as soon as it is known), then one element per
    /// debounced change. Identical consecutive lists are not repeated.
    ///
    /// While ZooKeeper is unreachable the last list is kept (nothing is yielded); after a reconnect or a session
    /// expiry the method is re-listed and re-watched. Leaves whose name is not `host:port` or whose data is
    /// malformed are skipped, with one warning each. The instances are sorted by address. The stream keeps
    /// only the newest list when the consumer lags; it finishes when the registry is closed, and cancelling
    /// the consumer's iteration unsubscribes (the last subscriber of a method stops its refreshes).
    public func discover(_ key: ServiceKey) -> AsyncStream<[ServiceInstance]> {
        let path: String
        do {
            path = try self.layout.methodPath(key)
        } catch {
            self.logger.warning("cannot discover \(key)", metadata: ["error": "\(error)"])
            return AsyncStream { $0.finish() }
        }
        let subscription: (stream: AsyncStream<[ServiceInstance]>, group: DiscoveryGroup, isNew: Bool)? =
            self.shared.withLock { state in
                guard !state.closed else { return nil }
                let isNew = state.groups[key] == nil
                let group = state.groups[key] ?? DiscoveryGroup(token: state.makeID(), path: path)
                // Under the lock, so an older list can never overtake a newer one.
                let stream = group.broadcaster.subscribe(
                    initial: group.snapshot.map { [$0] } ?? [],
                    deliverNow: false,
                    onTermination: { [weak self] in self?.unsubscribed(key, token: group.token) }
                )
                state.groups[key] = group
                state.pathToKey[path] = key
                return (stream, group, isNew)
            }
        guard let subscription else { return AsyncStream { $0.finish() } }
        subscription.group.broadcaster.deliver()
        if subscription.isNew { self.scheduleRefresh(key, immediately: true) }
        return subscription.stream
    }

    /// A subscriber of `key` is gone; the last one ends the group (its refresher stops). Runs from the stream's
    /// termination: it only takes our lock, which is never held while yielding or finishing.
    private func unsubscribed(_ key: ServiceKey, token: UInt64) {
        self.shared.withLock { state in
            guard let group = state.groups[key], group.token == token, group.broadcaster.subscriberCount == 0
            else { return }
            // The ZooKeeper watch stays armed until it fires once more; that event is then ignored.
            state.groups[key] = nil
            state.pathToKey[group.path] = nil
        }
    }

    /// A watch fired: note the activity (for the debounce). A child or existence watch on the method node is
    /// re-armed at once, so a burst keeps being seen; a leaf's data watch is re-armed by the refresh.
    func nodeChanged(_ kind: ZooKeeperNodeEventKind, path: String, client: ZooKeeperClient) {
        guard kind != .watchRemoved else { return }
        let parent = String(path[..<(path.lastIndex(of: "/") ?? path.startIndex)])
        let (methodKey, leafKey) = self.shared.withLock { ($0.pathToKey[path], $0.pathToKey[parent]) }
        if let key = methodKey {
            guard kind != .dataChanged else { return }
            self.scheduleRefresh(key, immediately: false)
            self.submit {
                do {
                    _ = try await client.children(path, watch: true)
                } catch let error as ZooKeeperError where error.code == .noNode {
                    _ = try? await client.exists(path, watch: true)
                } catch {}
            }
        } else if let key = leafKey, kind == .dataChanged {
            self.scheduleRefresh(key, immediately: false)  // a server re-registered with another weight
        }
    }

    /// Asks for a refresh of `key`: after `debounce` of quiet (or `maxDebounceDelay`), or at once.
    func scheduleRefresh(_ key: ServiceKey, immediately: Bool) {
        let now = ContinuousClock.now
        let start: UInt64? = self.shared.withLock { state in
            guard !state.closed, var group = state.groups[key] else { return nil }
            if immediately { group.immediately = true }
            group.lastEventAt = now
            if group.firstEventAt == nil { group.firstEventAt = now }
            let start = !group.refresherRunning
            group.refresherRunning = true
            state.groups[key] = group
            return start ? group.token : nil
        }
        if let token = start {
            self.submit { await self.runRefresher(key, token: token) }
        }
    }

    /// Refreshes `key` until no more changes are pending (or ``run()`` ends). One runs per group at a time.
    private func runRefresher(_ key: ServiceKey, token: UInt64) async {
        while !Task.isCancelled {
            // Wait for quiet.
            while true {
                if Task.isCancelled { return }
                let wait: Duration? = self.shared.withLock { state in
                    guard !state.closed, let group = state.groups[key], group.token == token else { return nil }
                    if group.immediately { return .zero }
                    guard let last = group.lastEventAt, let first = group.firstEventAt else { return .zero }
                    let deadline = min(last + self.configuration.debounce, first + self.configuration.maxDebounceDelay)
                    return max(.zero, deadline - ContinuousClock.now)
                }
                guard let wait else { return }
                if wait == .zero { break }
                try? await Task.sleep(for: wait)
            }
            self.shared.withLock { state in
                guard var group = state.groups[key], group.token == token else { return }
                group.immediately = false
                group.firstEventAt = nil
                group.lastEventAt = nil
                state.groups[key] = group
            }
            let outcome = await self.refresh(key, token: token)
            if outcome == .failedWhileConnected {
                // Not a connection problem (those are retried on reconnect): try again a little later.
                try? await Task.sleep(for: .seconds(1))
                self.shared.withLock { state in
                    guard var group = state.groups[key], group.token == token else { return }
                    group.immediately = true
                    state.groups[key] = group
                }
            }
            let again = self.shared.withLock { state in
                guard !state.closed, var group = state.groups[key], group.token == token else { return false }
                if group.immediately || group.lastEventAt != nil { return true }
                group.refresherRunning = false
                state.groups[key] = group
                return false
            }
            if !again { return }
        }
    }

    enum RefreshOutcome { case published, notConnected, failedWhileConnected }

    /// Lists the method (re-arming the child watch, or an exists watch when the node is missing), reads every
    /// leaf, and publishes the result.
    private func refresh(_ key: ServiceKey, token: UInt64) async -> RefreshOutcome {
        guard let client = self.connectedClient(),
            let path = self.shared.withLock({ $0.groups[key]?.path })
        else { return .notConnected }
        do {
            var names: [String]
            do {
                names = try await client.children(path, watch: true)
            } catch let error as ZooKeeperError where error.code == .noNode {
                // No server registered yet: watch for the method node's creation.
                names =
                    try await client.exists(path, watch: true) == nil
                    ? [] : try await client.children(path, watch: true)
            }
            let leaves = try await withThrowingTaskGroup(of: (String, [UInt8])?.self) { group in
                for name in names {
                    group.addTask {
                        do {
                            // A data watch too: a weight change shows up without a membership change.
                            return (name, try await client.get("\(path)/\(name)", watch: true).data)
                        } catch let error as ZooKeeperError where error.code == .noNode {
                            return nil  // gone between the listing and the read
                        }
                    }
                }
                var leaves: [(String, [UInt8])] = []
                for try await leaf in group { if let leaf { leaves.append(leaf) } }
                return leaves
            }
            var instances: [ServiceInstance] = []
            var malformed: [(fingerprint: String, reason: String)] = []
            for (name, data) in leaves {
                switch LeafData.decode(name: name, data: data) {
                case .success(let instance): instances.append(instance)
                case .failure(let problem): malformed.append(("\(name)\u{0}\(data.hashValue)", problem.reason))
                }
            }
            instances.sort { $0.address < $1.address }
            self.publish(instances, malformed: malformed, for: key, token: token, path: path)
            return .published
        } catch {
            let connected = self.connectedClient() === client
            self.logger.debug(
                "listing failed; keeping the last known membership",
                metadata: ["zk.path": "\(path)", "error": "\(error)"]
            )
            if let error = error as? ZooKeeperError, error.code.isConnectionProblem { return .notConnected }
            return connected ? .failedWhileConnected : .notConnected
        }
    }

    private func publish(
        _ instances: [ServiceInstance],
        malformed: [(fingerprint: String, reason: String)],
        for key: ServiceKey,
        token: UInt64,
        path: String
    ) {
        let (newlyMalformed, broadcaster): ([String], EventBroadcaster<[ServiceInstance]>?) = self.shared.withLock {
            state in
            guard var group = state.groups[key], group.token == token else { return ([], nil) }
            let fresh = malformed.filter { !group.warned.contains($0.fingerprint) }.map(\.reason)
            group.warned = Set(malformed.map(\.fingerprint))
            if group.snapshot != instances {
                group.snapshot = instances
                group.publishedCount += 1
                group.broadcaster.enqueue(instances)  // under the lock: lists go out in the order they were made
            }
            state.groups[key] = group
            return (fresh, group.broadcaster)
        }
        broadcaster?.deliver()
        for reason in newlyMalformed {
            self.logger.warning("skipping a malformed registry leaf: \(reason)", metadata: ["zk.path": "\(path)"])
        }
    }

    // MARK: For tests

    /// How many distinct snapshots of `key` were delivered so far.
    package func publishedSnapshotCount(for key: ServiceKey) -> Int {
        self.shared.withLock { $0.groups[key]?.publishedCount ?? 0 }
    }

    /// How many streams are subscribed to `key`.
    package func subscriberCount(for key: ServiceKey) -> Int {
        self.shared.withLock { $0.groups[key]?.broadcaster.subscriberCount ?? 0 }
    }
}
