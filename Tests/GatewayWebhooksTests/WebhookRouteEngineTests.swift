import Logging
import NIOConcurrencyHelpers
import NIOCore
import Testing

@testable import GatewayWebhooks

@Suite("Route engine (in-memory broker, scripted receiver)")
struct WebhookRouteEngineTests {
    static let secret = try! WebhookSecret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")

    static func route(
        _ name: String = "orders",
        concurrency: Int = 8,
        maxAttempts: Int = 5,
        selector: WebhookSelector = WebhookSelector()
    ) -> WebhookRouteSettings {
        WebhookRouteSettings(
            name: name,
            source: "/queue/\(name)",
            selector: selector,
            endpoints: [
                WebhookEndpointSettings(
                    name: "crm",
                    url: "http://127.0.0.1:1/hook",
                    secrets: [secret],
                    timeout: .seconds(5),
                    maxConcurrency: concurrency,
                    orderingKey: "order-id",
                    retry: WebhookRetryPolicy(maxAttempts: maxAttempts, initialDelay: .milliseconds(1), maxDelay: .milliseconds(5))
                )
            ]
        )
    }

    static func waitUntil(_ seconds: Double = 10, _ condition: () async -> Bool) async -> Bool {
        let end = ContinuousClock.now + .milliseconds(Int64(seconds * 1000))
        while ContinuousClock.now < end {
            if await condition() { return true }
            try? await Task.sleep(for: .milliseconds(5))
        }
        return await condition()
    }

    static func start(_ engine: WebhookRouteEngine) -> Task<Void, Never> { Task { await engine.run() } }

    @Test func deliversSignedInOrderPerKeyThroughRandomFailures() async throws {
        let broker = InMemoryWebhookBroker()
        let poster = ScriptedPoster { _, _ in
            try? await Task.sleep(for: .microseconds(Int64.random(in: 0...800)))
            return .success(WebhookResponse(status: Int.random(in: 0..<5) == 0 ? 500 : 204))
        }
        let engine = WebhookRouteEngine(settings: Self.route(maxAttempts: 50), broker: broker, poster: poster, logger: Logger(label: "test"))
        let runner = Self.start(engine)
        defer { runner.cancel() }
        for seq in 1...30 {
            for key in 0..<10 { broker.send("/queue/orders", body: "\(key):\(seq)", headers: [("order-id", "\(key)")]) }
        }
        #expect(await Self.waitUntil { broker.acknowledged.count == 300 })
        var lastDelivered: [String: Int] = [:]
        var ids: [String: String] = [:]
        let signer = WebhookSigner(secrets: [Self.secret])
        for request in poster.requests {
            let parts = request.body.split(separator: ":").map { String($0) }
            let (key, seq) = (parts[0], Int(parts[1])!)
            // A message is attempted only after the one before it of its key was delivered.
            #expect(seq == (lastDelivered[key] ?? 0) + 1 || seq == (lastDelivered[key] ?? 0), "key \(key) seq \(seq)")
            lastDelivered[key] = seq
            let id = try #require(request.header("webhook-id"))
            #expect(ids[request.body, default: id] == id)
            ids[request.body] = id
            let timestamp = try #require(request.header("webhook-timestamp").flatMap { Int64($0) })
            #expect(request.header("webhook-signature") == signer.signature(id: id, timestamp: timestamp, body: ByteBuffer(string: request.body)))
            #expect(request.header("x-stomp-header-order-id") == key)
        }
        #expect(poster.peakConcurrency > 1)
        #expect(poster.peakConcurrency <= 8)
        #expect(broker.unacknowledgedCount == 0)
    }

