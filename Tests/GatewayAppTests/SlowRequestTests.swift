import GatewayApp
import GatewayHTTP
import GatewayPush
import Logging
import NIOConcurrencyHelpers
import Prometheus
import STOMPTestSupport
import ServiceLifecycle
import Testing

/// Slowloris: a request whose head or body trickles in is closed at the handshake
/// timeout (`http.handshake_timeout_seconds`), found by tests/abuse.
@Suite("Slow requests are cut off")
struct SlowRequestTests {
    /// Runs the application (embedded broker, handshake timeout `timeout`) until `body` returns.
    private func withApplication(handshakeTimeout timeout: Duration, _ body: @Sendable (_ httpPort: Int) async throws -> Void) async throws {
        let lines = NIOLockedValueBox<[String]>([])
        var push = PushSettings()
        push.handshakeTimeout = timeout
        let application = GatewayApplication(
            http: .init(host: "127.0.0.1", port: 0),
            broker: .embedded(.init(host: "127.0.0.1", port: 0)),
            push: push,
            apiKeys: ["slow-request-tests-key-0123456789"],
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
                            let url = line.split(separator: " ").first(where: { $0.hasPrefix("http://") }),
                            let colon = url.lastIndex(of: ":")
                        else { return nil }
                        return Int(url[url.index(after: colon)...])
                    }.first
                if port == nil { try await Task.sleep(for: .milliseconds(25)) }
            }
            let httpPort = try #require(port, "the HTTP server did not announce its port")
            try await body(httpPort)
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
    }

    @Test func slowRequestBodyIsClosedAtTheHandshakeTimeout() async throws {
        try await withApplication(handshakeTimeout: .milliseconds(500)) { port in
            let connection = try await RawSTOMPConnection.connect(port: port)
            // A complete head announcing 100 body bytes, then only a few of them.
            try await connection.write(
                "POST /api/publish HTTP/1.1\r\nHost: x\r\nX-API-Key: slow-request-tests-key-0123456789\r\n"
                    + "Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"dest"
            )
            #expect(await connection.waitForClose(timeout: .seconds(5)), "a request body that never completes must not hold the connection")
            await connection.close()
        }
    }

    @Test func slowRequestHeadIsClosedAtTheHandshakeTimeout() async throws {
        try await withApplication(handshakeTimeout: .milliseconds(500)) { port in
            let connection = try await RawSTOMPConnection.connect(port: port)
            try await connection.write("GET /healthz HTTP/1.1\r\nHost: x\r\n")
            #expect(await connection.waitForClose(timeout: .seconds(5)))
            await connection.close()
        }
    }
}
