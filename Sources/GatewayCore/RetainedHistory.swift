import DequeModule

/// One destination's recent messages, numbered, for new subscribers and for resume.
///
/// Every appended message gets the next sequence number (from 1). A subscriber that
/// reconnects with the last number it saw gets exactly what it missed while that is
/// still retained, or a ``Replay/gap`` that says how many it cannot have.
///
/// ```swift
/// var history = RetainedHistory<String>(limits: .init(maxMessages: 3))
/// let now = ContinuousClock.now
/// for status in ["paid", "packed", "shipped", "delivered"] { history.append(status, size: status.utf8.count, at: now) }
/// history.replay(after: 2, at: now)   // .messages([3 "shipped", 4 "delivered"])
/// history.replay(after: 0, at: now)   // .gap(missed: 1, then [2, 3, 4])
/// ```
///
/// **Sparse numbering** (``init(limits:floor:)``): the sequence numbers come from
/// outside — a RabbitMQ stream's offsets, shared by every gateway instance reading the
/// stream — and increase with gaps between one destination's messages. Each entry then
/// remembers its predecessor's number; a subscriber is answered exactly when its
/// position is at least the oldest retained entry's predecessor, and with a gap of
/// unknown size otherwise. A position beyond the newest (another instance read further
/// already) gets nothing yet, not a gap.
///
/// A value type with no I/O and an injected clock, so it is tested without sleeping.
public struct RetainedHistory<Message: Sendable>: Sendable {
    /// One retained message.
    public struct Entry: Sendable {
        /// Its sequence number in this destination.
        public let sequence: UInt64
        /// The sequence number of the message before it in this destination (in sparse
        /// numbering: or the floor, where reading began).
        public let previous: UInt64
        /// When it was appended.
        public let time: ContinuousClock.Instant
        /// The message.
        public let message: Message
        /// Its size against ``RetainedHistoryLimits/maxBytes``.
        public let size: Int
    }

    /// What a subscriber gets for a position.
    public enum Replay: Sendable {
        /// Everything after the position, in order (possibly nothing).
        case messages([Entry])
        /// `missed` messages after the position are no longer retained; what follows is.
        case gap(missed: UInt64, then: [Entry])
    }

    /// The bounds in force.
    public var limits: RetainedHistoryLimits
    private var entries = Deque<Entry>()
    private var bytes = 0
    /// The sequence number of the newest message ever appended (0 before the first).
    public private(set) var lastSequence: UInt64 = 0
    /// Messages evicted so far (for the `history_evicted_total` metric).
    public private(set) var evictedCount: UInt64 = 0

    /// Whether sequence numbers are given by ``append(_:size:at:sequence:)`` (sparse).
    public let isSparse: Bool

    /// Creates an empty history.
    public init(limits: RetainedHistoryLimits = .default) {
        self.limits = limits
        self.isSparse = false
    }

    /// Creates an empty history with sparse numbering: every message numbered after
    /// `floor` will be appended (reading starts there).
    public init(limits: RetainedHistoryLimits = .default, floor: UInt64) {
        self.limits = limits
        self.isSparse = true
        self.lastSequence = floor
    }

    /// Messages retained now.
    public var count: Int { entries.count }

    /// The oldest retained sequence number, if any.
    public var firstSequence: UInt64? { entries.first?.sequence }

    /// Appends a message and returns its sequence number, evicting what the limits
    /// no longer allow (never the newest).
    @discardableResult
    public mutating func append(_ message: Message, size: Int, at time: ContinuousClock.Instant) -> UInt64 {
        lastSequence += 1
        entries.append(Entry(sequence: lastSequence, previous: lastSequence - 1, time: time, message: message, size: size))
        bytes += size
        evict(at: time)
        return lastSequence
    }

    /// Appends a message numbered `sequence` (sparse numbering). Returns `nil`, and
    /// keeps nothing, for a number not above ``lastSequence`` (read again after a
    /// reconnect).
    @discardableResult
    public mutating func append(_ message: Message, size: Int, at time: ContinuousClock.Instant, sequence: UInt64) -> UInt64? {
        guard sequence > lastSequence else { return nil }
        entries.append(Entry(sequence: sequence, previous: lastSequence, time: time, message: message, size: size))
        lastSequence = sequence
        bytes += size
        evict(at: time)
        return sequence
    }

    /// Evicts by age, count and bytes, keeping the newest message.
    public mutating func evict(at now: ContinuousClock.Instant) {
        while entries.count > 1 {
            let oldest = entries[entries.startIndex]
            let tooMany = entries.count > limits.maxMessages
            let tooBig = bytes > limits.maxBytes
            let tooOld = now - oldest.time > limits.maxAge
            guard tooMany || tooBig || tooOld else { break }
            entries.removeFirst()
            bytes -= oldest.size
            evictedCount += 1
        }
    }

    /// The newest `count` retained messages, oldest first.
    public func latest(_ count: Int, at now: ContinuousClock.Instant) -> [Entry] {
        var copy = self
        copy.evict(at: now)
        return Array(copy.entries.suffix(max(0, count)))
    }

    /// What a subscriber that has seen everything up to `sequence` should get now.
    ///
    /// A position beyond ``lastSequence`` (from another epoch, or forged) is answered
    /// with everything retained, as a gap of unknown size (0), so the client resets.
    public func replay(after sequence: UInt64, at now: ContinuousClock.Instant) -> Replay {
        var copy = self
        copy.evict(at: now)
        let retained = copy.entries
        if sequence > lastSequence {
            // Sparse: another instance has read further; what comes next is live.
            return isSparse ? .messages([]) : .gap(missed: 0, then: Array(retained))
        }
        guard let first = retained.first else {
            // Nothing retained: everything after `sequence` is gone.
            if sequence == lastSequence { return .messages([]) }
            return .gap(missed: isSparse ? 0 : lastSequence - sequence, then: [])
        }
        if sequence >= first.previous {
            return .messages(retained.filter { $0.sequence > sequence })
        }
        return .gap(missed: isSparse ? 0 : first.sequence - sequence - 1, then: Array(retained))
    }
}