    @Test func givesUpIntoTheDeadLetterQueueThenReplays() async throws {
        let broker = InMemoryWebhookBroker()
        let failing = NIOLockedValueBox(true)
        let poster = ScriptedPoster { _, _ in
            failing.withLockedValue { $0 } ? .success(WebhookResponse(status: 503, bodyExcerpt: "busy")) : .success(WebhookResponse(status: 200))
        }
        let settings = Self.route(maxAttempts: 3)
        let engine = WebhookRouteEngine(settings: settings, broker: broker, poster: poster, logger: Logger(label: "test"))
        let runner = Self.start(engine)
        defer { runner.cancel() }
        broker.send("/queue/orders", body: "order 42 paid", headers: [("order-id", "42"), ("content-type", "text/plain")])
        #expect(await Self.waitUntil { broker.queued(settings.deadLetter).count == 1 && broker.acknowledged.count == 1 })
        #expect(poster.requests.count == 3)
        let letter = try #require(broker.queued(settings.deadLetter).first)
        func header(_ name: String) -> String? { letter.headers.first { $0.name == name }?.value }
        #expect(letter.body == "order 42 paid")
        #expect(header("x-webhook-reason") == "max-attempts")
        #expect(header("x-webhook-attempts") == "3")
        #expect(header("x-webhook-last-status") == "503")
        #expect(header("x-webhook-last-error")?.contains("busy") == true)
        #expect(header("x-webhook-endpoint") == "crm")
        #expect(header("x-webhook-route") == "orders")
        #expect(header("x-webhook-source") == "/queue/orders")
        #expect(header("order-id") == "42")
        #expect(header("content-type") == "text/plain")
        #expect(header("x-webhook-id") == poster.requests[0].header("webhook-id"))
        let status = await engine.status()
        #expect(status.endpoints[0].deadLettered == 1)
        #expect(status.recentDeadLetters.first?.reason == "max-attempts")

        failing.withLockedValue { $0 = false }
        try await Task.sleep(for: .milliseconds(5))  // dead letters older than the replay
        let replay = try await engine.replay(endpoint: nil, limit: 10, idleWindow: .milliseconds(200))
        #expect(replay.taken == 1)
        #expect(await Self.waitUntil { poster.requests.count == 4 && broker.acknowledged.count == 2 })
        #expect(poster.requests[3].header("webhook-id") == poster.requests[0].header("webhook-id"))
        #expect(poster.requests[3].body == "order 42 paid")
        #expect(await Self.waitUntil { await engine.status().replays.isEmpty })
        #expect(broker.queued(settings.deadLetter).isEmpty)
    }

    @Test func goneDisablesTheEndpointUntilEnabled() async throws {
        let broker = InMemoryWebhookBroker()
        let gone = NIOLockedValueBox(true)
        let poster = ScriptedPoster { _, _ in .success(WebhookResponse(status: gone.withLockedValue { $0 } ? 410 : 204)) }
        let settings = Self.route()
        let engine = WebhookRouteEngine(settings: settings, broker: broker, poster: poster, logger: Logger(label: "test"))
        let runner = Self.start(engine)
        defer { runner.cancel() }
        broker.send("/queue/orders", body: "first", headers: [("order-id", "1")])
        #expect(await Self.waitUntil { broker.acknowledged.count == 1 })
        #expect(await engine.status().endpoints[0].state == "disabled")
        broker.send("/queue/orders", body: "second", headers: [("order-id", "2")])
        #expect(await Self.waitUntil { broker.acknowledged.count == 2 })
        #expect(poster.requests.count == 1, "no POST to a disabled endpoint")
        let reasons = broker.queued(settings.deadLetter).map { $0.headers.first { $0.name == "x-webhook-reason" }?.value }
        #expect(reasons == ["gone", "endpoint-disabled"])
        do {
            _ = try await engine.replay(endpoint: "crm", limit: 10)
            Issue.record("replay to a disabled endpoint")
        } catch let error as WebhookReplayError {
            #expect(error == .endpointDisabled("crm"))
        }

        gone.withLockedValue { $0 = false }
        #expect(await engine.setEnabled(true, endpoint: "crm"))
        broker.send("/queue/orders", body: "third", headers: [("order-id", "3")])
        #expect(await Self.waitUntil { broker.acknowledged.count == 3 })
        #expect(poster.requests.last?.body == "third")
        #expect(await engine.status().endpoints[0].state == "active")
    }

    @Test func aLostConnectionLeavesMessagesToTheBrokerAndKeepsOrder() async throws {
        let broker = InMemoryWebhookBroker()
        let gate = NIOLockedValueBox(true)
        let poster = ScriptedPoster { request, _ in
            // Hold the very first request until the connection was lost.
            if request.body == "k:1", request.header("x-stomp-redelivered") == nil {
                while gate.withLockedValue({ $0 }) { try? await Task.sleep(for: .milliseconds(2)) }
            }
            return .success(WebhookResponse(status: 204))
        }
        let engine = WebhookRouteEngine(settings: Self.route(), broker: broker, poster: poster, logger: Logger(label: "test"))
        let runner = Self.start(engine)
        defer { runner.cancel() }
        for seq in 1...5 { broker.send("/queue/orders", body: "k:\(seq)", headers: [("order-id", "k")]) }
        #expect(await Self.waitUntil { poster.requests.count == 1 })
        broker.reconnect()
        gate.withLockedValue { $0 = false }
        #expect(await Self.waitUntil { broker.acknowledged.count == 5 })
        let bodies = poster.requests.map(\.body)
        // k:1 twice (the first copy could not be acknowledged), then the rest once, in order.
        #expect(bodies == ["k:1", "k:1", "k:2", "k:3", "k:4", "k:5"])
        #expect(Set(poster.requests.prefix(2).map { $0.header("webhook-id") }).count == 1)
        #expect(broker.unacknowledgedCount == 0)
    }

