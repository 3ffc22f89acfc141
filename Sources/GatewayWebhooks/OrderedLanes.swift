import DequeModule

/// Per-key FIFO lanes: items with the same key run one at a time in arrival order;
/// items with different keys (or no key) run side by side. Pure bookkeeping, no I/O.
///
/// ```swift
/// var lanes = OrderedLanes<Int>()
/// lanes.enqueue(1, key: "order-42")
/// lanes.enqueue(2, key: "order-42")
/// lanes.enqueue(3, key: "order-7")
/// lanes.next()  // (1, "order-42")
/// lanes.next()  // (3, "order-7") — 2 waits for 1
/// lanes.release("order-42")
/// lanes.next()  // (2, "order-42")
/// ```
public struct OrderedLanes<Item> {
    /// A lane's key; items without a key each get a lane of their own.
    public enum Key: Hashable, Sendable {
        /// A value of the ordering header.
        case value(String)
        /// No ordering: a lane for one item.
        case single(UInt64)
    }

    private var waiting: [Key: Deque<Item>] = [:]
    private var ready: Deque<Key> = []
    private var busy: Set<Key> = []
    private var nextSingle: UInt64 = 0
    /// Items enqueued and not yet handed out.
    public private(set) var pendingCount = 0

    /// Empty lanes.
    public init() {}

    /// Adds `item` at the end of the lane for `key` (`nil`: a lane of its own).
    /// Returns the lane's key, to pass to ``release(_:)``.
    @discardableResult
    public mutating func enqueue(_ item: Item, key: String?) -> Key {
        let laneKey: Key
        if let key {
            laneKey = .value(key)
        } else {
            nextSingle &+= 1
            laneKey = .single(nextSingle)
        }
        pendingCount += 1
        if var lane = waiting[laneKey] {
            lane.append(item)
            waiting[laneKey] = lane
        } else {
            waiting[laneKey] = [item]
            if !busy.contains(laneKey) { ready.append(laneKey) }
        }
        return laneKey
    }

    /// The oldest item whose lane is not busy, marking its lane busy; `nil` if none.
    public mutating func next() -> (item: Item, key: Key)? {
        guard let key = ready.popFirst(), var lane = waiting[key], let item = lane.popFirst() else { return nil }
        waiting[key] = lane.isEmpty ? nil : lane
        busy.insert(key)
        pendingCount -= 1
        return (item, key)
    }

    /// Marks `key`'s lane free, so its next item may run.
    public mutating func release(_ key: Key) {
        guard busy.remove(key) != nil else { return }
        if waiting[key] != nil { ready.append(key) }
    }

    /// Removes every waiting item (they are returned, oldest lane first).
    public mutating func drain() -> [Item] {
        var items: [Item] = []
        for key in ready { items += waiting[key] ?? [] }
        for (key, lane) in waiting where !ready.contains(key) { items += lane }
        waiting = [:]
        ready = []
        pendingCount = 0
        return items
    }

    /// Lanes with an item running.
    public var busyCount: Int { busy.count }
}
