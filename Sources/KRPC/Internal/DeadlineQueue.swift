/// A min-heap of `(deadline, request id)` with lazy deletion, one per connection.
///
/// Calls that complete are not removed (that would be O(n)); their entries are skipped when they
/// reach the top, and the heap is rebuilt from the live calls when stale entries outnumber them.
/// One event-loop timer per connection then serves every call's deadline, where a scheduled task
/// per call would cost an allocation and an O(n) cancel in NIO's task queue.
struct DeadlineQueue {
    struct Entry {
        var deadline: UInt64  // NIODeadline.uptimeNanoseconds
        var id: UInt64
    }

    private(set) var entries: [Entry] = []

    var isEmpty: Bool { self.entries.isEmpty }
    var count: Int { self.entries.count }

    /// The earliest deadline in the heap (possibly of a call that already completed).
    var minimum: Entry? { self.entries.first }

    mutating func push(deadline: UInt64, id: UInt64) {
        self.entries.append(Entry(deadline: deadline, id: id))
        self.siftUp(self.entries.count - 1)
    }

    /// Removes and returns the earliest entry.
    mutating func pop() -> Entry? {
        guard !self.entries.isEmpty else { return nil }
        let top = self.entries[0]
        let last = self.entries.removeLast()
        if !self.entries.isEmpty {
            self.entries[0] = last
            self.siftDown(0)
        }
        return top
    }

    /// Rebuilds the heap from `live` entries when stale ones pile up: call after each push with
    /// the number of calls still pending.
    mutating func compactIfNeeded(liveCount: Int, live: () -> [Entry]) {
        guard self.entries.count > 2 * liveCount + 1024 else { return }
        self.entries = live()
        guard self.entries.count > 1 else { return }
        for i in stride(from: self.entries.count / 2 - 1, through: 0, by: -1) {
            self.siftDown(i)
        }
    }

    mutating func removeAll() {
        self.entries.removeAll(keepingCapacity: true)
    }

    private mutating func siftUp(_ index: Int) {
        var child = index
        let item = self.entries[child]
        while child > 0 {
            let parent = (child - 1) / 2
            guard item.deadline < self.entries[parent].deadline else { break }
            self.entries[child] = self.entries[parent]
            child = parent
        }
        self.entries[child] = item
    }

    private mutating func siftDown(_ index: Int) {
        let count = self.entries.count
        var parent = index
        let item = self.entries[parent]
        while true {
            let left = 2 * parent + 1
            guard left < count else { break }
            let right = left + 1
            var smallest = left
            if right < count, self.entries[right].deadline < self.entries[left].deadline { smallest = right }
            guard self.entries[smallest].deadline < item.deadline else { break }
            self.entries[parent] = self.entries[smallest]
            parent = smallest
        }
        self.entries[parent] = item
    }
}
