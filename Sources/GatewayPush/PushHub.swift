import GatewayCore
import Logging
import NIOConcurrencyHelpers
import NIOCore

/// The feeds: one per destination, numbered and retained, fed by the broker and fanned
/// out to the browsers on every event loop.
///
/// Threading: the table of feeds is behind one lock, taken once per broker message and
/// once per (un)subscription, never per delivery. A message is encoded once, under
/// that lock (so numbering and encoding follow the broker's order), and handed to each
/// event loop that has subscribers for its destination with one `execute`; there a
/// ``LoopFanout`` writes it to every subscriber and flushes once per loop tick.
///
/// Upstream: destinations covered by ``PushSettings/retain`` are subscribed at start and
/// kept; any other destination is subscribed when its first browser arrives and released
/// ``PushSettings/upstreamGrace`` after the last one leaves (``UpstreamSubscriptions``).
public final class PushHub: Sendable {
    /// A subscriber's answer from ``attach(_:start:loop:)``.
    struct Attachment {
        var start: DestinationFeed<FeedMessage>.Start
        var lastSequence: UInt64
        var epoch: String
        /// Numbered by stream offsets (shared by every instance).
        var isSparse = false
    }

    /// Where a new subscriber starts.
    enum StartPoint: Sendable, Equatable {
        case latest
        case all
        case live
        case after(FeedPosition)

        /// Parses `since`: absent → latest; `all`, `live`, `latest`, or a position.
        init?(since: String?) {
            switch since {
            case nil, "latest": self = .latest
            case "all": self = .all
            case "live": self = .live
            case let text?:
                guard let position = FeedPosition(text) else { return nil }
                self = .after(position)
            }
        }
    }

    private struct Destination {
        var feed: DestinationFeed<FeedMessage>
        var watchers = 0
        var loopWatchers: [ObjectIdentifier: Int] = [:]
        var lastPublish: ContinuousClock.Instant

        mutating func publish(
            _ message: PushUpstreamMessage,
            hub: PushHub,
            receivedAt: NIODeadline,
            at now: ContinuousClock.Instant
        ) -> (FeedMessage, [LoopFanout]) {
            let sequence = feed.position.sequence + 1
            let encoded = FeedMessage.encode(message, sequence: sequence, epoch: feed.epoch, receivedAt: receivedAt, allocator: hub.allocator)
            feed.publish(encoded, size: encoded.retainedSize, at: now)
            lastPublish = now
            var loops: [LoopFanout] = []
            for (id, count) in loopWatchers where count > 0 {
                if let fanout = hub.fanouts[id] { loops.append(fanout) }
            }
            return (encoded, loops)
        }

        mutating func attach(start: StartPoint, loop: ObjectIdentifier, at now: ContinuousClock.Instant) -> Attachment {
            let answer: DestinationFeed<FeedMessage>.Start
            switch start {
            case .latest: answer = feed.start(from: nil, at: now)
            case .all: answer = .messages(feed.latest(Int.max, at: now))
            case .live: answer = .messages([])
            case .after(let position): answer = feed.start(from: position, at: now)
            }
            watchers += 1
            loopWatchers[loop, default: 0] += 1
            return Attachment(start: answer, lastSequence: feed.position.sequence, epoch: feed.epoch, isSparse: feed.isSparse)
        }

        /// Retains and encodes a stream message numbered `sequence`; `nil` if this feed
        /// has it already (read again after a reconnect).
        mutating func publish(
            _ message: PushUpstreamMessage,
            sequence: UInt64,
            hub: PushHub,
            receivedAt: NIODeadline,
            at now: ContinuousClock.Instant
        ) -> (FeedMessage, [LoopFanout])? {
            guard sequence > feed.position.sequence else { return nil }
            let encoded = FeedMessage.encode(message, sequence: sequence, epoch: feed.epoch, receivedAt: receivedAt, allocator: hub.allocator)
            feed.publish(encoded, size: encoded.retainedSize, at: now, sequence: sequence)
            lastPublish = now
            var loops: [LoopFanout] = []
            for (id, count) in loopWatchers where count > 0 {
                if let fanout = hub.fanouts[id] { loops.append(fanout) }
            }
            return (encoded, loops)
        }

