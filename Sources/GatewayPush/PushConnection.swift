import GatewayCore
import NIOCore

/// What the two browser transports share: their subscriptions, their place in each
/// feed, the slow-consumer policy, catching up from the history, token expiry.
/// Subclassed by ``SSEConnectionHandler`` and ``STOMPWebSocketHandler``; lives on its
/// channel's event loop.
class PushConnection {
    let hub: PushHub
    let fanout: LoopFanout
    var context: ChannelHandlerContext?
    var grant: AccessGrant
    var subscriptions: [PushSubscription] = []
    var flushPending = false
    var hasBehind = false
    var ended = false {
        didSet { if ended && endedAt == nil { endedAt = .now() } }
    }
    /// When the connection ended: its last words (STOMP `ERROR`, SSE `error` event) are
    /// written and it closes once they are flushed.
    private(set) var endedAt: NIODeadline?
    /// How long those last words may take to flush before the connection is closed
    /// anyway: a client that stopped reading never completes that flush, and would
    /// otherwise keep its socket and send queue forever.
    static let endGrace = TimeAmount.seconds(5)
    /// When something was last written, to the tick's precision (250 ms): no clock
    /// reading per write.
    var lastWrite = NIODeadline.now()
    var wroteSinceTick = false

    init(hub: PushHub, fanout: LoopFanout, grant: AccessGrant) {
        self.hub = hub
        self.fanout = fanout
        self.grant = grant
    }

    /// `websocket` or `sse`.
    var transport: String { isWebSocket ? "websocket" : "sse" }
    var isWebSocket: Bool { false }

    var isWritable: Bool { context?.channel.isWritable ?? false }

    // MARK: For subclasses

    /// Writes one feed message for `subscription` (no flush).
    func write(_ message: FeedMessage, for subscription: PushSubscription) {}

    /// Writes a gap notice: `missed` messages (0: unknown) before `sequence + 1` will not come.
    func writeGap(for subscription: PushSubscription, missed: UInt64, sequence: UInt64) {}

    /// Ends the connection with a reason the client can read (`code` as in the docs).
    func end(code: String, message: String) {}

    /// Closes the channel if the connection ended more than ``endGrace`` ago (called by the tick).
    func closeIfEndStalled(now: NIODeadline) {
        guard let endedAt, now - endedAt > Self.endGrace, let context else { return }
        context.channel.close(promise: nil)
    }

    /// Called four times a second.
    func tick(now: NIODeadline, wallClock: Double) {
        if wroteSinceTick {
            wroteSinceTick = false
            lastWrite = now
        }
        if !ended && grant.isExpired(at: wallClock) {
            hub.metrics.authDenied("token_expired")
            end(code: "token_expired", message: "the token expired; reconnect with a fresh one")
        }
    }

    // MARK: Shared

    /// Writes raw bytes and asks for a flush at the end of the tick.
    func writeBytes(_ buffer: ByteBuffer) {
        guard let context else { return }
        context.write(NIOAny(buffer), promise: nil)
        fanout.needsFlush(self)
    }

    func flushNow() {
        context?.flush()
    }

    /// Starts watching `destination`; writes what the start point gives, then live messages follow.
    @discardableResult
    func subscribe(
        destination: String,
        id: String,
        index: Int,
        start: PushHub.StartPoint,
        prepare: (PushSubscription) -> Void = { _ in }
    )
        -> PushSubscription
    {
        let subscription = PushSubscription(
            destination: destination,
            id: id,
            index: index,
            connection: self,
            policy: hub.settings.slowConsumer.policy(for: destination)
        )
        prepare(subscription)
        subscriptions.append(subscription)
        let attachment = hub.attach(destination, start: start, loop: fanout.loop)
        subscription.epoch = attachment.epoch
        fanout.add(subscription)
        hub.metrics.subscriptionAdded(transport)
        writeStart(subscription, attachment)
        if attachment.isSparse, case .after(let position) = start, position.epoch == attachment.epoch {
            // Another instance may have read the stream further than this one: what the
            // browser already has must not come again.
            subscription.lastSequence = max(subscription.lastSequence, position.sequence)
        }
        return subscription
    }

    /// Stops watching.
    func unsubscribe(_ subscription: PushSubscription) {
        guard let index = subscriptions.firstIndex(where: { $0 === subscription }) else { return }
        subscriptions.remove(at: index)
        fanout.remove(subscription)
        hub.detach(subscription.destination, loop: fanout.loop)
        hub.metrics.subscriptionRemoved(transport)
    }

    /// Everything ends (the channel closed).
    func tearDown() {
        for subscription in subscriptions {
            fanout.remove(subscription)
            hub.detach(subscription.destination, loop: fanout.loop)
            hub.metrics.subscriptionRemoved(transport)
        }
        subscriptions.removeAll()
        fanout.unregister(self)
        context = nil
    }

    /// Writes the start of a feed (a gap notice, then messages) while the connection
    /// keeps up; if it stops keeping up, the rest comes from the history later.
    func writeStart(_ subscription: PushSubscription, _ attachment: PushHub.Attachment) {
        let entries: [RetainedHistory<FeedMessage>.Entry]
        switch attachment.start {
        case .messages(let list):
            entries = list
        case .gap(let missed, let list):
            entries = list
            let sequence = list.first.map(\.previous) ?? attachment.lastSequence
            hub.metrics.gap(transport)
            writeGap(for: subscription, missed: missed, sequence: sequence)
            subscription.lastSequence = sequence
        }
        for entry in entries where entry.sequence > subscription.lastSequence {
            guard isWritable else {
                fellBehind(subscription)
                return
            }
            write(entry.message, for: subscription)
            subscription.lastSequence = entry.sequence
        }
        subscription.lastSequence = max(subscription.lastSequence, attachment.lastSequence)
    }

    /// The connection's queue is full while `subscription` has more to write.
    func fellBehind(_ subscription: PushSubscription) {
        guard !ended else { return }
        switch subscription.policy {
        case .disconnect:
            hub.metrics.slowConsumer(SlowConsumerPolicy.disconnect.rawValue)
            end(
                code: "slow_consumer",
                message: "this client reads slower than \(subscription.destination) publishes; reconnect and resume from the last id"
            )
        case .dropOldest:
            if !subscription.behind { hub.metrics.slowConsumer(SlowConsumerPolicy.dropOldest.rawValue) }
            subscription.behind = true
            hasBehind = true
        }
    }

    /// The queue drained: catch up every subscription that fell behind, from the history.
    func catchUp() {
        guard hasBehind, !ended else { return }
        hasBehind = false
        for subscription in subscriptions where subscription.behind {
            subscription.behind = false
            let attachment = hub.catchUp(subscription.destination, after: subscription.lastSequence)
            writeStart(subscription, attachment)
            if subscription.behind { hasBehind = true }
        }
        flushNow()
    }
}
