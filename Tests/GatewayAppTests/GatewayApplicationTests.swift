import Foundation
import GatewayApp
import GatewayHTTP
import Logging
import NIOConcurrencyHelpers
import Prometheus
import STOMPBroker
import STOMPClient
import STOMPTestSupport
import ServiceLifecycle
import Testing

/// The composed gateway over real sockets, probed with curl.
@Suite("Gateway application: health, readiness, metrics")
struct GatewayApplicationTests {
    /// Runs the application's services until `body` returns.
    private func withRunningApplication(
        broker: GatewayApplication.BrokerMode,
        _ body: @Sendable (_ httpPort: Int) async throws -> Void
    ) async throws {
        let lines = NIOLockedValueBox<[String]>([])
        let application = GatewayApplication(
            http: .init(host: "127.0.0.1", port: 0),
            broker: broker,
            registry: PrometheusCollectorRegistry(),
            logger: Logger(label: "test"),
            announce: { line in lines.withLockedValue { $0.append(line) } }
        )
        let services = try await application.makeServices()
        let group = ServiceGroup(configuration: .init(services: services, logger: Logger(label: "test")))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            var port: Int?
            for _ in 0..<200 where port == nil {
                port =
                    lines.withLockedValue { $0 }.compactMap { line -> Int? in
                        guard line.contains("HTTP listening on"),
                            let colon = line.split(separator: " ").first(where: { $0.hasPrefix("http://") })?.lastIndex(of: ":")
                        else { return nil }
                        let text = line.split(separator: " ").first(where: { $0.hasPrefix("http://") })!
                        return Int(text[text.index(after: colon)...])
                    }.first
                if port == nil { try await Task.sleep(for: .milliseconds(25)) }
            }
            let httpPort = try #require(port, "the HTTP server did not announce its port: \(lines.withLockedValue { $0 })")
            try await body(httpPort)
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
    }

    /// curl on a dispatch thread: the server's handlers need the cooperative pool.
    private func get(_ port: Int, _ path: String) async throws -> (status: Int, body: String) {
        let result = try await TestEnvironment.runInBackground("curl", ["-s", "-m", "5", "-w", "\n%{http_code}", "http://127.0.0.1:\(port)\(path)"])
        let lines = result.output.split(separator: "\n", omittingEmptySubsequences: false)
        return (Int(lines.last ?? "") ?? -1, lines.dropLast().joined(separator: "\n"))
    }

    @Test func embeddedBrokerIsReadyAndCounted() async throws {
        try await withRunningApplication(broker: .embedded(.init(host: "127.0.0.1", port: 0))) { port in
            let health = try await get(port, "/healthz")
            #expect(health.status == 200)
            #expect(health.body.trimmingCharacters(in: .whitespacesAndNewlines) == "ok")
            let ready = try await get(port, "/readyz")
            #expect(ready.status == 200)
            #expect(ready.body.contains("\"ready\":true"))
            let metrics = try await get(port, "/metrics")
            #expect(metrics.status == 200)
            #expect(try await get(port, "/nowhere").status == 404)
        }
    }

    @Test func unreachableBrokerIsNotReady() async throws {
        var configuration = STOMPClientConfiguration(broker: try STOMPBrokerURL("stomp://127.0.0.1:1"))
        configuration.connectTimeout = .seconds(1)
        try await withRunningApplication(broker: .external(configuration)) { port in
            #expect(try await get(port, "/healthz").status == 200)
            let ready = try await get(port, "/readyz")
            #expect(ready.status == 503)
            #expect(ready.body.contains("not connected"))
        }
    }

    @Test func externalBrokerIsReadyOnceConnected() async throws {
        let broker = EmbeddedBroker(configuration: .init(host: "127.0.0.1", port: 0))
        let address = try await broker.start()
        let configuration = STOMPClientConfiguration(broker: try STOMPBrokerURL("stomp://127.0.0.1:\(address.port!)"))
        try await withRunningApplication(broker: .external(configuration)) { port in
            var status = 0
            for _ in 0..<100 {
                status = try await get(port, "/readyz").status
                if status == 200 { break }
                try await Task.sleep(for: .milliseconds(50))
            }
            #expect(status == 200)
        }
        try await broker.stop()
    }
}
