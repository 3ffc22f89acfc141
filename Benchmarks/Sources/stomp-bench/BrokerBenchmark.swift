import ArgumentParser
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import STOMPBroker
import STOMPClient
import STOMPCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `stomp-bench broker`: one publisher → one subscriber through each broker, side by side.
struct BrokerBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "broker",
        abstract: "Publish → subscribe throughput and latency over loopback: embedded broker vs RabbitMQ (and ActiveMQ).",
        discussion: """
            Per broker: one STOMPClient subscribes (auto ack) and counts; another STOMPClient sends --messages SENDs without receipts except the last. Each body starts with the send time (monotonic clock of this process), so the subscriber measures publish → receive latency. With --rounds > 1 the brokers take turns (embedded, RabbitMQ, ActiveMQ, embedded, …) and the median round is reported, so that each figure sees the same machine noise. The in-process embedded broker shares this process's CPU with the two clients.
            """
    )

    enum DestinationKind: String, ExpressibleByArgument, CaseIterable, Sendable {
        case queue, topic
    }

    @Option(help: "RabbitMQ STOMP URL, e.g. stomp://guest:guest@127.0.0.1:61613.")
    var rabbitmq: String?

    @Option(help: "ActiveMQ STOMP URL, e.g. stomp://127.0.0.1:61623.")
    var activemq: String?

    @Option(help: "URL of an embedded broker running elsewhere (stomp-gateway serve); default: start one in this process.")
    var embedded: String?

    @Flag(help: "Leave the embedded broker out.")
    var skipEmbedded = false

    @Option(help: "Measured messages per broker and round.")
    var messages: Int = 100_000

    @Option(help: "Body bytes per message (at least 40: the timestamp and sequence number).")
    var bodySize: Int = 256

    @Option(help: "Messages sent and received before measuring (warms connections, JITs, caches).")
    var warmup: Int = 2_000

    @Option(help: "queue (/queue/…, no loss) or topic (/topic/…; the embedded broker drops for a subscriber with > 8 MiB unwritten).")
    var destination: DestinationKind = .queue

    @Option(help: "Rounds; brokers take turns within each round.")
    var rounds: Int = 1

    @Option(help: "Publish at most this many messages per second (0: as fast as the client goes).")
    var rate: Double = 0

    @Option(
        help:
            "Stall the subscriber once, halfway through, for this many seconds (0: never): the broker builds a backlog and must drain it."
    )
    var stallSubscriber: Double = 0

    @Option(help: "Give up on a broker after this many seconds without a message received.")
    var idleTimeout: Double = 15

    @Option(help: "Event loop threads of the in-process embedded broker (the clients get their own 2).")
    var brokerThreads: Int = System.coreCount

    @Option(help: "PID of the RabbitMQ server, for its CPU time; default: read from scripts/brokers.sh's state dir.")
    var rabbitmqPid: Int32?

    @Option(help: "PID of the ActiveMQ server, for its CPU time; default: read from scripts/brokers.sh's state dir.")
    var activemqPid: Int32?

    @Option(help: "PID of the external embedded broker given by --embedded, for its CPU time.")
    var embeddedPid: Int32?

    @Option(help: "State dir of scripts/brokers.sh, where the broker PIDs are found.")
    var brokerStateDir: String = "/tmp/stomp-gateway-brokers"

    mutating func validate() throws {
        guard messages > 0, warmup >= 0, rounds > 0, bodySize >= Payload.minimumSize, brokerThreads > 0 else {
            throw ValidationError("--messages and --rounds must be positive, --body-size at least \(Payload.minimumSize)")
        }
        if skipEmbedded, rabbitmq == nil, activemq == nil { throw ValidationError("nothing to measure") }
    }

    func run() async throws {
        let clientGroup = MultiThreadedEventLoopGroup(numberOfThreads: 2)
        let brokerGroup = MultiThreadedEventLoopGroup(numberOfThreads: brokerThreads)
        do {
            try await run(clientGroup: clientGroup, brokerGroup: brokerGroup)
        } catch {
            try? await clientGroup.shutdownGracefully()
            try? await brokerGroup.shutdownGracefully()
            throw error
        }
        try? await clientGroup.shutdownGracefully()
        try? await brokerGroup.shutdownGracefully()
    }

    func run(clientGroup: MultiThreadedEventLoopGroup, brokerGroup: MultiThreadedEventLoopGroup) async throws {
        var logger = Logger(label: "stomp-bench")
        logger.logLevel = .warning
        var broker: EmbeddedBroker?

        var targets: [Target] = []
        if !skipEmbedded {
            if let embedded {
                targets.append(Target(name: "embedded", url: try STOMPBrokerURL(embedded), cpu: .process(embeddedPid)))
            } else {
                var configuration = EmbeddedBrokerConfiguration(host: "127.0.0.1", port: 0)
                // Room for the whole run, as RabbitMQ and ActiveMQ have by default: a publisher
                // ahead of its subscriber must not hit the queue bound and be refused.
                let total = (messages + warmup) * 2
                configuration.maxQueueMessages = max(configuration.maxQueueMessages, total)
                configuration.maxQueueBytes = max(configuration.maxQueueBytes, total * (bodySize + 256))
                let instance = EmbeddedBroker(configuration: configuration, eventLoopGroup: brokerGroup, logger: logger)
                let address = try await instance.start()
                broker = instance
                let url = STOMPBrokerURL(host: "127.0.0.1", port: address.port!)
                targets.append(Target(name: "embedded (in-process)", url: url, cpu: .eventLoops(brokerGroup)))
            }
        }
        if let rabbitmq {
            let pid = rabbitmqPid ?? Self.pid(fromFile: "\(brokerStateDir)/rabbitmq/beam.pid")
            targets.append(Target(name: "rabbitmq", url: try STOMPBrokerURL(rabbitmq), cpu: .process(pid)))
        }
        if let activemq {
            let pid = activemqPid ?? Self.pid(fromFile: "\(brokerStateDir)/activemq/java.pid")
            targets.append(Target(name: "activemq", url: try STOMPBrokerURL(activemq), cpu: .process(pid)))
        }

        print(
            "stomp-bench broker: \(messages) messages × \(bodySize) B body, warm-up \(warmup), /\(destination.rawValue)/…, "
                + "\(rounds) round(s), rate \(rate > 0 ? "\(Format.grouped(rate))/s" : "unlimited")"
        )
        print("one publisher STOMPClient (no receipts but the last) → broker → one subscriber STOMPClient (ack auto); loopback")
        print(
            "clients: their own 2 event loops in this process; broker CPU: "
                + (broker != nil ? "the in-process broker's \(brokerThreads) event loop threads (thread CPU clocks)" : "")
                + "; external brokers: their process tree (/proc)"
        )
        if broker != nil {
            print(
                "NOTE: the embedded broker runs IN THIS PROCESS and shares the machine's \(System.coreCount) cores with the"
                    + " publisher and subscriber;\n      RabbitMQ/ActiveMQ run in their own processes but on the same cores, so every"
                    + " broker competes with the clients."
            )
        }
        print()
        Measure.flush()

        var results: [String: [RunResult]] = [:]
        for round in 1...rounds {
            for target in targets {
                let result = await runOne(target, round: round, group: clientGroup, logger: logger)
                results[target.name, default: []].append(result)
                print("round \(round) \(target.name): \(result.summary)")
                Measure.flush()
            }
        }
        try? await broker?.stop()

        print()
        var rows: [[String]] = []
        var chosen: [String: RunResult] = [:]
        for target in targets {
            let runs = results[target.name]!
            // The median round by throughput.
            let sorted = runs.sorted { $0.messagesPerSecond < $1.messagesPerSecond }
            let median = sorted[sorted.count / 2]
            chosen[target.name] = median
            rows.append(median.row(name: target.name, bodySize: bodySize, of: runs.count))
        }
        print(Format.table(RunResult.header, rows))

        if let reference = chosen.first(where: { $0.key.hasPrefix("embedded") })?.value {
            for target in targets where !target.name.hasPrefix("embedded") {
                guard let other = chosen[target.name] else { continue }
                print()
                print("embedded / \(target.name) (same run): " + RunResult.ratios(reference, other))
            }
        }
    }

    // MARK: One broker

    enum CPUSource: Sendable {
        case eventLoops(MultiThreadedEventLoopGroup)
        case process(Int32?)

        func read() async -> UInt64? {
            switch self {
            case .eventLoops(let group):
                var total: UInt64 = 0
                for loop in group.makeIterator() {
                    guard let value = try? await loop.submit({ Measure.threadCPU() }).get() else { return nil }
                    total += value
                }
                return total
            case .process(let pid?):
                return Measure.processTreeCPU(pid: pid)
            case .process(nil):
                return nil
            }
        }
    }

    struct Target: Sendable {
        var name: String
        var url: STOMPBrokerURL
        var cpu: CPUSource
    }

    struct ConsumerResult: Sendable {
        var received = 0
        var measured = 0
        var latencies: [UInt64] = []
        var lastReceive: UInt64 = 0
        var outOfOrder = 0
        var error: String?
    }

    func runOne(_ target: Target, round: Int, group: MultiThreadedEventLoopGroup, logger: Logger) async -> RunResult {
        var configuration = STOMPClientConfiguration(broker: target.url)
        configuration.reconnect = nil
        let destinationName = "/\(destination.rawValue)/stomp-bench.\(getpid()).\(round).\(target.name.prefix(while: { $0 != " " }))"
        var result = RunResult()
        let subscriber: STOMPClient
        let publisher: STOMPClient
        do {
            subscriber = try STOMPClient(configuration: configuration, eventLoopGroup: group, logger: logger)
            publisher = try STOMPClient(configuration: configuration, eventLoopGroup: group, logger: logger)
            try await subscriber.connect()
            try await publisher.connect()
        } catch {
            result.error = "connect: \(error)"
            return result
        }
        let subscription: STOMPSubscription
        do {
            subscription = try await subscriber.subscribe(to: destinationName, receipt: true)
        } catch {
            result.error = "subscribe: \(error)"
            try? await publisher.disconnect()
            try? await subscriber.disconnect()
            return result
        }
        result = await measure(publisher: publisher, subscription: subscription, destinationName: destinationName, cpu: target.cpu)
        try? await subscription.unsubscribe()
        try? await publisher.disconnect()
        try? await subscriber.disconnect()
        return result
    }

    func measure(publisher: STOMPClient, subscription: STOMPSubscription, destinationName: String, cpu: CPUSource) async -> RunResult {
        var result = RunResult()
        let total = warmup + messages
        let progress = NIOLockedValueBox(0)
        let warmup = self.warmup
        let messages = self.messages
        let stall = self.stallSubscriber
        let consumer = Task { () -> ConsumerResult in
            var out = ConsumerResult()
            out.latencies.reserveCapacity(messages)
            var expected: UInt64 = 0
            do {
                for try await message in subscription {
                    let now = Measure.now()
                    guard let payload = Payload(message.body) else {
                        out.error = "unexpected body"
                        break
                    }
                    if payload.sequence != expected { out.outOfOrder += 1 }
                    expected = payload.sequence + 1
                    if payload.sequence >= UInt64(warmup) {
                        out.latencies.append(now &- payload.sentAt)
                        out.measured += 1
                        out.lastReceive = now
                    }
                    out.received += 1
                    progress.withLockedValue { $0 = out.received }
                    if stall > 0, out.received == warmup + messages / 2 {
                        try await Task.sleep(for: .seconds(stall))
                    }
                    if out.received == total { break }
                }
            } catch is CancellationError {
                out.error = "timed out"
            } catch {
                out.error = "\(error)"
            }
            return out
        }
        // Gives up on the consumer when nothing arrives for idleTimeout.
        let watchdog = Task {
            var last = -1
            var lastChange = Measure.now()
            while !Task.isCancelled {
                try? await Task.sleep(for: .milliseconds(100))
                let now = progress.withLockedValue { $0 }
                if now != last {
                    last = now
                    lastChange = Measure.now()
                } else if Double(Measure.now() - lastChange) / 1e9 > idleTimeout {
                    consumer.cancel()
                    return
                }
            }
        }
        defer { watchdog.cancel() }

        do {
            // Warm-up: sent, confirmed and received before the clock starts.
            if warmup > 0 {
                for sequence in 0..<warmup {
                    try await publisher.send(
                        to: destinationName,
                        body: Payload.make(sequence: UInt64(sequence), size: bodySize),
                        receipt: sequence == warmup - 1
                    )
                }
                while progress.withLockedValue({ $0 }) < warmup {
                    if consumer.isCancelled { break }
                    try await Task.sleep(for: .milliseconds(1))
                }
            }
            let cpuBroker0 = await cpu.read()
            let cpuProcess0 = Measure.processCPU()
            let t0 = Measure.now()
            for i in 0..<messages {
                if rate > 0 {
                    let due = t0 + UInt64(Double(i) / rate * 1e9)
                    let now = Measure.now()
                    if due > now + 1_000_000 { try await Task.sleep(for: .nanoseconds(Int(due - now))) }
                }
                try await publisher.send(
                    to: destinationName,
                    body: Payload.make(sequence: UInt64(warmup + i), size: bodySize),
                    receipt: i == messages - 1
                )
            }
            let published = Measure.now()
            let consumed = await consumer.value
            let cpuProcess1 = Measure.processCPU()
            let cpuBroker1 = await cpu.read()
            result.sent = messages
            result.received = consumed.measured
            result.outOfOrder = consumed.outOfOrder
            result.publishSeconds = Double(published - t0) / 1e9
            result.seconds = Double(max(consumed.lastReceive, published) - t0) / 1e9
            result.latencies = consumed.latencies.sorted()
            result.processCPUSeconds = Double(cpuProcess1 - cpuProcess0) / 1e9
            if let b0 = cpuBroker0, let b1 = cpuBroker1 {
                result.brokerCPUSeconds = Double(b1 &- b0) / 1e9
                result.inProcessBroker = { if case .eventLoops = cpu { true } else { false } }()
            }
            result.error = consumed.error
        } catch {
            consumer.cancel()
            let consumed = await consumer.value
            result.sent = messages
            result.received = consumed.measured
            result.error = "publish: \(error)"
        }
        return result
    }

    static func pid(fromFile path: String) -> Int32? {
        guard let text = Measure.readSmallFile(path) else { return nil }
        return text.split(whereSeparator: { $0 == " " || $0 == "\n" }).first.flatMap { Int32($0) }
    }
}

