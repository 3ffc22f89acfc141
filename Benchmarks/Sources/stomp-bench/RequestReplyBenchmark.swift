import ArgumentParser
import AsyncHTTPClient
import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOCore
import STOMPClient
import STOMPCore

/// `stomp-bench request`: request–reply round trips through the gateway's HTTP front
/// door, beside a direct STOMP client doing the same against the same broker.
struct RequestReplyBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "request",
        abstract: "Request–reply round trips/s and latency: POST /api/request through the gateway vs STOMPRequestor direct.",
        discussion: """
            A responder (STOMPResponder, this process) answers on --queue at the broker. Then, for --seconds each, \
            --concurrency workers loop: (1) direct: STOMPRequestor on one STOMP connection to the same broker; \
            (2) gateway: POST /api/request with an API key (AsyncHTTPClient, keep-alive). Phases alternate for --rounds; \
            the median round is reported. The responder, the direct client and the HTTP client share this process.
            """
    )

    @Option(help: "The broker the gateway uses, e.g. stomp://guest:guest@127.0.0.1:61613 or the gateway's embedded broker.")
    var broker: String

    @Option(help: "The gateway's HTTP base URL, e.g. http://127.0.0.1:18090.")
    var gateway: String

    @Option(help: "An API key from the gateway's api.keys.")
    var apiKey: String

    @Option(help: "The request queue.")
    var queue: String = "/queue/bench.request"

    @Option(help: "Concurrent callers.")
    var concurrency: Int = 32

    @Option(help: "Seconds per phase.")
    var seconds: Double = 10

    @Option(help: "Rounds (direct, gateway, direct, gateway, …).")
    var rounds: Int = 2

    struct Figures {
        var roundTrips = 0
        var failures = 0
        var latencies: [UInt64] = []
        var elapsed: Double = 0
        var perSecond: Double { Double(roundTrips) / elapsed }
        func quantileMs(_ q: Double) -> Double {
            let sorted = latencies.sorted()
            return Double(Measure.quantile(sorted, q) ?? 0) / 1e6
        }
    }

    func run() async throws {
        var logger = Logger(label: "stomp-bench")
        logger.logLevel = .warning
        let url = try STOMPBrokerURL(broker)
        let service = try STOMPClient(configuration: .init(brokers: [url]), logger: logger)
        try await service.connect()
        let responder = Task {
            try await STOMPResponder.serve(client: service, queue: queue) { request in
                .init(body: request.body, headers: ["content-type": "text/plain"])
            }
        }
        defer { responder.cancel() }
        let caller = try STOMPClient(configuration: .init(brokers: [url]), logger: logger)
        try await caller.connect()
        let requestor = STOMPRequestor(client: caller)
        try await requestor.start()
        _ = try await requestor.request(to: queue, body: ByteBuffer(string: "warm-up"), timeout: .seconds(10))

        var http = HTTPClient.Configuration()
        http.connectionPool = .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: concurrency)
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: http)

        let endpoint = gateway + "/api/request"
        let body = #"{"destination":"\#(queue)","body":"ping","timeout":5}"#

        var direct: [Figures] = []
        var viaGateway: [Figures] = []
        for round in 1...rounds {
            let d = try await phase {
                try await requestor.request(to: queue, body: ByteBuffer(string: "ping"), timeout: .seconds(5)) != nil
            }
            direct.append(d)
            print("round \(round) direct:  \(format(d))")
            Measure.flush()
            let g = try await phase {
                var request = HTTPClientRequest(url: endpoint)
                request.method = .POST
                request.headers.add(name: "X-API-Key", value: apiKey)
                request.headers.add(name: "Content-Type", value: "application/json")
                request.body = .bytes(ByteBuffer(string: body))
                let response = try await client.execute(request, timeout: .seconds(10))
                _ = try await response.body.collect(upTo: 1 << 16)
                return response.status == .ok
            }
            viaGateway.append(g)
            print("round \(round) gateway: \(format(g))")
            Measure.flush()
        }
        let d = direct.sorted { $0.perSecond < $1.perSecond }[direct.count / 2]
        let g = viaGateway.sorted { $0.perSecond < $1.perSecond }[viaGateway.count / 2]
        print("")
        print("| path | round trips/s | p50 ms | p99 ms | failures |")
        print("|---|---|---|---|---|")
        print("| direct STOMP (STOMPRequestor) | \(Format.fixed(d.perSecond, 0)) | \(Format.fixed(d.quantileMs(0.5), 2)) | \(Format.fixed(d.quantileMs(0.99), 2)) | \(d.failures) |")
        print("| gateway POST /api/request | \(Format.fixed(g.perSecond, 0)) | \(Format.fixed(g.quantileMs(0.5), 2)) | \(Format.fixed(g.quantileMs(0.99), 2)) | \(g.failures) |")
        print("gateway / direct round trips/s: \(Format.fixed(g.perSecond / d.perSecond, 2))")
        try? await client.shutdown()
        await requestor.stop()
        try? await caller.disconnect()
        try? await service.disconnect()
    }

    func format(_ f: Figures) -> String {
        "\(Format.fixed(f.perSecond, 0)) round trips/s, p50 \(Format.fixed(f.quantileMs(0.5), 2)) ms, p99 \(Format.fixed(f.quantileMs(0.99), 2)) ms, failures \(f.failures)"
    }

    /// Runs `concurrency` workers calling `call` until `seconds` have passed.
    func phase(_ call: @escaping @Sendable () async throws -> Bool) async throws -> Figures {
        let end = Measure.now() + UInt64(seconds * 1e9)
        let start = Measure.now()
        let results = try await withThrowingTaskGroup(of: Figures.self) { group in
            for _ in 0..<concurrency {
                group.addTask {
                    var figures = Figures()
                    figures.latencies.reserveCapacity(100_000)
                    while Measure.now() < end {
                        let t0 = Measure.now()
                        let ok = (try? await call()) ?? false
                        if ok {
                            figures.roundTrips += 1
                            figures.latencies.append(Measure.now() - t0)
                        } else {
                            figures.failures += 1
                        }
                    }
                    return figures
                }
            }
            var total = Figures()
            for try await figures in group {
                total.roundTrips += figures.roundTrips
                total.failures += figures.failures
                total.latencies += figures.latencies
            }
            return total
        }
        var figures = results
        figures.elapsed = Double(Measure.now() - start) / 1e9
        return figures
    }
}
