// The browser-facing STOMP session (`/stomp` after the upgrade): NIO's WebSocket
// decoder, the gateway's RFC 6455 rules and STOMPWebSocketHandler on a testing channel,
// with a hub, a broker that accepts everything and test tokens. The fuzz bytes become
// WebSocket messages (split at 0xFF bytes), or raw WebSocket bytes. Invariants: no
// crash; what the server writes is well-formed WebSocket frames (unmasked, valid
// lengths, control frames short and final, nothing after a close frame, text valid
// UTF-8); each text message is exactly one server STOMP frame (or a heart-beat) with
// only the headers its command carries, each once, so nothing a browser sends can add
// a header; nothing follows an ERROR but the close.
import FuzzSupport
import GatewayPush
import NIOCore
import NIOEmbedded
import STOMPCore

let allowedHeaders: [STOMPCommand: Set<String>] = [
    .connected: ["version", "heart-beat", "server", "session", "user-name"],
    .receipt: ["receipt-id"],
    .error: ["message", "content-type", "content-length", "receipt-id", "gateway-code", "retry-after-ms"],
    .message: ["subscription", "destination", "message-id", "gateway-gap", "gateway-missed", "gateway-position", "content-length"],
]

/// Parses one text message as exactly one frame in some STOMP version.
func checkSTOMPMessage(_ payload: [UInt8]) -> STOMPCommand? {
    if payload.allSatisfy({ $0 == 0x0A }) { return nil }  // heart-beats
    var lastError = ""
    for version in [STOMPVersion.v1_2, .v1_1, .v1_0] {
        var parser = STOMPParser(version: version)
        var buffer = ByteBuffer(bytes: payload)
        do {
            guard case .frame(let frame) = try parser.parse(&buffer) else {
                lastError = "not one complete frame"
                continue
            }
            guard buffer.readableBytes == 0 else {
                lastError = "\(buffer.readableBytes) bytes after the frame"
                continue
            }
            guard let allowed = allowedHeaders[frame.command] else {
                fuzzCheck(false, "the server sent \(frame.command)")
                return nil
            }
            var seen = Set<String>()
            for header in frame.headers {
                fuzzCheck(allowed.contains(header.name), "\(frame.command) carries header \(header.name.debugDescription): \(frame)")
                fuzzCheck(seen.insert(header.name).inserted, "\(frame.command) repeats header \(header.name): \(frame)")
            }
            if frame.command == .error { fuzzCheck(frame.headers["message"] != nil, "ERROR without message") }
            return frame.command
        } catch {
            lastError = "\(error)"
        }
    }
    fuzzCheck(false, "server text message is not one STOMP frame (\(lastError)): \(String(decoding: payload, as: UTF8.self).debugDescription)")
    return nil
}

func checkOutput(_ bytes: [UInt8]) {
    guard let frames = serverFrames(bytes) else {
        fuzzCheck(false, "the server wrote malformed WebSocket bytes: \(bytes.prefix(64))")
        return
    }
    var message: [UInt8]?
    var messageOpcode: UInt8 = 0
    var closed = false
    var errored = false
    for frame in frames {
        fuzzCheck(
            !closed,
            "the server wrote after its close frame: \(frames.map { "\($0.opcode)\($0.fin ? "" : "…"): \(String(decoding: $0.payload, as: UTF8.self).debugDescription)" })"
        )
        switch frame.opcode {
        case 0x8, 0x9, 0xA:
            fuzzCheck(frame.fin && frame.payload.count <= 125, "bad control frame")
            if frame.opcode == 0x8 {
                closed = true
                fuzzCheck(frame.payload.count != 1, "close payload of one byte")
                if frame.payload.count >= 2 {
                    let code = Int(frame.payload[0]) << 8 | Int(frame.payload[1])
                    // RFC 6455 7.4: 1000–1014 less the three never sent, or 3000–4999
                    // (registered and private codes, which the server echoes).
                    fuzzCheck(
                        ((1000...1014).contains(code) && ![1004, 1005, 1006].contains(code)) || (3000...4999).contains(code),
                        "close code \(code)"
                    )
                    fuzzCheck(String(validating: frame.payload[2...], as: UTF8.self) != nil, "close reason not UTF-8")
                }
            }
        case 0x1, 0x2:
            fuzzCheck(message == nil, "a new message before the last one ended")
            message = frame.payload
            messageOpcode = frame.opcode
        case 0x0:
            fuzzCheck(message != nil, "a continuation without a message")
            message? += frame.payload
        default:
            fuzzCheck(false, "reserved opcode \(frame.opcode)")
        }
        if frame.fin, let complete = message {
            message = nil
            fuzzCheck(!errored, "the server wrote a message after ERROR")
            if messageOpcode == 0x1 {
                fuzzCheck(String(validating: complete, as: UTF8.self) != nil, "text message not UTF-8")
            }
            if checkSTOMPMessage(complete) == .error { errored = true }
        }
    }
}