/// The body: 16 hex digits of send time, a space, 16 of sequence number, LF, padding.
struct Payload {
    static let minimumSize = 40
    var sentAt: UInt64
    var sequence: UInt64

    static func make(sequence: UInt64, size: Int) -> ByteBuffer {
        var buffer = ByteBuffer()
        buffer.reserveCapacity(size)
        writeHex(Measure.now(), into: &buffer)
        buffer.writeInteger(UInt8(ascii: " "))
        writeHex(sequence, into: &buffer)
        buffer.writeInteger(UInt8(ascii: "\n"))
        buffer.writeRepeatingByte(UInt8(ascii: "x"), count: size - buffer.readableBytes)
        return buffer
    }

    init?(_ body: ByteBuffer) {
        guard body.readableBytes >= 34,
            let sentAt = Self.readHex(body, at: body.readerIndex),
            let sequence = Self.readHex(body, at: body.readerIndex + 17)
        else { return nil }
        self.sentAt = sentAt
        self.sequence = sequence
    }

    private static func writeHex(_ value: UInt64, into buffer: inout ByteBuffer) {
        let digits: StaticString = "0123456789abcdef"
        for shift in stride(from: 60, through: 0, by: -4) {
            buffer.writeInteger(digits.utf8Start[Int((value >> UInt64(shift)) & 0xF)])
        }
    }

