import DequeModule
import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOCore

/// Delivers one route's messages to its endpoints: at least once, in order per key,
/// acknowledged to the broker only after every endpoint answered 2xx or the message
/// was dead-lettered with a receipt.
///
/// Life of a message: taken from the source (client-individual acknowledgement) →
/// queued in each endpoint's lane for its ordering key → POSTed (signed) → on failure
/// retried with backoff until delivered, or until the retry policy gives up, or the
/// endpoint answers 410 → dead-lettered (published with a receipt, headers saying
/// why) → acknowledged with a receipt → only then may the next message with the same
/// key go. A message whose broker connection was lost is neither delivered again nor
/// acknowledged: the broker redelivers it. Nothing on a failure path acknowledges.
public actor WebhookRouteEngine {
    /// The route's settings.
    public nonisolated let settings: WebhookRouteSettings
    private let broker: any WebhookBroker
    private let poster: any WebhookPoster
    private let logger: Logger
    private let routeMetrics: WebhookRouteMetrics
    private let tasks = NIOLockedValueBox([UInt64: Task<Void, Never>]())

    private var endpoints: [String: Endpoint] = [:]
    private let endpointOrder: [String]
    private var records: [UInt64: Record] = [:]
    private var nextRecordID: UInt64 = 0
    private var stopping = false
    private var subscribed = false
    private var filteredCount = 0
    private var recentDeadLetters: Deque<WebhookDeadLetterRecord> = []
    private var replays: [Int: Replay] = [:]
    private var nextReplayID = 0
    private var sourceSubscription: WebhookSubscription?

    /// Failed attempts and dead letters kept per endpoint / route for the admin API.
    static let recentLimit = 50

    struct Endpoint {
        let settings: WebhookEndpointSettings
        let signer: WebhookSigner
        let metrics: WebhookEndpointMetrics
        var lanes = OrderedLanes<UInt64>()
        var inFlight = 0
        var disabled: (reason: String, at: Int64)?
        var attempts = 0
        var delivered = 0
        var failures = 0
        var deadLettered = 0
        var recentFailures: Deque<WebhookFailureRecord> = []
    }

    struct Record {
        let message: WebhookInboundMessage
        let id: String
        let taken: ContinuousClock.Instant
        var remaining: Set<String>
        var laneKeys: [String: OrderedLanes<UInt64>.Key] = [:]
        var abandoned = false
        var replay: Int?
        /// Its ACK has been sent: the broker counts it as acknowledged (RabbitMQ hands over
        /// the next message at once), though its lanes stay held until the ACK is confirmed.
        var acknowledging = false
    }

    struct Replay {
        let endpoint: String?
        var taken = 0
        var outstanding = 0
        var taking = true
    }

    /// How one endpoint's part of a message ended.
    enum Resolution: Sendable {
        case delivered
        case deadLettered(reason: String, disable: String?)
        case abandoned
    }

    /// What a delivery task needs, copied out of the actor.
    struct Job: Sendable {
        let recordID: UInt64
        let message: WebhookInboundMessage
        let id: String
        let taken: ContinuousClock.Instant
        let endpoint: WebhookEndpointSettings
        let signer: WebhookSigner
        let metrics: WebhookEndpointMetrics
    }

    /// An engine for `settings`; call ``run()`` to start taking messages.
    public init(settings: WebhookRouteSettings, broker: any WebhookBroker, poster: any WebhookPoster, logger: Logger) {
        self.settings = settings
        self.broker = broker
        self.poster = poster
        var logger = logger
        logger[metadataKey: "route"] = "\(settings.name)"
        self.logger = logger
        routeMetrics = WebhookRouteMetrics(route: settings.name)
        endpointOrder = settings.endpoints.map(\.name)
        for endpoint in settings.endpoints {
            endpoints[endpoint.name] = Endpoint(
                settings: endpoint,
                signer: WebhookSigner(secrets: endpoint.secrets),
                metrics: WebhookEndpointMetrics(route: settings.name, endpoint: endpoint.name)
            )
        }
    }

    // MARK: Taking messages

    /// Subscribes to the source and delivers until ``stop(deadline:)``; resubscribes
    /// after a subscription error.
    public func run() async {
        var failures = 0
        while !stopping && !Task.isCancelled {
            do {
                let subscription = try await broker.subscribe(
                    to: settings.source,
                    durableName: settings.isTopic && settings.durable ? settings.subscriptionName : nil,
                    prefetch: settings.prefetch,
                    singleActiveConsumer: settings.singleActiveConsumer
                )
                if stopping {
                    await subscription.cancel()
                    return
                }
                sourceSubscription = subscription
                subscribed = true
                failures = 0
                logger.info("webhook route subscribed", metadata: ["source": "\(settings.source)"])
                for try await message in subscription.messages {
                    accept(message, replay: nil, only: nil)
                }
                subscribed = false
                if stopping || Task.isCancelled { return }
                logger.warning("webhook route subscription ended; subscribing again")
            } catch {
                subscribed = false
                if stopping { return }
                failures += 1
                // The broker connection comes up alongside the routes: the first misses
                // are expected.
                logger.log(
                    level: failures <= 3 ? .debug : .error,
                    "webhook route cannot subscribe",
                    metadata: ["source": "\(settings.source)", "error": "\(error)"]
                )
            }
            let delay = Duration.milliseconds(min(30_000, 250 << min(failures, 7)))
            try? await Task.sleep(for: delay)
        }
    }

    /// Takes one message: skips it if not selected, else queues it for its endpoints.
    private func accept(_ message: WebhookInboundMessage, replay: Int?, only endpoint: String?) {
        if replay == nil, !settings.selector.matches(message.headers) {
            filteredCount += 1
            routeMetrics.filtered.increment()
            let handle = message.handle
            let logger = logger
            Task {
                do { try await handle.acknowledge() } catch {
                    logger.debug("could not acknowledge a skipped message", metadata: ["error": "\(error)"])
                }
            }
            return
        }
        let targets = endpoint.map { [$0] } ?? endpointOrder
        nextRecordID += 1
        let recordID = nextRecordID
        var record = Record(
            message: message,
            id: WebhookMessageIdentity.id(
                headers: message.headers,
                body: message.body,
                idHeader: settings.idHeader,
                brokerKeepsMessageIDs: broker.keepsMessageIDs
            ),
            taken: .now,
            remaining: Set(targets),
            replay: replay
        )
        for name in targets {
            guard var state = endpoints[name] else { continue }
            let key = state.settings.orderingKey.flatMap { message.header($0) }
            record.laneKeys[name] = state.lanes.enqueue(recordID, key: key)
            endpoints[name] = state
        }
        records[recordID] = record
        for name in targets { pump(name) }
    }

    /// Starts deliveries for `name` while it has free slots and runnable messages.
    private func pump(_ name: String) {
        guard !stopping, var state = endpoints[name] else { return }
        defer {
            state.metrics.waiting.record(state.lanes.pendingCount)
            state.metrics.inFlight.record(state.inFlight)
            endpoints[name] = state
        }
        while state.inFlight < state.settings.maxConcurrency, let (recordID, laneKey) = state.lanes.next() {
            guard let record = records[recordID] else {
                state.lanes.release(laneKey)
                continue
            }
            if !record.message.handle.isCurrent {
                // The connection that gave us this message is gone; the broker hands it
                // out again, and the new copy waits behind this one in the same lane.
                state.lanes.release(laneKey)
                endpoints[name] = state
                resolve(recordID, endpoint: name, .abandoned)
                state = endpoints[name] ?? state
                continue
            }
            state.inFlight += 1
            let job = Job(
                recordID: recordID,
                message: record.message,
                id: record.id,
                taken: record.taken,
                endpoint: state.settings,
                signer: state.signer,
                metrics: state.metrics
            )
            let taskID = recordID &* 1024 &+ UInt64(endpointOrder.firstIndex(of: name) ?? 0)
            let task = Task { [self] in
                let resolution = await self.deliver(job)
                self.finished(job, resolution, taskID: taskID)
            }
            tasks.withLockedValue { $0[taskID] = task }
        }
    }

    // MARK: Delivering (off the actor)

    /// Attempts until delivered or given up; dead-letters when given up.
    private nonisolated func deliver(_ job: Job) async -> Resolution {
        let policy = job.endpoint.retry
        var attempt = 0
        var lastStatus: Int?
        var lastError: String?
        while true {
            if let reason = await disabledReason(job.endpoint.name) {
                return await deadLetter(job, reason: "endpoint-disabled", attempts: attempt, lastStatus: lastStatus, lastError: lastError ?? reason)
            }
            guard job.message.handle.isCurrent else { return .abandoned }
            attempt += 1
            let (outcome, detail) = await attemptOnce(job, attempt: attempt)
            if case .delivered = outcome {
            } else if await isStopping() {
                // A shutdown cut this attempt short (or it failed meanwhile): the
                // message goes back to the broker, not to the dead letters.
                return .abandoned
            }
            switch outcome {
            case .delivered:
                return .delivered
            case .gone:
                let reason = "the receiver answered 410 Gone"
                return await deadLetter(job, reason: "gone", attempts: attempt, lastStatus: 410, lastError: reason, disable: reason)
            case .retry(let failure, let status, let retryAfter):
                lastStatus = status
                lastError = "\(failure.rawValue): \(detail)"
                if attempt >= policy.maxAttempts {
                    return await deadLetter(job, reason: "max-attempts", attempts: attempt, lastStatus: lastStatus, lastError: lastError)
                }
                let delay = policy.delay(afterAttempt: attempt, retryAfter: retryAfter)
                if ContinuousClock.now + delay > job.taken + policy.maxAge {
                    return await deadLetter(job, reason: "max-age", attempts: attempt, lastStatus: lastStatus, lastError: lastError)
                }
                do { try await Task.sleep(for: delay) } catch { return .abandoned }
            }
        }
    }

    /// One POST; records the attempt.
    private nonisolated func attemptOnce(_ job: Job, attempt: Int) async -> (WebhookOutcome, String) {
        let timestamp = Int64(Date().timeIntervalSince1970)
        let signature = job.signer.signature(id: job.id, timestamp: timestamp, body: job.message.body)
        let request = WebhookRequest(
            url: job.endpoint.url,
            headers: WebhookHeaders.request(message: job.message, id: job.id, timestamp: timestamp, signature: signature, attempt: attempt),
            body: job.message.body,
            timeout: job.endpoint.timeout
        )
        job.metrics.attempts.increment()
        let started = ContinuousClock.now
        // The POST runs in a task of its own so that a shutdown (which cancels the
        // delivery tasks to end their retry waits) lets a request in flight finish.
        let poster = self.poster
        let result = await Task { () -> Result<WebhookResponse, WebhookTransportError> in
            do throws(WebhookTransportError) { return .success(try await poster.post(request)) } catch { return .failure(error) }
        }.value
        job.metrics.latency.recordNanoseconds((ContinuousClock.now - started).totalNanoseconds)
        let outcome: WebhookOutcome
        let detail: String
        switch result {
        case .success(let response):
            outcome = WebhookOutcome.classify(response)
            detail = response.bodyExcerpt.isEmpty ? "HTTP \(response.status)" : "HTTP \(response.status): \(response.bodyExcerpt)"
        case .failure(let error):
            outcome = WebhookOutcome.classify(error)
            detail = error.description
        }
        await recordAttempt(job, attempt: attempt, outcome: outcome, detail: detail)
        return (outcome, detail)
    }

    /// Publishes the dead letter with a receipt, retrying while the connection lives.
    private nonisolated func deadLetter(
        _ job: Job,
        reason: String,
        attempts: Int,
        lastStatus: Int?,
        lastError: String?,
        disable: String? = nil
    ) async -> Resolution {
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        let headers = WebhookHeaders.deadLetter(
            message: job.message,
            route: settings.name,
            endpoint: job.endpoint.name,
            id: job.id,
            reason: reason,
            attempts: attempts,
            lastStatus: lastStatus,
            lastError: lastError,
            at: now
        )
        var failures = 0
        while job.message.handle.isCurrent {
            do {
                try await broker.publish(to: settings.deadLetter, headers: headers, body: job.message.body)
                await recordDeadLetter(
                    job,
                    WebhookDeadLetterRecord(
                        at: now,
                        webhookID: job.id,
                        endpoint: job.endpoint.name,
                        reason: reason,
                        attempts: attempts,
                        lastStatus: lastStatus,
                        lastError: lastError
                    )
                )
                return .deadLettered(reason: reason, disable: disable)
            } catch {
                failures += 1
                logger.error(
                    "cannot publish a dead letter; keeping the message unacknowledged and trying again",
                    metadata: ["dead_letter": "\(settings.deadLetter)", "error": "\(error)"]
                )
                do { try await Task.sleep(for: .milliseconds(min(30_000, 200 << min(failures, 8)))) } catch { return .abandoned }
            }
        }
        return .abandoned
    }

    // MARK: Bookkeeping (on the actor)

    private func disabledReason(_ name: String) -> String? { endpoints[name]?.disabled?.reason }

    private func isStopping() -> Bool { stopping }

    private func recordAttempt(_ job: Job, attempt: Int, outcome: WebhookOutcome, detail: String) {
        guard var state = endpoints[job.endpoint.name] else { return }
        state.attempts += 1
        switch outcome {
        case .delivered:
            state.delivered += 1
            job.metrics.delivered.increment()
        case .gone, .retry:
            let failure: WebhookFailureClass
            let status: Int?
            if case .retry(let kind, let code, _) = outcome {
                failure = kind
                status = code
            } else {
                failure = .gone
                status = 410
            }
            state.failures += 1
            job.metrics.failure(failure)
            state.recentFailures.append(
                WebhookFailureRecord(
                    at: Int64(Date().timeIntervalSince1970 * 1000),
                    webhookID: job.id,
                    attempt: attempt,
                    status: status,
                    failure: failure.rawValue,
                    error: WebhookHeaders.oneLine(detail)
                )
            )
            if state.recentFailures.count > Self.recentLimit { state.recentFailures.removeFirst() }
            logger.notice(
                "webhook attempt failed",
                metadata: [
                    "endpoint": "\(job.endpoint.name)", "webhook_id": "\(job.id)", "attempt": "\(attempt)",
                    "error": "\(WebhookHeaders.oneLine(detail))",
                ]
            )
        }
        endpoints[job.endpoint.name] = state
    }

    private func recordDeadLetter(_ job: Job, _ entry: WebhookDeadLetterRecord) {
        endpoints[job.endpoint.name]?.deadLettered += 1
        job.metrics.deadLettered(entry.reason)
        recentDeadLetters.append(entry)
        if recentDeadLetters.count > Self.recentLimit { recentDeadLetters.removeFirst() }
        logger.warning(
            "webhook message dead-lettered",
            metadata: [
                "endpoint": "\(job.endpoint.name)", "webhook_id": "\(job.id)", "reason": "\(entry.reason)",
                "attempts": "\(entry.attempts)", "dead_letter": "\(settings.deadLetter)",
            ]
        )
    }

    private func finished(_ job: Job, _ resolution: Resolution, taskID: UInt64) {
        tasks.withLockedValue { _ = $0.removeValue(forKey: taskID) }
        let name = job.endpoint.name
        endpoints[name]?.inFlight -= 1
        if case .deadLettered(_, let disable?) = resolution { disableEndpoint(name, reason: disable) }
        resolve(job.recordID, endpoint: name, resolution)
        pump(name)
    }

    /// Records `endpoint`'s resolution of a message; when every endpoint has one,
    /// acknowledges it (unless abandoned) and frees its lanes.
    private func resolve(_ recordID: UInt64, endpoint name: String, _ resolution: Resolution) {
        guard var record = records[recordID] else { return }
        record.remaining.remove(name)
        if case .abandoned = resolution {
            record.abandoned = true
            routeMetrics.abandoned.increment()
            // Free this lane now: the broker's new copy is queued behind it.
            if let key = record.laneKeys.removeValue(forKey: name) { endpoints[name]?.lanes.release(key) }
        }
        records[recordID] = record
        guard record.remaining.isEmpty else { return }
        if record.abandoned {
            complete(recordID)
            return
        }
        record.acknowledging = true
        records[recordID] = record
        let handle = record.message.handle
        let logger = logger
        let metrics = routeMetrics
        Task { [self] in
            do {
                try await handle.acknowledge()
            } catch {
                metrics.ackFailures.increment()
                logger.notice(
                    "could not acknowledge a delivered message; the broker will redeliver it (the receiver sees the same webhook-id again)",
                    metadata: ["error": "\(error)"]
                )
            }
            self.complete(recordID)
        }
    }

    /// Forgets a message and lets the next one in each of its lanes go.
    private func complete(_ recordID: UInt64) {
        guard let record = records.removeValue(forKey: recordID) else { return }
        for (name, key) in record.laneKeys {
            endpoints[name]?.lanes.release(key)
        }
        if let replay = record.replay { replays[replay]?.outstanding -= 1 }
        for name in record.laneKeys.keys { pump(name) }
    }

    private func disableEndpoint(_ name: String, reason: String) {
        guard var state = endpoints[name], state.disabled == nil else { return }
        state.disabled = (reason, Int64(Date().timeIntervalSince1970 * 1000))
        state.metrics.disabled.record(1)
        endpoints[name] = state
        logger.error(
            "webhook endpoint disabled; its messages are dead-lettered until it is enabled again",
            metadata: ["endpoint": "\(name)", "reason": "\(reason)"]
        )
    }

    // MARK: Administration

    /// Enables or disables an endpoint by hand. Returns `false` if there is no such endpoint.
    public func setEnabled(_ enabled: Bool, endpoint name: String) -> Bool {
        guard var state = endpoints[name] else { return false }
        if enabled {
            state.disabled = nil
            state.metrics.disabled.record(0)
            endpoints[name] = state
            logger.notice("webhook endpoint enabled", metadata: ["endpoint": "\(name)"])
            pump(name)
        } else {
            endpoints[name] = state
            disableEndpoint(name, reason: "disabled by an administrator")
        }
        return true
    }

    /// The route's state.
    public func status() -> WebhookRouteStatus {
        WebhookRouteStatus(
            name: settings.name,
            source: settings.source,
            deadLetter: settings.deadLetter,
            subscribed: subscribed,
            unacknowledged: records.values.count { !$0.acknowledging },
            filtered: filteredCount,
            endpoints: endpointOrder.compactMap { name in
                guard let state = endpoints[name] else { return nil }
                return WebhookEndpointStatus(
                    name: name,
                    url: Self.displayURL(state.settings.url),
                    state: state.disabled == nil ? "active" : "disabled",
                    disabledReason: state.disabled?.reason,
                    disabledAt: state.disabled?.at,
                    inFlight: state.inFlight,
                    waiting: state.lanes.pendingCount,
                    attempts: state.attempts,
                    delivered: state.delivered,
                    failures: state.failures,
                    deadLettered: state.deadLettered,
                    recentFailures: Array(state.recentFailures)
                )
            },
            recentDeadLetters: Array(recentDeadLetters),
            replays: replays.sorted { $0.key < $1.key }.map { id, replay in
                WebhookReplayStatus(id: id, endpoint: replay.endpoint, taken: replay.taken, outstanding: replay.outstanding, taking: replay.taking)
            }
        )
    }

    /// A URL without user info, query or fragment (they may hold credentials).
    static func displayURL(_ url: String) -> String {
        guard var components = URLComponents(string: url) else { return "(invalid)" }
        components.user = nil
        components.password = nil
        components.query = nil
        components.fragment = nil
        return components.string ?? "(invalid)"
    }

    /// Whether the route has an endpoint called `name`.
    public nonisolated func hasEndpoint(_ name: String) -> Bool { settings.endpoints.contains { $0.name == name } }

    /// Takes up to `limit` dead letters of this route (of one endpoint, or all) back
    /// into delivery. Returns once it stopped taking (no dead letter for a second, the
    /// limit, or dead letters newer than the replay); delivery goes on in the
    /// background, and each dead letter is acknowledged only once delivered again — or
    /// dead-lettered again.
    ///
    /// - Throws: ``WebhookReplayError``.
    public func replay(endpoint: String?, limit: Int, idleWindow: Duration = .seconds(1)) async throws -> WebhookReplayStatus {
        if let endpoint {
            guard let state = endpoints[endpoint] else { throw WebhookReplayError.unknownEndpoint(endpoint) }
            guard state.disabled == nil else { throw WebhookReplayError.endpointDisabled(endpoint) }
        }
        let started = Int64(Date().timeIntervalSince1970 * 1000)
        let subscription = try await broker.subscribeOnOwnConnection(to: settings.deadLetter, prefetch: max(1, min(limit, 256)))
        nextReplayID += 1
        let replayID = nextReplayID
        replays[replayID] = Replay(endpoint: endpoint)
        let lastActivity = NIOLockedValueBox(ContinuousClock.now)
        let consumer = Task { [self] in
            do {
                for try await message in subscription.messages {
                    lastActivity.withLockedValue { $0 = .now }
                    self.offerDeadLetter(message, replay: replayID, endpoint: endpoint, limit: limit, since: started)
                }
            } catch {
                self.logReplayError(error)
            }
        }
        while true {
            try? await Task.sleep(for: .milliseconds(50))
            guard let replay = replays[replayID] else { break }
            let idle = ContinuousClock.now - lastActivity.withLockedValue { $0 } > idleWindow
            if !replay.taking || idle || stopping { break }
        }
        replays[replayID]?.taking = false
        let snapshot = replays[replayID].map {
            WebhookReplayStatus(id: replayID, endpoint: $0.endpoint, taken: $0.taken, outstanding: $0.outstanding, taking: false)
        }
        // Keep the subscription until every taken dead letter is resolved: ending it
        // earlier would hand them back to the broker unacknowledged.
        Task { [self] in
            while self.replayOutstanding(replayID) > 0 {
                try? await Task.sleep(for: .milliseconds(100))
            }
            consumer.cancel()
            await subscription.cancel()
            self.endReplay(replayID)
        }
        return snapshot ?? WebhookReplayStatus(id: replayID, endpoint: endpoint, taken: 0, outstanding: 0, taking: false)
    }

    private func offerDeadLetter(_ message: WebhookInboundMessage, replay replayID: Int, endpoint: String?, limit: Int, since: Int64) {
        // A dead letter not taken stays unacknowledged: it goes back to the dead-letter
        // destination when the replay's own connection closes.
        guard var replay = replays[replayID], replay.taking, !stopping else { return }
        let target = message.header(WebhookHeaders.deadLetterEndpoint)
        let at = message.header(WebhookHeaders.deadLetteredAt).flatMap { Int64($0) } ?? 0
        guard at < since else {
            // Dead-lettered after the replay began (maybe by this replay): stop here.
            replay.taking = false
            replays[replayID] = replay
            return
        }
        guard let target, endpoints[target] != nil, endpoint == nil || endpoint == target, endpoints[target]?.disabled == nil else {
            return  // not for this replay
        }
        replay.taken += 1
        replay.outstanding += 1
        if replay.taken >= limit { replay.taking = false }
        replays[replayID] = replay
        accept(message, replay: replayID, only: target)
    }

    private func replayOutstanding(_ id: Int) -> Int { replays[id]?.outstanding ?? 0 }
    private func endReplay(_ id: Int) { replays[id] = nil }
    private func logReplayError(_ error: any Error) {
        logger.error("dead-letter replay subscription failed", metadata: ["error": "\(error)"])
    }

    // MARK: Stopping

    /// Stops taking and starting deliveries, lets requests in flight finish (until
    /// `deadline`), abandons retry waits, and ends the subscriptions: every message
    /// not acknowledged goes back to the broker.
    public func stop(deadline: Duration) async {
        stopping = true
        // Messages still waiting are left to the broker (unacknowledged).
        for name in endpointOrder {
            let waiting = endpoints[name]?.lanes.drain() ?? []
            for recordID in waiting { records[recordID]?.abandoned = true }
            if !waiting.isEmpty { routeMetrics.abandoned.increment(by: waiting.count) }
        }
        for task in tasks.withLockedValue({ Array($0.values) }) { task.cancel() }
        let end = ContinuousClock.now + deadline
        while ContinuousClock.now < end, !(tasks.withLockedValue { $0.isEmpty }) {
            try? await Task.sleep(for: .milliseconds(20))
        }
        // Give acknowledgements of just-finished deliveries a moment to be confirmed.
        let ackEnd = min(end, ContinuousClock.now + .seconds(2))
        while ContinuousClock.now < ackEnd, records.values.contains(where: { $0.remaining.isEmpty && !$0.abandoned }) {
            try? await Task.sleep(for: .milliseconds(20))
        }
        if let sourceSubscription { await sourceSubscription.cancel() }
        sourceSubscription = nil
    }
}

/// Why a replay could not start.
public enum WebhookReplayError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The route has no such endpoint.
    case unknownEndpoint(String)
    /// The endpoint is disabled: its dead letters would come straight back.
    case endpointDisabled(String)

    public var description: String {
        switch self {
        case .unknownEndpoint(let name): "no endpoint '\(name)' in this route"
        case .endpointDisabled(let name): "endpoint '\(name)' is disabled; enable it before replaying its dead letters"
        }
    }
}
