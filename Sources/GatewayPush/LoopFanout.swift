import NIOCore

/// The subscribers of one event loop, by destination, and that loop's flush and timer
/// duties. Everything here runs on ``loop`` only: no locks, no tasks, no allocation
/// per delivery.
final class LoopFanout: @unchecked Sendable {
    let loop: any EventLoop
    private let metrics: PushMetrics
    private var subscribers: [String: [PushSubscription]] = [:]
    private var connections: [ObjectIdentifier: PushConnection] = [:]
    private var flushQueue: [PushConnection] = []
    private var flushing: [PushConnection] = []
    private var flushScheduled = false
    private var lastFlush = NIODeadline.uptimeNanoseconds(0)

    /// Writes are flushed this long after the first one (0: at the end of the tick).
    private let flushDelay: TimeAmount

    init(loop: any EventLoop, metrics: PushMetrics, flushDelay: TimeAmount = .zero) {
        self.loop = loop
        self.metrics = metrics
        self.flushDelay = flushDelay
    }

    /// Starts the 250 ms tick that drives heart-beats, timeouts and token expiry.
    func startTicking() {
        loop.scheduleRepeatedTask(initialDelay: .milliseconds(250), delay: .milliseconds(250)) { [weak self] _ in
            self?.tick()
        }
    }

    // MARK: Registration (on loop)

    func register(_ connection: PushConnection) {
        connections[ObjectIdentifier(connection)] = connection
    }

    func unregister(_ connection: PushConnection) {
        connections.removeValue(forKey: ObjectIdentifier(connection))
    }

    func add(_ subscription: PushSubscription) {
        subscribers[subscription.destination, default: []].append(subscription)
    }

    func remove(_ subscription: PushSubscription) {
        guard var list = subscribers[subscription.destination] else { return }
        if let index = list.firstIndex(where: { $0 === subscription }) {
            list.swapAt(index, list.count - 1)
            list.removeLast()
        }
        subscribers[subscription.destination] = list.isEmpty ? nil : list
    }

    // MARK: Delivery (on loop)

    /// Writes `message` to every subscriber of its destination on this loop.
    func deliver(_ message: FeedMessage) {
        guard let list = subscribers[message.destination] else { return }
        var webSocket = 0
        var sse = 0
        for subscription in list {
            if subscription.deliver(message) {
                if subscription.connection.isWebSocket { webSocket += 1 } else { sse += 1 }
            }
        }
        if webSocket > 0 { metrics.messagesOutWebSocket.increment(by: Int64(webSocket)) }
        if sse > 0 { metrics.messagesOutSSE.increment(by: Int64(sse)) }
        if webSocket + sse > 0 {
            metrics.deliveryLatency.recordNanoseconds((NIODeadline.now() - message.receivedAt).nanoseconds)
        }
    }

    /// Asks for one flush of `connection` at the end of this loop tick.
    func needsFlush(_ connection: PushConnection) {
        guard !connection.flushPending else { return }
        connection.flushPending = true
        flushQueue.append(connection)
        if !flushScheduled {
            flushScheduled = true
            // Adaptive: a loop that has not flushed for `flushDelay` flushes at the end of
            // this tick; one that just did waits until `flushDelay` has passed since,
            // so a busy feed's messages share socket writes and a quiet one's do not wait.
            let due = lastFlush + flushDelay
            if flushDelay == .zero || NIODeadline.now() >= due {
                loop.execute { self.flushAll() }
            } else {
                loop.scheduleTask(deadline: due) { self.flushAll() }
            }
        }
    }

    private func flushAll() {
        flushScheduled = false
        if flushDelay != .zero { lastFlush = .now() }
        swap(&flushQueue, &flushing)
        for connection in flushing {
            connection.flushPending = false
            connection.wroteSinceTick = true
            connection.flushNow()
        }
        flushing.removeAll(keepingCapacity: true)
    }

    /// Writes a gap notice of unknown size to every subscriber on this loop.
    func broadcastGap() {
        for connection in connections.values where !connection.ended {
            // A feed numbered by the broker stream (`feeds.stream`) misses nothing: the
            // stream is read again from its first message after the reconnect.
            for subscription in connection.subscriptions where subscription.epoch != connection.hub.streamEpoch {
                connection.hub.metrics.gap(connection.transport)
                connection.writeGap(for: subscription, missed: 0, sequence: subscription.lastSequence)
            }
        }
    }

    /// Ends every connection of this loop with `shutting_down`.
    func shutdownAll() {
        for connection in connections.values {
            connection.end(
                code: "shutting_down",
                message: "the gateway is shutting down; reconnect (after the retry hint) and resume from the last id"
            )
        }
    }

    private func tick() {
        let now = NIODeadline.now()
        let wallClock = PushClock.secondsSince1970()
        for connection in connections.values {
            connection.closeIfEndStalled(now: now)
            connection.tick(now: now, wallClock: wallClock)
        }
    }
}