    private static func readHex(_ buffer: ByteBuffer, at index: Int) -> UInt64? {
        guard let bytes = buffer.getBytes(at: index, length: 16) else { return nil }
        var value: UInt64 = 0
        for byte in bytes {
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            default: return nil
            }
            value = value << 4 | UInt64(digit)
        }
        return value
    }
}

/// What one broker did in one round.
struct RunResult: Sendable {
    var sent = 0
    var received = 0
    var outOfOrder = 0
    var publishSeconds = 0.0
    var seconds = 0.0
    var latencies: [UInt64] = []
    var processCPUSeconds = 0.0
    var brokerCPUSeconds: Double?
    var inProcessBroker = false
    var error: String?

    var messagesPerSecond: Double { seconds > 0 ? Double(received) / seconds : 0 }
    func megabytesPerSecond(bodySize: Int) -> Double { messagesPerSecond * Double(bodySize) / 1e6 }
    func latencyMS(_ q: Double) -> Double { Measure.quantile(latencies, q).map { Double($0) / 1e6 } ?? .nan }
    /// Broker CPU per delivered message, µs.
    var brokerMicros: Double? { brokerCPUSeconds.map { received > 0 ? $0 / Double(received) * 1e6 : .nan } }
    /// CPU of the two clients per message, µs (the process less an in-process broker).
    var clientMicros: Double {
        let client = processCPUSeconds - (inProcessBroker ? brokerCPUSeconds ?? 0 : 0)
        return received > 0 ? client / Double(received) * 1e6 : .nan
    }