        mutating func detach(loop: ObjectIdentifier) {
            watchers = max(0, watchers - 1)
            let remaining = (loopWatchers[loop] ?? 1) - 1
            if remaining <= 0 { loopWatchers.removeValue(forKey: loop) } else { loopWatchers[loop] = remaining }
        }
    }

    private struct State {
        var destinations: [String: Destination] = [:]
        var upstream: UpstreamSubscriptions
        var handles: [String: any PushUpstreamSubscription] = [:]
        var retainHandles: [any PushUpstreamSubscription] = []
        var stopped = false
    }

    /// The epoch of every feed of this hub (one gateway process life).
    public let epoch: String
    /// The epoch of stream-backed feeds (`feeds.stream`): the same on every instance.
    public let streamEpoch: String?
    let settings: PushSettings
    let upstream: any PushUpstream
    let metrics: PushMetrics
    let authenticator: PushAuthenticator
    let logger: Logger
    private let retainPatterns: [DestinationPattern]
    private let state: NIOLockedValueBox<State>
    fileprivate let fanouts: [ObjectIdentifier: LoopFanout]
    fileprivate let allocator = ByteBufferAllocator()

    /// Creates the hub for the server's event loops.
    init(
        settings: PushSettings,
        upstream: any PushUpstream,
        authenticator: PushAuthenticator,
        eventLoops: [any EventLoop],
        logger: Logger
    ) throws {
        self.settings = settings
        self.authenticator = authenticator
        self.upstream = upstream
        self.logger = logger
        self.metrics = PushMetrics()
        var patterns: [DestinationPattern] = []
        for text in settings.retain { patterns.append(try DestinationPattern(text)) }
        self.retainPatterns = patterns
        self.epoch = Self.makeEpoch()
        self.streamEpoch = settings.stream.map(Self.streamEpoch(for:))
        self.state = NIOLockedValueBox(State(upstream: UpstreamSubscriptions(grace: settings.upstreamGrace)))
        var fanouts: [ObjectIdentifier: LoopFanout] = [:]
        let delay = TimeAmount.microseconds(Int64(settings.flushDelayMicroseconds))
        for loop in eventLoops { fanouts[ObjectIdentifier(loop)] = LoopFanout(loop: loop, metrics: metrics, flushDelay: delay) }
        self.fanouts = fanouts
    }

