import DequeModule
import NIOConcurrencyHelpers
import NIOCore
import STOMPCore

/// The broker's shared state: sessions, subscriptions, topics and queues.
///
/// Every operation takes the lock, decides, and collects the frames to write; the
/// writes happen after the lock is released, each on its connection's event loop.
final class BrokerRouter: @unchecked Sendable {
    struct SubscriptionKey: Hashable, Sendable {
        let sessionID: Int
        let id: String
    }

    struct Subscription: Sendable {
        let key: SubscriptionKey
        let destination: BrokerDestination
        let ackMode: STOMPAckMode
        let prefetch: Int
        /// Ids of delivered, unacknowledged queue messages, in delivery order.
        var unacked: [String] = []
    }

    struct SessionState: Sendable {
        let session: BrokerSession
        var subscriptions: [String: Subscription] = [:]
        var pendingBytes = 0
        var ownedTemporaryQueues: Set<String> = []
    }

    struct QueueState: Sendable {
        var messages = Deque<BrokerMessage>()
        var bytes = 0
        var consumers: [SubscriptionKey] = []
        var next = 0
        var owner: Int?
    }

    struct Delivery {
        let session: BrokerSession
        let frame: STOMPFrame
        let bytes: Int
    }

    private struct State {
        var sessions: [Int: SessionState] = [:]
        var topics: [String: [SubscriptionKey]] = [:]
        /// Topic subscriptions with wildcards (`*` one word, `#` or `>` any words).
        var wildcardTopics: [(pattern: TopicWildcard, key: SubscriptionKey)] = []
        var queues: [String: QueueState] = [:]
        /// Delivered, unacknowledged queue messages by message id.
        var unacked: [String: (key: SubscriptionKey, message: BrokerMessage)] = [:]
        var nextMessageID = 0
        var nextSessionID = 0
    }

    let configuration: EmbeddedBrokerConfiguration
    let metrics = BrokerMetrics()
    /// Starts every message id, so that ids stay unique across broker restarts
    /// (receivers deduplicate webhooks by id).
    private let messageIDPrefix = "m-" + String(UInt32.random(in: .min ... .max), radix: 16) + "-"
    private let lock = NIOLock()
    private var state = State()

    init(configuration: EmbeddedBrokerConfiguration) {
        self.configuration = configuration
    }

    // MARK: Sessions

    func makeSessionID() -> Int {
        lock.withLock {
            state.nextSessionID += 1
            return state.nextSessionID
        }
    }

    var sessionCount: Int { lock.withLock { state.sessions.count } }

    func register(_ session: BrokerSession) {
        lock.withLock { state.sessions[session.id] = SessionState(session: session) }
        metrics.connections.record(sessionCount)
    }

    /// Removes a closed session: its subscriptions end, its unacknowledged queue
    /// messages go back to the front of their queues (marked redelivered), and its
    /// temporary queues are deleted.
    func unregister(sessionID: Int) {
        let sessionsToDrain: [BrokerSession] = lock.withLock {
            guard let session = state.sessions[sessionID] else { return [] }
            var touched = Set<String>()
            for subscription in session.subscriptions.values {
                removeSubscription(subscription, requeueInto: &touched)
            }
            for name in session.ownedTemporaryQueues {
                if let queue = state.queues.removeValue(forKey: name) {
                    metrics.dropped("no_temp_destination", count: queue.messages.count)
                    // Other sessions subscribed to the deleted queue lose that subscription,
                    // and what they had not acknowledged goes with the queue.
                    for key in queue.consumers {
                        if let removed = state.sessions[key.sessionID]?.subscriptions.removeValue(forKey: key.id) {
                            for id in removed.unacked { state.unacked.removeValue(forKey: id) }
                        }
                    }
                }
                touched.remove(name)
            }
            state.sessions.removeValue(forKey: sessionID)
            var deliveries: [Delivery] = []
            for name in touched { dispatch(queue: name, into: &deliveries) }
            return stage(deliveries)
        }
        metrics.connections.record(sessionCount)
        perform(sessionsToDrain)
    }

