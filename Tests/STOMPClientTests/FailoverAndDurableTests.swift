import NIOCore
import STOMPBroker
import STOMPClient
import STOMPCore
import STOMPTestSupport
import Testing

@Suite("Failover and durable subscriptions")
struct FailoverAndDurableTests {
    @Test func connectsToTheFirstBrokerThatAnswersAndFailsOverWhenItDies() async throws {
        let first = EmbeddedBroker(configuration: .init(host: "127.0.0.1", port: 0))
        let second = EmbeddedBroker(configuration: .init(host: "127.0.0.1", port: 0))
        let firstPort = try await first.start().port!
        let secondPort = try await second.start().port!
        var configuration = STOMPClientConfiguration(brokers: [
            try STOMPBrokerURL("stomp://127.0.0.1:1"),  // nothing listens here
            try STOMPBrokerURL("stomp://127.0.0.1:\(firstPort)"),
            try STOMPBrokerURL("stomp://127.0.0.1:\(secondPort)"),
        ])
        configuration.reconnect = STOMPReconnectPolicy(initialDelay: .milliseconds(50), maxDelay: .milliseconds(200))
        let client = try STOMPClient(configuration: configuration)
        let recorder = EventRecorder(client)
        try await client.connect()
        #expect(client.connectedBroker?.port == firstPort)
        let topic = TestEnvironment.unique("/topic/")
        let feed = try await client.subscribe(to: topic)

        let mark = recorder.count
        try await first.stop()
        let resubscribed = await recorder.wait(since: mark, timeout: .seconds(10)) { $0.kind == .resubscribed }
        #expect(resubscribed != nil, "no failover: \(recorder.all)")
        #expect(client.connectedBroker?.port == secondPort)

        var publisherConfiguration = STOMPClientConfiguration(broker: try STOMPBrokerURL("stomp://127.0.0.1:\(secondPort)"))
        publisherConfiguration.reconnect = nil
        let publisher = try STOMPClient(configuration: publisherConfiguration)
        try await publisher.connect()
        try await publisher.send(to: topic, body: "via the second broker", receipt: true)
        #expect(try await nextMessage(feed)?.bodyString == "via the second broker")
        try await publisher.disconnect()
        try await client.disconnect()
        try await second.stop()
    }

    @Test(arguments: [BrokerKind.rabbitMQ, .activeMQ])
    func durableTopicSubscriptionKeepsMessagesWhileAway(kind: BrokerKind) async throws {
        try await withBroker(kind) { broker in
            let name = TestEnvironment.unique("durable-")
            let topic = TestEnvironment.unique("/topic/")
            let flavor: STOMPDurableSubscription.Broker = kind == .rabbitMQ ? .rabbitMQ : .activeMQClassic
            let configure: (inout STOMPClientConfiguration) -> Void = { $0.clientID = "client-\(name)" }

            let subscriber = try await broker.connectClient(configure)
            let headers = STOMPDurableSubscription.headers(name: name, broker: flavor)
            _ = try await subscriber.subscribe(to: topic, ack: .clientIndividual, headers: headers, id: name)
            try await subscriber.disconnect()  // away, but the subscription stays

            let publisher = try await broker.connectClient()
            try await publisher.send(to: topic, body: "while you were away", headers: ["persistent": "true"], receipt: true)
            try await publisher.disconnect()

            let returning = try await broker.connectClient(configure)
            let feed = try await returning.subscribe(to: topic, ack: .clientIndividual, headers: headers, id: name)
            let message = try await nextMessage(feed)
            #expect(message?.bodyString == "while you were away")
            if let message { try await returning.ack(message, receipt: true) }
            try await returning.disconnect()
        }
    }
}