    var summary: String {
        var text =
            "\(received)/\(sent) received in \(Format.fixed(seconds, 2)) s (publisher done at \(Format.fixed(publishSeconds, 2)) s): "
            + "\(Format.grouped(messagesPerSecond)) msg/s, p50 \(Format.fixed(latencyMS(0.5), 2)) ms, p99 \(Format.fixed(latencyMS(0.99), 2)) ms"
        if let brokerMicros { text += ", broker CPU \(Format.fixed(brokerMicros, 1)) µs/msg" }
        text += ", client CPU \(Format.fixed(clientMicros, 1)) µs/msg"
        if outOfOrder > 0 { text += ", \(outOfOrder) out of order" }
        if let error { text += " — \(error)" }
        return text
    }

    static let header = [
        "broker", "received", "msgs/s", "MB/s", "publish s", "p50 ms", "p99 ms", "max ms", "broker CPU µs/msg", "client CPU µs/msg",
    ]

    func row(name: String, bodySize: Int, of rounds: Int) -> [String] {
        [
            name + (rounds > 1 ? " (median of \(rounds))" : "") + (error.map { " [\($0)]" } ?? ""),
            "\(received)/\(sent)",
            Format.grouped(messagesPerSecond),
            Format.fixed(megabytesPerSecond(bodySize: bodySize), 1),
            Format.fixed(publishSeconds, 2),
            Format.fixed(latencyMS(0.5), 2),
            Format.fixed(latencyMS(0.99), 2),
            Format.fixed(latencyMS(1.0), 2),
            brokerMicros.map { Format.fixed($0, 1) } ?? "n/a",
            Format.fixed(clientMicros, 1),
        ]
    }

    static func ratios(_ a: RunResult, _ b: RunResult) -> String {
        func ratio(_ x: Double, _ y: Double) -> String {
            guard y > 0, x.isFinite, y.isFinite else { return "n/a" }
            let r = x / y
            return Format.fixed(r, r >= 0.1 ? 2 : r >= 0.001 ? 4 : 6) + "×"
        }
        var parts = [
            "throughput \(ratio(a.messagesPerSecond, b.messagesPerSecond))",
            "p50 latency \(ratio(a.latencyMS(0.5), b.latencyMS(0.5)))",
            "p99 latency \(ratio(a.latencyMS(0.99), b.latencyMS(0.99)))",
        ]
        if let x = a.brokerMicros, let y = b.brokerMicros { parts.append("broker CPU/msg \(ratio(x, y))") }
        parts.append("client CPU/msg \(ratio(a.clientMicros, b.clientMicros))")
        return parts.joined(separator: ", ")
    }
}