    /// `s` and eight base-36 digits of a stable hash (FNV-1a) of the stream's name.
    static func streamEpoch(for name: String) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in name.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x100_0000_01b3
        }
        let digits = String(hash, radix: 36)
        return "s" + String(digits.suffix(8))
    }

    static func makeEpoch() -> String {
        let alphabet = Array("abcdefghijklmnopqrstuvwxyz0123456789")
        var generator = SystemRandomNumberGenerator()
        return String((0..<8).map { _ in alphabet.randomElement(using: &generator)! })
    }

    /// The fan-out of `loop`.
    func fanout(for loop: any EventLoop) -> LoopFanout {
        guard let fanout = fanouts[ObjectIdentifier(loop)] else {
            preconditionFailure("event loop not served by this hub")
        }
        return fanout
    }

    /// Whether `destination` is covered by a retained upstream subscription.
    func isRetained(_ destination: String) -> Bool {
        retainPatterns.contains { $0.matches(destination) }
    }

    // MARK: Lifecycle

    /// Subscribes the retained patterns upstream (retrying until the broker answers)
    /// and starts the timers.
    func start() {
        for loopFanout in fanouts.values { loopFanout.startTicking() }
        if let loop = fanouts.values.first?.loop {
            loop.scheduleRepeatedTask(initialDelay: .seconds(1), delay: .seconds(1)) { [weak self] task in
                guard let self else {
                    task.cancel()
                    return
                }
                self.sweep()
            }
        }
        if let stream = settings.stream {
            Task { await self.subscribeStream(stream) }
        } else {
            for pattern in settings.retain {
                Task { await self.subscribeRetained(pattern) }
            }
        }
    }

    /// Stream-backed feeds are in use (the stream subscription is up).
    private let streamActive = NIOLockedValueBox(false)

    private func subscribeStream(_ name: String) async {
        var attempt = 0
        while !state.withLockedValue({ $0.stopped }) {
            do {
                let handle = try await upstream.subscribeStream(name, bindings: settings.retain, maxAge: settings.history.maxAge) {
                    [weak self] message, offset in
                    self?.publish(message, streamSequence: offset + 1)
                }
                streamActive.withLockedValue { $0 = true }
                state.withLockedValue { $0.retainHandles.append(handle) }
                metrics.upstreamSubscriptions.record(Double(currentUpstreamCount()))
                logger.info("feeds read from the broker stream", metadata: ["stream": "\(name)", "epoch": "\(streamEpoch ?? "")"])
                return
            } catch let error as PushStreamUnsupported {
                logger.error(
                    "feeds.stream cannot be used; history stays in this process (positions do not carry over to other instances)",
                    metadata: ["error": "\(error)"]
                )
                for pattern in settings.retain {
                    Task { await self.subscribeRetained(pattern) }
                }
                return
            } catch {
                attempt += 1
                if attempt == 3 || attempt % 20 == 0 {
                    logger.warning("could not read the feeds stream; retrying", metadata: ["stream": "\(name)", "error": "\(error)"])
                }
                try? await Task.sleep(for: .milliseconds(min(5000, 100 * (1 << min(attempt, 6)))))
            }
        }
    }

    private func subscribeRetained(_ pattern: String) async {
        var attempt = 0
        while !state.withLockedValue({ $0.stopped }) {
            do {
                let handle = try await upstream.subscribe(pattern) { [weak self] message in self?.publish(message) }
                state.withLockedValue { $0.retainHandles.append(handle) }
                metrics.upstreamSubscriptions.record(Double(currentUpstreamCount()))
                logger.info("retained upstream subscription", metadata: ["pattern": "\(pattern)"])
                return
            } catch {
                attempt += 1
                if attempt == 3 || attempt % 20 == 0 {
                    logger.warning("could not subscribe upstream; retrying", metadata: ["destination": "\(pattern)", "error": "\(error)"])
                }
                try? await Task.sleep(for: .milliseconds(min(5000, 100 * (1 << min(attempt, 6)))))
            }
        }
    }

    /// The broker connection was lost and is back: messages published meanwhile may be
    /// missing from every feed. Every live subscriber gets a gap notice of unknown size
    /// (`missed` 0) at its current position, and ``upstreamGaps`` counts the event —
    /// except subscribers of stream-backed feeds (`feeds.stream`), which miss nothing.
    public func reportUpstreamGap() {
        metrics.upstreamGap()
        for fanout in fanouts.values {
            fanout.loop.execute { fanout.broadcastGap() }
        }
    }

    /// Tells every browser connection to reconnect elsewhere (`shutting_down`) and
    /// closes it; returns when every loop has done so.
    func shutdownConnections() async {
        for fanout in fanouts.values {
            try? await fanout.loop.submit { fanout.shutdownAll() }.get()
        }
        // Let the ERROR frames and error events reach the sockets.
        try? await Task.sleep(for: .milliseconds(200))
    }

    /// Ends every upstream subscription.
    func stop() async {
        let handles = state.withLockedValue { state -> [any PushUpstreamSubscription] in
            state.stopped = true
            defer {
                state.handles = [:]
                state.retainHandles = []
            }
            return Array(state.handles.values) + state.retainHandles
        }
        for handle in handles { await handle.cancel() }
    }

    /// Upstream subscriptions held now (retained patterns and on-demand destinations).
    public var upstreamSubscriptionCount: Int { currentUpstreamCount() }

    private func currentUpstreamCount() -> Int {
        state.withLockedValue { $0.retainHandles.count + $0.upstream.count }
    }

    /// Destinations with a feed now.
    public var destinationCount: Int { state.withLockedValue { $0.destinations.count } }

    /// One feed's figures, for the admin page.
    public struct FeedStatus: Sendable, Codable, Equatable {
        /// The destination.
        public var destination: String
        /// Browsers watching it now.
        public var watchers: Int
        /// Messages numbered so far (the latest sequence).
        public var messages: UInt64
        /// Seconds since the last message.
        public var idleSeconds: Double
    }

    /// Every feed's figures, busiest first.
    public func feedStatuses() -> [FeedStatus] {
        let now = ContinuousClock.now
        return state.withLockedValue { state in
            state.destinations.map { name, destination in
                FeedStatus(
                    destination: name,
                    watchers: destination.watchers,
                    messages: destination.feed.position.sequence,
                    idleSeconds: Double((now - destination.lastPublish).totalNanoseconds) / 1e9
                )
            }
        }
        .sorted { ($0.watchers, $0.messages) > ($1.watchers, $1.messages) }
    }

    /// Open browser connections by transport (`websocket`, `sse`).
    public var connectionCounts: [String: Int] { metrics.connections }

    /// Browsers watching `destination` now.
    public func watchers(of destination: String) -> Int {
        state.withLockedValue { $0.destinations[destination]?.watchers ?? 0 }
    }

    // MARK: Messages from the broker

    /// Numbers, encodes, retains and fans out one broker message.
    func publish(_ message: PushUpstreamMessage) {
        let now = ContinuousClock.now
        let receivedAt = NIODeadline.now()
        metrics.messagesIn.increment()
        let (encoded, loops): (FeedMessage, [LoopFanout]) = state.withLockedValue { state in
            // Mutated in place: a copy would copy the retained history too.
            state.destinations[message.destination, default: Destination(feed: makeFeed(for: message.destination), lastPublish: now)].publish(
                message,
                hub: self,
                receivedAt: receivedAt,
                at: now
            )
        }
        for fanout in loops {
            fanout.loop.execute { fanout.deliver(encoded) }
        }
    }

    private func makeFeed() -> DestinationFeed<FeedMessage> {
        DestinationFeed(epoch: epoch, limits: settings.history, initialReplay: settings.initialReplay)
    }

    /// A stream-backed feed for a retained destination when the stream is read, else an
    /// ordinary one.
    private func makeFeed(for destination: String) -> DestinationFeed<FeedMessage> {
        if let streamEpoch, isRetained(destination), streamActive.withLockedValue({ $0 }) {
            // The stream is read from its first message: nothing before offset 0.
            return DestinationFeed(epoch: streamEpoch, limits: settings.history, initialReplay: settings.initialReplay, floor: 0)
        }
        return makeFeed()
    }

    /// Retains and fans out a message of the feeds stream, numbered by its offset.
    func publish(_ message: PushUpstreamMessage, streamSequence sequence: UInt64) {
        let now = ContinuousClock.now
        let receivedAt = NIODeadline.now()
        let result: (FeedMessage, [LoopFanout])? = state.withLockedValue { state in
            if let existing = state.destinations[message.destination], !existing.feed.isSparse, existing.feed.retainedCount == 0 {
                // Watched before the stream was read: number it by the stream from now on.
                state.destinations[message.destination]?.feed = makeFeed(for: message.destination)
            }
            return state.destinations[message.destination, default: Destination(feed: makeFeed(for: message.destination), lastPublish: now)].publish(
                message,
                sequence: sequence,
                hub: self,
                receivedAt: receivedAt,
                at: now
            )
        }
        guard let (encoded, loops) = result else { return }
        metrics.messagesIn.increment()
        for fanout in loops {
            fanout.loop.execute { fanout.deliver(encoded) }
        }
    }

    // MARK: Subscribers

    /// Registers a subscriber of `destination` on `loop` and answers where it starts.
    /// Call on `loop`; then write the start entries and add the subscriber to the loop's
    /// fan-out (messages after ``Attachment/lastSequence`` arrive there).
    func attach(_ destination: String, start: StartPoint, loop: any EventLoop) -> Attachment {
        let now = ContinuousClock.now
        let retained = isRetained(destination)
        let (attachment, action) = state.withLockedValue { state -> (Attachment, UpstreamSubscriptions.Action?) in
            let attachment = state.destinations[destination, default: Destination(feed: makeFeed(for: destination), lastPublish: now)].attach(
                start: start,
                loop: ObjectIdentifier(loop),
                at: now
            )
            let action = retained ? nil : state.upstream.acquire(destination)
            return (attachment, action)
        }
        if case .subscribe(let name) = action {
            Task { await self.subscribeOnDemand(name) }
        }
        return attachment
    }

    /// What a subscriber that fell behind (or resumes) at `sequence` gets now.
    func catchUp(_ destination: String, after sequence: UInt64) -> Attachment {
        let now = ContinuousClock.now
        return state.withLockedValue { state in
            guard let entry = state.destinations[destination] else {
                return Attachment(start: .messages([]), lastSequence: sequence, epoch: epoch)
            }
            let feed = entry.feed
            let position = FeedPosition(epoch: feed.epoch, sequence: sequence)!
            return Attachment(
                start: feed.start(from: position, at: now),
                lastSequence: feed.position.sequence,
                epoch: feed.epoch,
                isSparse: feed.isSparse
            )
        }
    }

    /// Unregisters a subscriber. Call on its loop.
    func detach(_ destination: String, loop: any EventLoop) {
        let now = ContinuousClock.now
        let retained = isRetained(destination)
        state.withLockedValue { state in
            guard state.destinations[destination] != nil else { return }
            state.destinations[destination]!.detach(loop: ObjectIdentifier(loop))
            if !retained { state.upstream.release(destination, at: now) }
        }
    }

    private func subscribeOnDemand(_ destination: String) async {
        do {
            let handle = try await upstream.subscribe(destination) { [weak self] message in self?.publish(message) }
            let keep = state.withLockedValue { state -> Bool in
                guard !state.stopped, state.upstream.watchers(of: destination) > 0 || state.upstream.destinations.contains(destination) else {
                    return false
                }
                state.handles[destination] = handle
                return true
            }
            if !keep { await handle.cancel() }
            metrics.upstreamSubscriptions.record(Double(currentUpstreamCount()))
        } catch {
            logger.warning("could not subscribe upstream", metadata: ["destination": "\(destination)", "error": "\(error)"])
            // Forget it, so that the next browser tries again.
            state.withLockedValue { $0.upstream.forget(destination) }
        }
    }

    // MARK: Housekeeping

    /// Once a second: age out history, drop idle feeds beyond the limits, release
    /// upstream subscriptions past their grace period.
    func sweep() {
        let now = ContinuousClock.now
        let released: [any PushUpstreamSubscription] = state.withLockedValue { state in
            var idle: [(String, ContinuousClock.Instant)] = []
            for name in Array(state.destinations.keys) {
                state.destinations[name]!.feed.evict(at: now)
                let entry = state.destinations[name]!
                guard entry.watchers == 0 else { continue }
                if entry.feed.retainedCount == 0 && state.upstream.watchers(of: name) == 0 {
                    state.destinations.removeValue(forKey: name)
                } else {
                    idle.append((name, entry.lastPublish))
                }
            }
            let excess = state.destinations.count - settings.maxDestinations
            if excess > 0 {
                for (name, _) in idle.sorted(by: { $0.1 < $1.1 }).prefix(excess) { state.destinations.removeValue(forKey: name) }
            }
            var released: [any PushUpstreamSubscription] = []
            for action in state.upstream.expire(at: now) {
                if case .unsubscribe(let name) = action, let handle = state.handles.removeValue(forKey: name) {
                    released.append(handle)
                }
            }
            return released
        }
        metrics.retainedDestinations.record(Double(destinationCount))
        if !released.isEmpty {
            Task {
                for handle in released { await handle.cancel() }
                self.metrics.upstreamSubscriptions.record(Double(self.currentUpstreamCount()))
            }
        }
    }
}