/// Keeps what the server writes, at the head of the pipeline, so that one hop to the loop
/// reads all of it (`NIOAsyncTestingChannel.readOutbound` costs a hop per write).
final class OutboundCapture: ChannelOutboundHandler, @unchecked Sendable {
    typealias OutboundIn = ByteBuffer

    /// Touched on the loop only.
    var bytes: [UInt8] = []

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        bytes += unwrapOutboundIn(data).readableBytesView
        promise?.succeed()
    }

    func flush(context: ChannelHandlerContext) {}
}

func run(_ input: FuzzInput) async {
    var input = input
    let flags = input.byte()
    let loop = FuzzGateway.loop
    let hub = FuzzGateway.server.hub
    let channel = NIOAsyncTestingChannel(loop: loop)
    let capture = OutboundCapture()
    let token: String? = flags & 1 != 0 ? "good-upgrade" : nil
    var wire: [UInt8] = []
    if flags & 2 != 0 {
        wire += clientFrame(opcode: 1, payload: Array("CONNECT\naccept-version:1.2\nhost:gw\n\n\0".utf8))
    }
    let rest = input.rest()
    if flags & 4 != 0 {
        wire += rest  // raw WebSocket bytes
    } else {
        let opcode: UInt8 = flags & 8 != 0 ? 2 : 1
        for message in rest.split(separator: 0xFF, omittingEmptySubsequences: false) {
            if flags & 16 != 0 && message.count > 1 {
                // Fragmented: two frames.
                let half = message.count / 2
                wire += clientFrame(opcode: opcode, fin: false, payload: message.prefix(half))
                wire += clientFrame(opcode: 0, payload: message.dropFirst(half))
            } else {
                wire += clientFrame(opcode: opcode, payload: message)
            }
        }
    }
    // Either all at once, or in 7-byte pieces as TCP might deliver them, each piece a
    // separate turn of the loop, so that answers of tasks (token checks, upstream calls)
    // can come between them.
    let pieces: [ByteBuffer] =
        flags & 32 != 0
        ? stride(from: 0, to: wire.count, by: 7).map { ByteBuffer(bytes: wire[$0..<min($0 + 7, wire.count)]) }
        : [ByteBuffer(bytes: wire)]
    @Sendable func deliver(_ buffers: ArraySlice<ByteBuffer>) {
        for buffer in buffers where channel.isActive {
            channel.pipeline.fireChannelRead(buffer)
            channel.pipeline.fireChannelReadComplete()
        }
    }
    do {
        try await loop.submit {
            try channel.pipeline.syncOperations.addHandler(capture)
            try channel.pipeline.syncOperations.addHandlers(hub.makeSTOMPWebSocketHandlers(upgradeToken: token, on: loop))
            channel.connect(to: try SocketAddress(ipAddress: "127.0.0.1", port: 9), promise: nil)
            if pieces.count == 1 { deliver(pieces[...]) }
        }.get()
    } catch {
        fuzzCheck(false, "could not set up the channel: \(error)")
    }
    if pieces.count > 1 {
        for index in pieces.indices {
            _ = try? await loop.submit { deliver(pieces[index...index]) }.get()
        }
    }
    // Let token checks and upstream calls (tasks) finish and their answers be written.
    for _ in 0..<6 {
        await Task.yield()
        _ = try? await loop.submit {}.get()
    }
    let output: [UInt8] =
        (try? await loop.submit { () -> [UInt8] in
            let bytes = capture.bytes
            channel.close(promise: nil)
            return bytes
        }.get()) ?? []
    // The testing loop's clock moves only when told: now and then run what connections
    // left scheduled, so that nothing piles up over millions of inputs.
    if FuzzGateway.inputs.add(1) % 128 == 0 { await loop.advanceTime(by: .hours(1)) }
    checkOutput(output)
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let input = FuzzInput(data, size)
    runBlocking { await run(input) }
    return 0
}

runFuzzer(fuzz)
