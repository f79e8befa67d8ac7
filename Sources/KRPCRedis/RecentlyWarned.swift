/// The values a watcher has already warned about, so each is warned about once, kept to the newest
/// `capacity` of them: a key that takes ever new values (a script writing garbage) cannot grow it without bound.
/// Forgetting the oldest means such a value, if it comes back after `capacity` others, is warned about again.
struct RecentlyWarned<Value: Hashable & Sendable>: Sendable {
    let capacity: Int
    private var members: Set<Value> = []
    /// Oldest first; `head` is the next to forget (a ring once full, so inserting never shifts the array).
    private var order: [Value] = []
    private var head = 0

    init(capacity: Int) {
        precondition(capacity > 0, "RecentlyWarned needs room for one value")
        self.capacity = capacity
    }

    var count: Int { self.members.count }

    /// Records `value`; true when it was not remembered, i.e. it is to be warned about.
    mutating func insert(_ value: Value) -> Bool {
        guard self.members.insert(value).inserted else { return false }
        if self.order.count < self.capacity {
            self.order.append(value)
        } else {
            self.members.remove(self.order[self.head])
            self.order[self.head] = value
            self.head = (self.head + 1) % self.capacity
        }
        return true
    }
}