    // MARK: Subscriptions

    func subscribe(sessionID: Int, id: String, destination name: String, ackMode: STOMPAckMode, prefetch: Int?) throws(BrokerError) {
        let destination = try BrokerDestination(name)
        let sessionsToDrain: [BrokerSession] = try locked { () throws(BrokerError) -> [BrokerSession] in
            guard var session = state.sessions[sessionID] else { return [] }
            guard session.subscriptions[id] == nil else { throw .duplicateSubscription(id) }
            guard session.subscriptions.count < configuration.maxSubscriptionsPerConnection else {
                metrics.rejected("max_subscriptions")
                throw .tooManySubscriptions(configuration.maxSubscriptionsPerConnection)
            }
            let key = SubscriptionKey(sessionID: sessionID, id: id)
            let subscription = Subscription(
                key: key,
                destination: destination,
                ackMode: ackMode,
                prefetch: max(1, prefetch ?? configuration.defaultPrefetch)
            )
            session.subscriptions[id] = subscription
            var deliveries: [Delivery] = []
            if destination.isQueue {
                if state.queues[name] == nil {
                    var queue = QueueState()
                    if destination.kind == .temporaryQueue {
                        queue.owner = sessionID
                        session.ownedTemporaryQueues.insert(name)
                    }
                    state.queues[name] = queue
                }
                state.sessions[sessionID] = session
                state.queues[name]!.consumers.append(key)
                dispatch(queue: name, into: &deliveries)
            } else {
                state.sessions[sessionID] = session
                if let wildcard = TopicWildcard(name) {
                    state.wildcardTopics.append((wildcard, key))
                } else {
                    state.topics[name, default: []].append(key)
                }
            }
            return stage(deliveries)
        }
        perform(sessionsToDrain)
    }

    func unsubscribe(sessionID: Int, id: String) throws(BrokerError) {
        let sessionsToDrain: [BrokerSession] = try locked { () throws(BrokerError) -> [BrokerSession] in
            guard let subscription = state.sessions[sessionID]?.subscriptions.removeValue(forKey: id) else {
                throw .unknownSubscription(id)
            }
            var touched = Set<String>()
            removeSubscription(subscription, requeueInto: &touched)
            var deliveries: [Delivery] = []
            for name in touched { dispatch(queue: name, into: &deliveries) }
            return stage(deliveries)
        }
        perform(sessionsToDrain)
    }

    /// Detaches a subscription from its destination and requeues what it had not
    /// acknowledged. The caller holds the lock.
    private func removeSubscription(_ subscription: Subscription, requeueInto touched: inout Set<String>) {
        let name = subscription.destination.name
        if subscription.destination.isQueue {
            state.queues[name]?.consumers.removeAll { $0 == subscription.key }
            requeue(subscription.unacked, touched: &touched)
            touched.insert(name)
        } else {
            state.topics[name]?.removeAll { $0 == subscription.key }
            if state.topics[name]?.isEmpty == true { state.topics.removeValue(forKey: name) }
            state.wildcardTopics.removeAll { $0.key == subscription.key }
        }
    }

    /// Puts unacknowledged messages back at the front of their queues, in order.
    private func requeue(_ ids: [String], touched: inout Set<String>) {
        for id in ids.reversed() {
            guard var entry = state.unacked.removeValue(forKey: id)?.message else { continue }
            guard state.queues[entry.destination] != nil else { continue }
            entry.redelivered = true
            state.queues[entry.destination]!.messages.prepend(entry)
            state.queues[entry.destination]!.bytes += entry.size
            touched.insert(entry.destination)
        }
    }

    // MARK: Messages

