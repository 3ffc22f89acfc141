import ArgumentParser
import NIOCore
import NIOEmbedded
import STOMPCore

/// `stomp-bench codec`: STOMPParser and STOMPEncoder throughput on one thread.
struct CodecBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "codec",
        abstract: "STOMPParser parse and STOMPEncoder encode throughput (frames/s, MB/s), single thread.",
        discussion: """
            MESSAGE frames with 5 realistic headers (+ content-length) and bodies of 0 B, 1 KB and 64 KB. Parsing reads a pre-encoded buffer of many frames; 'chunked' hands it to the parser in --chunk-size slices, copying a frame cut by a slice's end together with the next slice into a reused scratch buffer (the copy a cumulation buffer makes), 'whole' parses the buffer in one go (parser alone), and 'pipeline' writes the chunks into an EmbeddedChannel with ByteToMessageHandler (STOMPFrameDecoder), the broker's and the client's real decoding path. MB/s are 10^6 bytes of wire data per second. The target, 1 GB/s (1000 MB/s) parsing 1 KB frames, is checked for chunked and pipeline.
            """
    )

    @Option(help: "Seconds measured per run (after a warm-up of half that).")
    var seconds: Double = 1

    @Option(help: "Runs per case; the median is reported, with the range.")
    var runs: Int = 3

    @Option(help: "Bytes per read handed to the parser (a socket read).")
    var chunkSize: Int = 64 * 1024

    @Option(help: "Approximate bytes of pre-encoded frames parsed per pass.")
    var bufferSize: Int = 16 * 1024 * 1024

    @Option(parsing: .upToNextOption, help: "Body sizes in bytes.")
    var bodySizes: [Int] = [0, 1024, 64 * 1024]

    @Option(help: "Run exactly this many passes over the buffer per case, no warm-up, instead of timing (for callgrind/perf).")
    var passes: Int?

    @Option(help: "Only these measurements (parse-chunked, parse-whole, parse-pipeline, encode-reuse, encode-alloc); default all.")
    var only: [String] = []

    mutating func validate() throws {
        guard seconds > 0, runs > 0, chunkSize > 0, bufferSize > 0 else {
            throw ValidationError("--seconds, --runs, --chunk-size and --buffer-size must be positive")
        }
    }

    func run() throws {
        print("stomp-bench codec: single thread, \(runs) run(s) × \(Format.fixed(seconds, 1)) s per case, median [min–max]")
        print("MESSAGE frames, STOMP 1.2, headers: \(Self.sampleHeaderNames.joined(separator: ", ")) (+ content-length when the body is not empty)")
        print("chunk \(chunkSize) B; MB = 10^6 B of wire bytes; CPU = process CPU time (getrusage) over the same window\n")
        var rows: [[String]] = []
        var targets: [(name: String, mbps: Double)] = []
        for bodySize in bodySizes {
            let frames = Self.makeFrames(bodySize: bodySize, count: 64)
            var wire = ByteBuffer()
            var frameCount = 0
            while wire.readableBytes < bufferSize || frameCount < 64 {
                STOMPEncoder.encode(frames[frameCount % frames.count], version: .v1_2, into: &wire)
                frameCount += 1
            }
            let frameBytes = Double(wire.readableBytes) / Double(frameCount)
            let label = Self.sizeLabel(bodySize)
            let measurements: [(String, () throws -> Sample)] = [
                ("parse-chunked", { try self.parseChunked(wire, frames: frameCount) }),
                ("parse-whole", { try self.parseWhole(wire, frames: frameCount) }),
                ("parse-pipeline", { try self.parsePipeline(wire, frames: frameCount) }),
                ("encode-reuse", { self.encodeReuse(frames) }),
                ("encode-alloc", { self.encodeAlloc(frames) }),
            ]
            for (name, body) in measurements where only.isEmpty || only.contains(name) {
                let result = try measure(body)
                rows.append([
                    "\(name) \(label)", Format.fixed(frameBytes, 0),
                    Format.grouped(result.framesPerSecond), Format.fixed(result.mbps, 0),
                    "\(Format.fixed(result.mbpsMin, 0))–\(Format.fixed(result.mbpsMax, 0))",
                    Format.fixed(result.cpuMBps, 0), Format.fixed(result.nsPerFrame, 0),
                ])
                print(rows.last!.joined(separator: "  "))
                Measure.flush()
                if name.hasPrefix("parse-"), name != "parse-whole", bodySize == 1024 { targets.append((name, result.mbps)) }
            }
        }
        print()
        print(
            Format.table(
                ["case", "B/frame", "frames/s", "MB/s", "MB/s range", "MB/CPU-s", "ns/frame"],
                rows
            )
        )
        if !targets.isEmpty { print() }
        for target in targets {
            let verdict: String
            if target.mbps >= 1000 {
                verdict = "MET (\(Format.fixed(target.mbps, 0)) MB/s)"
            } else {
                let short = (1 - target.mbps / 1000) * 100
                verdict =
                    "MISSED — \(Format.fixed(target.mbps, 0)) MB/s, \(Format.fixed(short, 0))% short "
                    + "(needs \(Format.fixed(1000 / target.mbps, 2))× faster)"
            }
            let label = target.name == "parse-chunked" ? "parser, 64 KB reads" : "ByteToMessageHandler pipeline"
            print("target ≥ 1 GB/s parsing 1 KB frames on one core, \(label) (\(target.name)): \(verdict)")
        }
    }

    // MARK: Cases

    /// One timed pass: bytes and frames handled.
    struct Sample {
        var bytes: Int
        var frames: Int
        var sink: Int
    }

    struct Result {
        var framesPerSecond: Double
        var mbps: Double
        var mbpsMin: Double
        var mbpsMax: Double
        var cpuMBps: Double
        var nsPerFrame: Double
    }

    /// Repeats `pass` for a warm-up, then for `runs` windows of `seconds`.
    func measure(_ pass: () throws -> Sample) throws -> Result {
        var sink = 0
        if let passes {
            var bytes = 0
            var frames = 0
            let t0 = Measure.now()
            for _ in 0..<passes {
                let sample = try pass()
                bytes += sample.bytes
                frames += sample.frames
                sink &+= sample.sink
            }
            let wall = Double(Measure.now() - t0) / 1e9
            if sink == 42 { print("", terminator: "") }
            let mbps = Double(bytes) / wall / 1e6
            return Result(
                framesPerSecond: Double(frames) / wall,
                mbps: mbps,
                mbpsMin: mbps,
                mbpsMax: mbps,
                cpuMBps: .nan,
                nsPerFrame: wall * 1e9 / Double(frames)
            )
        }
        let warmupEnd = Measure.now() + UInt64(seconds * 0.5e9)
        while Measure.now() < warmupEnd { sink &+= try pass().sink }
        var mbps: [Double] = []
        var fps: [Double] = []
        var cpuMBps: [Double] = []
        for _ in 0..<runs {
            var bytes = 0
            var frames = 0
            let cpu0 = Measure.processCPU()
            let t0 = Measure.now()
            let end = t0 + UInt64(seconds * 1e9)
            var t1 = t0
            repeat {
                let sample = try pass()
                bytes += sample.bytes
                frames += sample.frames
                sink &+= sample.sink
                t1 = Measure.now()
            } while t1 < end
            let cpu = Double(Measure.processCPU() - cpu0) / 1e9
            let wall = Double(t1 - t0) / 1e9
            mbps.append(Double(bytes) / wall / 1e6)
            fps.append(Double(frames) / wall)
            cpuMBps.append(Double(bytes) / cpu / 1e6)
        }
        if sink == 42 { print("", terminator: "") }  // keeps the work observable
        let f = Measure.median(fps)
        return Result(
            framesPerSecond: f,
            mbps: Measure.median(mbps),
            mbpsMin: mbps.min()!,
            mbpsMax: mbps.max()!,
            cpuMBps: Measure.median(cpuMBps),
            nsPerFrame: 1e9 / f
        )
    }

    /// Reads of `chunkSize` sliced from `wire`. A frame cut by the end of a read is
    /// completed by copying the unparsed tail and the next read into a scratch buffer
    /// (two, used in turn, allocated once), which is the copy a cumulation buffer makes,
    /// without the allocator's share that 'pipeline' includes.
    func parseChunked(_ wire: ByteBuffer, frames expected: Int) throws -> Sample {
        var parser = STOMPParser(version: .v1_2)
        let scratchCapacity = 2 * chunkSize + 2 * (wire.readableBytes / max(expected, 1)) + 4096
        var scratch = [
            ByteBufferAllocator().buffer(capacity: scratchCapacity),
            ByteBufferAllocator().buffer(capacity: scratchCapacity),
        ]
        var turn = 0
        var pending: ByteBuffer?
        var frames = 0
        var sink = 0
        var offset = wire.readerIndex
        let end = wire.writerIndex
        while offset < end {
            let length = min(chunkSize, end - offset)
            var chunk = wire.getSlice(at: offset, length: length)!
            offset += length
            var buffer: ByteBuffer
            if var rest = pending.take() {
                turn ^= 1
                scratch[turn].clear()
                scratch[turn].writeBuffer(&rest)
                scratch[turn].writeBuffer(&chunk)
                buffer = scratch[turn]
            } else {
                buffer = chunk
            }
            parsing: while true {
                switch try parser.parse(&buffer) {
                case .frame(let frame):
                    frames += 1
                    sink &+= frame.body.readableBytes &+ frame.headers.count
                case .heartbeat:
                    continue
                case .needMoreData:
                    break parsing
                }
            }
            if buffer.readableBytes > 0 { pending = buffer }
        }
        precondition(frames == expected, "parsed \(frames) frames, expected \(expected)")
        return Sample(bytes: wire.readableBytes, frames: frames, sink: sink)
    }

    /// The whole pre-encoded buffer at once: the parser alone, no cumulation.
    func parseWhole(_ wire: ByteBuffer, frames expected: Int) throws -> Sample {
        var parser = STOMPParser(version: .v1_2)
        var buffer = wire
        var frames = 0
        var sink = 0
        while true {
            switch try parser.parse(&buffer) {
            case .frame(let frame):
                frames += 1
                sink &+= frame.body.readableBytes &+ frame.headers.count
            case .heartbeat:
                continue
            case .needMoreData:
                precondition(frames == expected, "parsed \(frames) frames, expected \(expected)")
                return Sample(bytes: wire.readableBytes, frames: frames, sink: sink)
            }
        }
    }

    /// Chunks written into an EmbeddedChannel: ByteToMessageHandler(STOMPFrameDecoder) → a counter.
    func parsePipeline(_ wire: ByteBuffer, frames expected: Int) throws -> Sample {
        let channel = EmbeddedChannel()
        let counter = PacketCounter()
        try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(STOMPFrameDecoder(version: .v1_2)))
        try channel.pipeline.syncOperations.addHandler(counter)
        var offset = wire.readerIndex
        let end = wire.writerIndex
        while offset < end {
            let length = min(chunkSize, end - offset)
            try channel.writeInbound(wire.getSlice(at: offset, length: length)!)
            offset += length
        }
        _ = try channel.finish()
        precondition(counter.frames == expected, "decoded \(counter.frames) frames, expected \(expected)")
        return Sample(bytes: wire.readableBytes, frames: counter.frames, sink: counter.sink)
    }

    /// Encodes the frames again and again into one reused buffer.
    func encodeReuse(_ frames: [STOMPFrame]) -> Sample {
        var buffer = ByteBufferAllocator().buffer(capacity: 1 << 20)
        var bytes = 0
        var count = 0
        for _ in 0..<Self.encodeRounds(frames) {
            for frame in frames {
                buffer.clear()
                STOMPEncoder.encode(frame, version: .v1_2, into: &buffer)
                bytes += buffer.readableBytes
                count += 1
            }
        }
        return Sample(bytes: bytes, frames: count, sink: buffer.writerIndex)
    }

    /// Encodes each frame into a new buffer, as the broker does for every delivery.
    func encodeAlloc(_ frames: [STOMPFrame]) -> Sample {
        let allocator = ByteBufferAllocator()
        var bytes = 0
        var count = 0
        for _ in 0..<Self.encodeRounds(frames) {
            for frame in frames {
                let buffer = STOMPEncoder.encode(frame, version: .v1_2, allocator: allocator)
                bytes += buffer.readableBytes
                count += 1
            }
        }
        return Sample(bytes: bytes, frames: count, sink: bytes)
    }

    /// Enough rounds over the 64 sample frames to make a pass last a few milliseconds.
    static func encodeRounds(_ frames: [STOMPFrame]) -> Int {
        max(1, (4 << 20) / max(1, frames.count * (frames[0].body.readableBytes + 200)))
    }

    // MARK: Sample frames

    static let sampleHeaderNames = ["destination", "subscription", "message-id", "content-type", "correlation-id"]

    /// `count` MESSAGE frames as a broker delivers them: 5 headers and a JSON-ish body.
    static func makeFrames(bodySize: Int, count: Int) -> [STOMPFrame] {
        let text = #"{"order":42,"sku":"ABC-1234","qty":3,"price":19.99,"currency":"EUR","status":"paid"},"#
        var template = [UInt8]()
        template.reserveCapacity(bodySize)
        while template.count < bodySize { template.append(contentsOf: text.utf8.prefix(bodySize - template.count)) }
        return (0..<count).map { i in
            let headers: STOMPHeaders = [
                "destination": "/topic/orders.eu-west.\(i % 8)",
                "subscription": "sub-\(i % 4)",
                "message-id": "T_sub-\(i % 4)@@session-4JgqDyRIbm1dMmXjp7Xq6w@@\(100_000 + i)",
                "content-type": "application/json",
                "correlation-id": "c0ffee00-1d2e-4f5a-9b8c-\(String(1_000_000_000_000 + i))",
            ]
            var body = ByteBuffer()
            body.writeBytes(template)
            return STOMPFrame(.message, headers: headers, body: body)
        }
    }

    static func sizeLabel(_ bytes: Int) -> String {
        if bytes >= 1024, bytes % 1024 == 0 { return "\(bytes / 1024) KB" }
        return "\(bytes) B"
    }
}

/// Counts decoded packets at the end of a pipeline.
final class PacketCounter: ChannelInboundHandler {
    typealias InboundIn = STOMPPacket
    var frames = 0
    var sink = 0

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if case .frame(let frame) = unwrapInboundIn(data) {
            frames += 1
            sink &+= frame.body.readableBytes &+ frame.headers.count
        }
    }
}
