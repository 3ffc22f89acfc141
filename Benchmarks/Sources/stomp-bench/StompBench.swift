import ArgumentParser

/// `stomp-bench`: prints throughput and latency figures for stomp-gateway.
@main
struct StompBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stomp-bench",
        abstract: "Throughput and latency figures for stomp-gateway's codec and broker.",
        discussion: """
            Build in release mode (swift build -c release); a debug build measures nothing useful.
            """,
        subcommands: [CodecBenchmark.self, BrokerBenchmark.self, RequestReplyBenchmark.self]
    )
}
