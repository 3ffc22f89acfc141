// Bytes → STOMPParser and STOMPFrameDecoder, with small limits and the input split at
// random points. Invariants: no crash; only STOMPParseError is thrown; every split gives
// the same frames (and an error at the same place) as one whole buffer; the decoder in a
// pipeline agrees with the parser; a frame re-encoded parses back to the same frame.
import FuzzSupport
import NIOCore
import NIOEmbedded
import STOMPCore

enum Outcome: Equatable {
    case frame(STOMPFrame)
    case heartbeat
    case error
}

func checkReencoding(_ frame: STOMPFrame, version: STOMPVersion) {
    let bytes = STOMPEncoder.encode(frame, version: version)
    var input = bytes
    var parser = STOMPParser(version: version)
    let expected = expectedAfterRoundTrip(frame, version: version)
    do {
        guard case .frame(let again) = try parser.parse(&input) else {
            fuzzCheck(false, "re-encoded \(frame) did not parse to a frame: \(String(buffer: bytes).debugDescription)")
            return
        }
        fuzzCheck(again == expected, "re-encoded \(frame) parsed as \(again), expected \(expected)")
        fuzzCheck(input.readableBytes == 0, "re-encoded frame left \(input.readableBytes) bytes")
    } catch {
        fuzzCheck(false, "re-encoded \(frame) (\(String(buffer: bytes).debugDescription)) did not parse: \(error)")
    }
}

func parseAll(_ chunks: [ArraySlice<UInt8>], limits: STOMPParserLimits, version: STOMPVersion?, reencode: Bool) -> [Outcome] {
    var parser = STOMPParser(limits: limits, version: version)
    var buffer = ByteBuffer()
    var outcomes: [Outcome] = []
    for chunk in chunks {
        buffer.writeBytes(chunk)
        parsing: while true {
            do {
                let readable = buffer.readableBytes
                switch try parser.parse(&buffer) {
                case .frame(let frame):
                    fuzzCheck(buffer.readableBytes < readable, "a frame consumed nothing")
                    outcomes.append(.frame(frame))
                    if reencode { checkReencoding(frame, version: parser.version ?? .v1_2) }
                case .heartbeat:
                    fuzzCheck(buffer.readableBytes < readable, "a heart-beat consumed nothing")
                    outcomes.append(.heartbeat)
                case .needMoreData:
                    break parsing
                }
            } catch {
                fuzzCheck(error is STOMPParseError, "the parser threw \(type(of: error))")
                fuzzCheck(!"\(error)".contains("\n"), "an error message spans lines: \(error)")
                outcomes.append(.error)
                return outcomes
            }
        }
        buffer.discardReadBytes()
    }
    return outcomes
}

func decodeAll(_ chunks: [ArraySlice<UInt8>], limits: STOMPParserLimits, version: STOMPVersion?) -> [Outcome] {
    let channel = EmbeddedChannel(handler: ByteToMessageHandler(STOMPFrameDecoder(limits: limits, version: version)))
    var outcomes: [Outcome] = []
    func drain() {
        while let packet = try? channel.readInbound(as: STOMPPacket.self) {
            switch packet {
            case .frame(let frame): outcomes.append(.frame(frame))
            case .heartbeat: outcomes.append(.heartbeat)
            }
        }
    }
    for chunk in chunks {
        do {
            try channel.writeInbound(ByteBuffer(bytes: chunk))
            drain()
        } catch {
            drain()
            outcomes.append(.error)
            _ = try? channel.finish()
            return outcomes
        }
    }
    do {
        _ = try channel.finish()
        drain()
    } catch is ByteToMessageDecoderError {
        drain()  // A partial frame left at the end, which the parser leaves unread too.
    } catch {
        drain()
        outcomes.append(.error)
    }
    return outcomes
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    var input = FuzzInput(data, size)
    let config = input.byte()
    let version: STOMPVersion? = [nil, .v1_0, .v1_1, .v1_2][Int(config & 3)]
    let small = config & 4 != 0
    let limits =
        small
        ? STOMPParserLimits(
            maxHeaderLineLength: 8 + input.int(below: 64),
            maxHeaderCount: 1 + input.int(below: 8),
            maxBodySize: input.int(below: 128),
            maxFrameSize: 16 + input.int(below: 256)
        )
        : STOMPParserLimits(maxHeaderLineLength: 1024, maxHeaderCount: 32, maxBodySize: 4096, maxFrameSize: 8192)
    var random = FuzzRandom(seed: UInt64(input.byte()) << 8 | UInt64(input.byte()))
    let stream = input.rest()
    // The whole stream at once, then split at random points.
    let whole = parseAll([stream], limits: limits, version: version, reencode: true)
    var chunks: [ArraySlice<UInt8>] = []
    var start = stream.startIndex
    while start < stream.endIndex {
        let length = Int.random(in: 1...max(1, min(stream.endIndex - start, 1 + Int(random.next() % 16))), using: &random)
        chunks.append(stream[start..<start + length])
        start += length
    }
    let split = parseAll(chunks, limits: limits, version: version, reencode: false)
    fuzzCheck(whole == split, "split parsing differs: \(whole) vs \(split)")
    let decoded = decodeAll(chunks, limits: limits, version: version)
    fuzzCheck(decoded == whole, "STOMPFrameDecoder differs from STOMPParser: \(decoded) vs \(whole)")
    return 0
}

runFuzzer(fuzz)