    @Test func theSelectorSkipsOtherMessages() async throws {
        let broker = InMemoryWebhookBroker()
        let poster = ScriptedPoster { _, _ in .success(WebhookResponse(status: 204)) }
        let settings = Self.route(selector: WebhookSelector(["type": ["paid", "shipped"]]))
        let engine = WebhookRouteEngine(settings: settings, broker: broker, poster: poster, logger: Logger(label: "test"))
        let runner = Self.start(engine)
        defer { runner.cancel() }
        broker.send("/queue/orders", body: "a", headers: [("type", "paid")])
        broker.send("/queue/orders", body: "b", headers: [("type", "created")])
        broker.send("/queue/orders", body: "c")
        broker.send("/queue/orders", body: "d", headers: [("type", "shipped")])
        #expect(await Self.waitUntil { broker.acknowledged.count == 4 })
        #expect(poster.requests.map(\.body).sorted() == ["a", "d"])
        #expect(await engine.status().filtered == 2)
    }

    @Test func stopLetsRequestsInFlightFinishAndReturnsTheRest() async throws {
        let broker = InMemoryWebhookBroker()
        let poster = ScriptedPoster { _, _ in
            try? await Task.sleep(for: .milliseconds(300))
            return .success(WebhookResponse(status: 204))
        }
        let settings = Self.route(concurrency: 1)
        let engine = WebhookRouteEngine(settings: settings, broker: broker, poster: poster, logger: Logger(label: "test"))
        let runner = Self.start(engine)
        for seq in 1...4 { broker.send("/queue/orders", body: "\(seq)") }
        #expect(await Self.waitUntil { poster.requests.count == 1 })
        await engine.stop(deadline: .seconds(5))
        runner.cancel()
        #expect(broker.acknowledged.count == 1, "the request in flight finished and was acknowledged")
        #expect(poster.requests.count == 1, "nothing new started while stopping")
        #expect(broker.queued(settings.source).map(\.body) == ["2", "3", "4"])
    }

    @Test func headersCannotBeInjected() {
        let message = WebhookInboundMessage(
            headers: [("destination", "/queue/x"), ("evil", "a\r\nx-injected: 1"), ("bad name", "v"), ("Order-Id", "42"), ("order-id", "43")],
            body: ByteBuffer(),
            handle: InMemoryWebhookBroker.Handle(broker: InMemoryWebhookBroker(), id: "m-1", generation: 1)
        )
        let headers = WebhookHeaders.request(message: message, id: "id", timestamp: 1, signature: "v1,x", attempt: 2)
        #expect(!headers.contains { $0.value.contains("\n") || $0.value.contains("\r") })
        #expect(!headers.contains { $0.name.contains(" ") })
        #expect(headers.filter { $0.name == "x-stomp-header-order-id" }.map(\.value) == ["42"])
        #expect(headers.first { $0.name == "content-type" }?.value == "application/octet-stream")
        #expect(headers.first { $0.name == "x-webhook-attempt" }?.value == "2")
    }

    @Test func identityPrefersStableSources() {
        let body = ByteBuffer(string: "x")
        let base: [(name: String, value: String)] = [("destination", "/queue/a"), ("message-id", "T_1@@s@@1"), ("ack", "1")]
        #expect(
            WebhookMessageIdentity.id(headers: base + [("event-id", "e-7")], body: body, idHeader: "event-id", brokerKeepsMessageIDs: false) == "e-7"
        )
        #expect(
            WebhookMessageIdentity.id(headers: base + [("amqp-message-id", "p-1")], body: body, idHeader: nil, brokerKeepsMessageIDs: false) == "p-1"
        )
        #expect(WebhookMessageIdentity.id(headers: base, body: body, idHeader: nil, brokerKeepsMessageIDs: true) == "T_1@@s@@1")
        let digest = WebhookMessageIdentity.id(headers: base, body: body, idHeader: nil, brokerKeepsMessageIDs: false)
        let redelivered: [(name: String, value: String)] = [
            ("destination", "/queue/a"), ("message-id", "T_1@@t@@9"), ("ack", "9"), ("redelivered", "true"),
        ]
        #expect(digest.hasPrefix("msg_"))
        #expect(WebhookMessageIdentity.id(headers: redelivered, body: body, idHeader: nil, brokerKeepsMessageIDs: false) == digest)
        #expect(WebhookMessageIdentity.id(headers: base, body: ByteBuffer(string: "y"), idHeader: nil, brokerKeepsMessageIDs: false) != digest)
        #expect(
            WebhookMessageIdentity.id(headers: base + [("x-webhook-id", "kept")], body: body, idHeader: "event-id", brokerKeepsMessageIDs: true)
                == "kept"
        )
    }
}
