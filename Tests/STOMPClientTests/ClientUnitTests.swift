import NIOCore
import STOMPClient
import STOMPCore
import Testing

@Suite("Broker URLs, backoff")
struct ClientUnitTests {
    @Test func parsesBrokerURLs() throws {
        let plain = try STOMPBrokerURL("stomp://guest:s%40cret@127.0.0.1:61613?host=/")
        #expect(plain.host == "127.0.0.1")
        #expect(plain.port == 61613)
        #expect(!plain.useTLS)
        #expect(plain.login == "guest")
        #expect(plain.passcode == "s@cret")
        #expect(plain.virtualHost == "/")

        let tls = try STOMPBrokerURL("stomp+ssl://broker.example")
        #expect(tls.useTLS)
        #expect(tls.port == 61614)

        let ipv6 = try STOMPBrokerURL("tcp://[::1]:1234")
        #expect(ipv6.host == "::1")
        #expect(ipv6.port == 1234)

        let list = try STOMPBrokerURL.list("stomp://a:1, stomp://b:2")
        #expect(list.map(\.host) == ["a", "b"])
    }

    @Test(arguments: ["127.0.0.1:61613", "http://x", "stomp://host:99999", "stomp://:61613", "stomp://h:abc"])
    func rejectsBadURLs(text: String) {
        #expect(throws: STOMPClientError.self) { try STOMPBrokerURL(text) }
    }

    @Test func backoffHasFullJitterUnderAGrowingCeiling() {
        let policy = STOMPReconnectPolicy(initialDelay: .milliseconds(100), maxDelay: .seconds(2))
        #expect(policy.ceilingDelay(attempt: 0) == .milliseconds(100))
        #expect(policy.ceilingDelay(attempt: 3) == .milliseconds(800))
        #expect(policy.ceilingDelay(attempt: 10) == .seconds(2))
        var generator = SystemRandomNumberGenerator()
        var delays: Set<Duration> = []
        for _ in 0..<200 {
            let delay = policy.delay(attempt: 4, using: &generator)
            #expect(delay >= .zero && delay <= .milliseconds(1600))
            delays.insert(delay)
        }
        #expect(delays.count > 100, "delays are not jittered")
    }

    @Test func durableSubscriptionHeadersPerBroker() {
        #expect(STOMPDurableSubscription.headers(name: "crm", broker: .activeMQClassic)["activemq.subscriptionName"] == "crm")
        let rabbit = STOMPDurableSubscription.headers(name: "crm", broker: .rabbitMQ)
        #expect(rabbit["durable"] == "true")
        #expect(rabbit["auto-delete"] == "false")
    }

    @Test func connectingToNothingFailsWithAClearError() async throws {
        var configuration = STOMPClientConfiguration(broker: try STOMPBrokerURL("stomp://127.0.0.1:1"))
        configuration.reconnect = nil
        let client = try STOMPClient(configuration: configuration)
        let error = await #expect(throws: STOMPClientError.self) { try await client.connect() }
        #expect(error?.description.contains("could not connect") == true)
        await #expect(throws: STOMPClientError.self) { try await client.send(to: "/queue/a", body: "x") }
    }
}
