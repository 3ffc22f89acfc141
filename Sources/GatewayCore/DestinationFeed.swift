/// One destination's feed as browsers see it: numbered messages, a retained window,
/// and the answer to "where do I start?" for a new or returning subscriber.
///
/// Positions are ``FeedPosition``s (`EPOCH-SEQUENCE`). The epoch is fixed for the life
/// of the feed; a position from another epoch (the gateway restarted, or another
/// instance numbered differently) cannot be trusted, so it is answered with everything
/// retained and a gap notice of unknown size.
///
/// ```swift
/// var feed = DestinationFeed<String>(epoch: "k3f9a")
/// let first = feed.publish("paid", size: 4, at: now)        // k3f9a-1
/// feed.start(from: nil, at: now)                             // .messages([1 "paid"]): the current status
/// feed.start(from: first, at: now)                           // .messages([]): up to date
/// ```
public struct DestinationFeed<Message: Sendable>: Sendable {
    /// Where a subscriber starts.
    public enum Start: Sendable {
        /// These messages, in order, then live ones; nothing was missed.
        case messages([RetainedHistory<Message>.Entry])
        /// `missed` messages (0: unknown how many) cannot be had; these follow, then live ones.
        case gap(missed: UInt64, then: [RetainedHistory<Message>.Entry])
    }

    /// The life of this feed's numbering.
    public let epoch: String
    /// How many retained messages a subscriber without a position gets. Default 1:
    /// the current status.
    public var initialReplay: Int
    private(set) var history: RetainedHistory<Message>

    /// Creates a feed; `epoch` must be a valid ``FeedPosition`` epoch (1–32 of `[A-Za-z0-9_]`).
    public init(epoch: String, limits: RetainedHistoryLimits = .default, initialReplay: Int = 1) {
        precondition(FeedPosition.isValidEpoch(epoch), "invalid feed epoch '\(epoch)'")
        self.epoch = epoch
        self.history = RetainedHistory(limits: limits)
        self.initialReplay = max(0, initialReplay)
    }

    /// Creates a feed with sparse numbering (``RetainedHistory/init(limits:floor:)``):
    /// messages are numbered by ``publish(_:size:at:sequence:)``, e.g. with a RabbitMQ
    /// stream's offsets, so that every instance reading the stream gives a message the
    /// same position.
    public init(epoch: String, limits: RetainedHistoryLimits = .default, initialReplay: Int = 1, floor: UInt64) {
        precondition(FeedPosition.isValidEpoch(epoch), "invalid feed epoch '\(epoch)'")
        self.epoch = epoch
        self.history = RetainedHistory(limits: limits, floor: floor)
        self.initialReplay = max(0, initialReplay)
    }

    /// The position of the newest message (sequence 0 before the first).
    public var position: FeedPosition { FeedPosition(epoch: epoch, sequence: history.lastSequence)! }

    /// Messages retained now.
    public var retainedCount: Int { history.count }

    /// Whether messages are numbered from outside (stream offsets).
    public var isSparse: Bool { history.isSparse }

    /// Messages evicted so far.
    public var evictedCount: UInt64 { history.evictedCount }

    /// Numbers and retains a message; returns its position.
    @discardableResult
    public mutating func publish(_ message: Message, size: Int, at time: ContinuousClock.Instant) -> FeedPosition {
        let sequence = history.append(message, size: size, at: time)
        return FeedPosition(epoch: epoch, sequence: sequence)!
    }

    /// Retains a message numbered `sequence` (sparse numbering); `nil` if that number is
    /// not above the newest (a message read again).
    @discardableResult
    public mutating func publish(_ message: Message, size: Int, at time: ContinuousClock.Instant, sequence: UInt64) -> FeedPosition? {
        guard let sequence = history.append(message, size: size, at: time, sequence: sequence) else { return nil }
        return FeedPosition(epoch: epoch, sequence: sequence)!
    }

    /// Applies the age bound now (the count and byte bounds apply on publish).
    public mutating func evict(at now: ContinuousClock.Instant) {
        history.evict(at: now)
    }

    /// The newest `count` retained messages (`Int.max`: all), oldest first.
    public func latest(_ count: Int, at now: ContinuousClock.Instant) -> [RetainedHistory<Message>.Entry] {
        history.latest(count, at: now)
    }

    /// Where a subscriber at `position` starts: `nil` for a new one (the newest
    /// ``initialReplay`` messages), else exactly what it missed, or a gap notice.
    public func start(from position: FeedPosition?, at now: ContinuousClock.Instant) -> Start {
        guard let position else {
            return .messages(history.latest(initialReplay, at: now))
        }
        guard position.epoch == epoch else {
            return .gap(missed: 0, then: history.latest(Int.max, at: now))
        }
        switch history.replay(after: position.sequence, at: now) {
        case .messages(let entries): return .messages(entries)
        case .gap(let missed, let entries): return .gap(missed: missed, then: entries)
        }
    }
}
