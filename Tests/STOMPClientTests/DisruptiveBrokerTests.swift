import NIOCore
import STOMPClient
import STOMPCore
import STOMPTestSupport
import Testing

/// Tests that kill and restart brokers; they run alone (STOMP_TEST_DISRUPTIVE=1), one
/// at a time, after the rest of the suite.
@Suite("Disruptive: broker killed and restarted", .serialized, .enabled(if: TestEnvironment.disruptive))
struct DisruptiveBrokerTests {
    @Test(arguments: BrokerKind.allCases)
    func clientReconnectsAndSubscriptionsDeliverAgain(kind: BrokerKind) async throws {
        try await withBroker(kind) { broker in
            let subscriber = try await broker.connectClient()
            let recorder = EventRecorder(subscriber)
            let queue = TestEnvironment.unique("/queue/")
            let topic = TestEnvironment.unique("/topic/")
            let queueFeed = try await subscriber.subscribe(to: queue, ack: .clientIndividual)
            let topicFeed = try await subscriber.subscribe(to: topic)

            try await broker.killAndRestart()

            let lost = await recorder.wait(timeout: .seconds(10)) { $0.kind == .disconnected }
            #expect(lost != nil, "the client did not notice the broker going away: \(recorder.all)")
            let back = await recorder.wait(since: 0, timeout: .seconds(60)) { $0.kind == .resubscribed && $0.count == 2 }
            #expect(back != nil, "the client did not reconnect and resubscribe: \(recorder.all)")

            let publisher = try await broker.connectClient()
            try await publisher.send(to: queue, body: "queued after restart", receipt: true)
            try await publisher.send(to: topic, body: "published after restart", receipt: true)
            let queued = try #require(try await nextMessage(queueFeed, timeout: .seconds(15)))
            #expect(queued.bodyString == "queued after restart")
            try await subscriber.ack(queued)
            #expect(try await nextMessage(topicFeed, timeout: .seconds(15))?.bodyString == "published after restart")
            try await publisher.disconnect()
            try await subscriber.disconnect()
        }
    }
}
