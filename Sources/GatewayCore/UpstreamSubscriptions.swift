/// Reference counts of the broker subscriptions the gateway holds for its browsers:
/// one upstream subscription per destination however many browsers watch it, released
/// a grace period after the last one leaves (so a page reload does not unsubscribe and
/// subscribe again).
///
/// A value that returns actions; the caller performs them against the broker and calls
/// ``expire(at:)`` from a timer. No I/O, an injected time, tested without sleeping.
///
/// ```swift
/// var upstream = UpstreamSubscriptions(grace: .seconds(30))
/// upstream.acquire("/topic/orders.42")          // .subscribe("/topic/orders.42")
/// upstream.acquire("/topic/orders.42")          // nil: already subscribed
/// upstream.release("/topic/orders.42", at: now) // nil …
/// upstream.release("/topic/orders.42", at: now) // nil: grace period starts
/// upstream.expire(at: now + .seconds(31))       // [.unsubscribe("/topic/orders.42")]
/// ```
public struct UpstreamSubscriptions: Sendable {
    /// What to do against the broker.
    public enum Action: Sendable, Hashable {
        case subscribe(String)
        case unsubscribe(String)
    }

    private struct Entry: Sendable {
        var watchers: Int
        var idleSince: ContinuousClock.Instant?
    }

    /// How long a destination nobody watches stays subscribed. Default 30 s.
    public var grace: Duration
    private var entries: [String: Entry] = [:]

    /// Creates an empty table.
    public init(grace: Duration = .seconds(30)) {
        self.grace = grace
    }

    /// Upstream subscriptions held now (watched or in their grace period).
    public var count: Int { entries.count }

    /// Browsers watching `destination`.
    public func watchers(of destination: String) -> Int { entries[destination]?.watchers ?? 0 }

    /// Every destination subscribed upstream, for re-subscription after a reconnect.
    public var destinations: [String] { Array(entries.keys) }

    /// A browser starts watching; returns `.subscribe` for the first one.
    public mutating func acquire(_ destination: String) -> Action? {
        if var entry = entries[destination] {
            entry.watchers += 1
            entry.idleSince = nil
            entries[destination] = entry
            return nil
        }
        entries[destination] = Entry(watchers: 1, idleSince: nil)
        return .subscribe(destination)
    }

    /// A browser stops watching; the last one starts the grace period. Releasing a
    /// destination nobody watches is ignored.
    public mutating func release(_ destination: String, at now: ContinuousClock.Instant) {
        guard var entry = entries[destination], entry.watchers > 0 else { return }
        entry.watchers -= 1
        if entry.watchers == 0 { entry.idleSince = now }
        entries[destination] = entry
    }

    /// Forgets `destination` at once (its upstream subscription failed), so that the
    /// next ``acquire(_:)`` answers `.subscribe` again.
    public mutating func forget(_ destination: String) {
        entries.removeValue(forKey: destination)
    }

    /// Unsubscribes what has been idle for longer than the grace period.
    public mutating func expire(at now: ContinuousClock.Instant) -> [Action] {
        var actions: [Action] = []
        for (destination, entry) in entries {
            if let idleSince = entry.idleSince, now - idleSince >= grace {
                entries.removeValue(forKey: destination)
                actions.append(.unsubscribe(destination))
            }
        }
        return actions.sorted { "\($0)" < "\($1)" }
    }
}
