import NIOCore
import STOMPCore
import Testing

// Shared helpers for the STOMPCore suites: feeding a parser in chunks, building
// inputs, a seeded random number generator.

/// What feeding some chunks to a parser produced.
struct ParseRun {
    /// The packets returned before the input ran out or an error was thrown.
    var packets: [STOMPPacket] = []
    /// The error thrown, if any.
    var error: STOMPParseError?
    /// Bytes left unconsumed in the accumulation buffer.
    var leftover = 0
    /// The parser after the run (for its learnt version).
    var parser: STOMPParser
}

/// Feeds `chunks` one after another into one accumulation buffer, as a
/// `ByteToMessageHandler` does, calling `parse` until it needs more data after each.
func feed(_ chunks: [[UInt8]], to parser: STOMPParser = STOMPParser()) -> ParseRun {
    var run = ParseRun(parser: parser)
    var buffer = ByteBuffer()
    outer: for chunk in chunks {
        buffer.writeBytes(chunk)
        while true {
            do {
                switch try run.parser.parse(&buffer) {
                case .frame(let frame): run.packets.append(.frame(frame))
                case .heartbeat: run.packets.append(.heartbeat)
                case .needMoreData: continue outer
                }
            } catch let error as STOMPParseError {
                run.error = error
                break outer
            } catch {
                Issue.record("unexpected error type: \(error)")
                break outer
            }
        }
    }
    run.leftover = buffer.readableBytes
    return run
}

/// The ways a test feeds one input to a parser.
enum Delivery {
    /// Splits `bytes` into chunks of at most `size` bytes.
    static func chunks(_ bytes: [UInt8], size: Int) -> [[UInt8]] {
        stride(from: 0, to: bytes.count, by: size).map { Array(bytes[$0..<min($0 + size, bytes.count)]) }
    }

    /// One byte per chunk.
    static func byteByByte(_ bytes: [UInt8]) -> [[UInt8]] {
        bytes.map { [$0] }
    }

    /// Every split of `bytes` into two chunks (either may be empty).
    static func everySplit(_ bytes: [UInt8]) -> [(position: Int, chunks: [[UInt8]])] {
        (0...bytes.count).map { ($0, [Array(bytes[..<$0]), Array(bytes[$0...])]) }
    }
}

/// The UTF-8 bytes of `string`.
func bytes(_ string: String) -> [UInt8] {
    Array(string.utf8)
}

/// A frame built from header pairs, kept in order, and a body.
func frame(_ command: STOMPCommand, _ headers: [(String, String)] = [], body: [UInt8] = []) -> STOMPFrame {
    STOMPFrame(command, headers: STOMPHeaders(headers), body: ByteBuffer(bytes: body))
}

/// A frame built from header pairs and a UTF-8 body.
func frame(_ command: STOMPCommand, _ headers: [(String, String)] = [], body: String) -> STOMPFrame {
    frame(command, headers, body: bytes(body))
}

/// A small, seeded, reproducible generator (SplitMix64).
struct SeededGenerator: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) {
        state = seed
    }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