    /// Routes a SEND. Throws when the destination is invalid or a queue is full under
    /// the reject policy.
    func send(_ frame: STOMPFrame, destination name: String) throws(BrokerError) {
        let destination = try BrokerDestination(name)
        metrics.messagesIn.increment()
        let sessionsToDrain: [BrokerSession] = try locked { () throws(BrokerError) -> [BrokerSession] in
            state.nextMessageID += 1
            let message = BrokerMessage(id: messageIDPrefix + String(state.nextMessageID), send: frame, destination: name)
            var deliveries: [Delivery] = []
            if destination.isQueue {
                try enqueue(message, destination: destination)
                dispatch(queue: name, into: &deliveries)
            } else {
                for key in state.topics[name] ?? [] {
                    deliverToTopicSubscriber(message, key: key, into: &deliveries)
                }
                for (pattern, key) in state.wildcardTopics where pattern.matches(name) {
                    deliverToTopicSubscriber(message, key: key, into: &deliveries)
                }
            }
            return stage(deliveries)
        }
        perform(sessionsToDrain)
    }

    private func enqueue(_ message: BrokerMessage, destination: BrokerDestination) throws(BrokerError) {
        let name = destination.name
        if state.queues[name] == nil {
            guard destination.kind == .queue else {
                // A reply to a temporary queue whose owner has gone.
                metrics.dropped("no_temp_destination")
                return
            }
            state.queues[name] = QueueState()
        }
        let maxMessages = configuration.maxQueueMessages
        let maxBytes = configuration.maxQueueBytes
        while let queue = state.queues[name],
            queue.messages.count >= maxMessages || (queue.bytes + message.size > maxBytes && !queue.messages.isEmpty)
        {
            switch configuration.queueOverflowPolicy {
            case .rejectPublish:
                metrics.rejected("queue_full")
                throw .queueFull(name, limit: "maxQueueMessages \(maxMessages), maxQueueBytes \(maxBytes)")
            case .dropOldest:
                let dropped = state.queues[name]!.messages.removeFirst()
                state.queues[name]!.bytes -= dropped.size
                metrics.dropped("queue_full")
            }
        }
        state.queues[name]!.messages.append(message)
        state.queues[name]!.bytes += message.size
    }

    private func deliverToTopicSubscriber(_ message: BrokerMessage, key: SubscriptionKey, into deliveries: inout [Delivery]) {
        guard let session = state.sessions[key.sessionID], let subscription = session.subscriptions[key.id] else { return }
        if session.pendingBytes + message.size > configuration.maxPendingBytesPerConnection {
            metrics.dropped("slow_consumer")
            return
        }
        let frame = message.messageFrame(subscriptionID: key.id, ackMode: subscription.ackMode, version: session.session.version)
        state.sessions[key.sessionID]!.pendingBytes += message.size
        deliveries.append(Delivery(session: session.session, frame: frame, bytes: message.size))
    }

    /// Hands queued messages to consumers, round robin, skipping those at their
    /// prefetch or with too much unwritten output. The caller holds the lock.
    private func dispatch(queue name: String, into deliveries: inout [Delivery]) {
        // Taken out of the dictionary while it is changed: a copy left behind would make
        // the first removeFirst() copy the whole Deque (O(queue length) per dispatch).
        guard var queue = state.queues.removeValue(forKey: name) else { return }
        defer { state.queues[name] = queue }
        guard !queue.consumers.isEmpty, !queue.messages.isEmpty else { return }
        var skipped = 0
        while !queue.messages.isEmpty, skipped < queue.consumers.count {
            let key = queue.consumers[queue.next % queue.consumers.count]
            queue.next &+= 1
            guard let session = state.sessions[key.sessionID], let subscription = session.subscriptions[key.id],
                session.pendingBytes < configuration.queueDispatchPauseBytes,
                subscription.ackMode == .auto || subscription.unacked.count < subscription.prefetch
            else {
                skipped += 1
                continue
            }
            skipped = 0
            let message = queue.messages.removeFirst()
            queue.bytes -= message.size
            if subscription.ackMode != .auto {
                state.sessions[key.sessionID]!.subscriptions[key.id]!.unacked.append(message.id)
                state.unacked[message.id] = (key, message)
            }
            let frame = message.messageFrame(subscriptionID: key.id, ackMode: subscription.ackMode, version: session.session.version)
            state.sessions[key.sessionID]!.pendingBytes += message.size
            deliveries.append(Delivery(session: session.session, frame: frame, bytes: message.size))
        }
    }

    // MARK: Acknowledgements

    /// Acknowledges (or, with `requeue`, negatively acknowledges) a message. In `client`
    /// mode the acknowledgement covers every earlier message of the subscription.
    /// Unknown ids — a topic message, or one acknowledged already — are ignored.
    func acknowledge(sessionID: Int, messageID: String, requeue: Bool) {
        let sessionsToDrain: [BrokerSession] = lock.withLock {
            guard let entry = state.unacked[messageID], entry.key.sessionID == sessionID,
                let subscription = state.sessions[sessionID]?.subscriptions[entry.key.id],
                let position = subscription.unacked.firstIndex(of: messageID)
            else { return [] }
            let covered: [String] =
                subscription.ackMode == .client
                ? Array(subscription.unacked[...position]) : [messageID]
            state.sessions[sessionID]!.subscriptions[entry.key.id]!.unacked.removeAll { covered.contains($0) }
            var touched = Set<String>()
            if requeue {
                self.requeue(covered, touched: &touched)
            } else {
                for id in covered { state.unacked.removeValue(forKey: id) }
            }
            touched.insert(subscription.destination.name)
            var deliveries: [Delivery] = []
            for name in touched { dispatch(queue: name, into: &deliveries) }
            return stage(deliveries)
        }
        perform(sessionsToDrain)
    }

    // MARK: Output accounting

    /// Called when a write finished: frees the session's pending output and resumes
    /// dispatching to it when it had been paused.
    func writeCompleted(sessionID: Int, bytes: Int, messages: Int = 1) {
        metrics.messagesOut.increment(by: Int64(messages))
        let sessionsToDrain: [BrokerSession] = lock.withLock {
            guard let pending = state.sessions[sessionID]?.pendingBytes else { return [] }
            state.sessions[sessionID]!.pendingBytes = pending - bytes
            let pause = configuration.queueDispatchPauseBytes
            guard pending >= pause, pending - bytes < pause, let session = state.sessions[sessionID] else { return [] }
            var deliveries: [Delivery] = []
            for subscription in session.subscriptions.values where subscription.destination.isQueue {
                dispatch(queue: subscription.destination.name, into: &deliveries)
            }
            return stage(deliveries)
        }
        perform(sessionsToDrain)
    }

    /// Runs `body` under the lock, keeping its typed error.
    private func locked<T>(_ body: () throws(BrokerError) -> T) throws(BrokerError) -> T {
        lock.lock()
        defer { lock.unlock() }
        return try body()
    }

    /// Puts deliveries into their sessions' outboxes in the order decided; the caller
    /// holds the lock, so two threads can never reorder one session's messages.
    /// Returns the sessions whose outbox needs a drain scheduled.
    private func stage(_ deliveries: [Delivery]) -> [BrokerSession] {
        var sessions: [BrokerSession] = []
        for delivery in deliveries where delivery.session.enqueue(delivery.frame, accounted: delivery.bytes) {
            sessions.append(delivery.session)
        }
        return sessions
    }

    /// Schedules one drain per session on its event loop (never inline, so a write that
    /// completes at once cannot re-enter the router from inside a write).
    private func perform(_ sessions: [BrokerSession]) {
        for session in sessions { session.scheduleDrain(router: self) }
    }

    // MARK: Introspection

    /// Messages waiting in queue `name` (not counting unacknowledged ones).
    func depth(ofQueue name: String) -> Int {
        lock.withLock { state.queues[name]?.messages.count ?? 0 }
    }
}
