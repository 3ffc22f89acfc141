import NIOCore
import STOMPCore
import Testing

/// Random frames written by `STOMPEncoder` and read back by `STOMPParser`.
///
/// What a round trip preserves, by version and command:
/// - STOMP 1.2, escaped frames: every name and value exactly (`\n`, `\c`, `\\`, `\r`).
/// - STOMP 1.1, escaped frames: the same, except CR, which 1.1 cannot escape: the encoder
///   writes it as a space.
/// - STOMP 1.0, and `CONNECT`/`STOMP`/`CONNECTED` in every version (no escaping): CR and
///   LF become spaces so that no value spans lines; a ':' in a name becomes a space too
///   (the line splits at its first colon, so a name could otherwise carry a header of its
///   own: found by fuzzing); ':' in a value and '\' are written as they are.
/// - In every case the frame's own `content-length` entries are dropped and the true
///   length is written last for a non-empty body.
@Suite("Round trips: encoder then parser")
struct RoundTripTests {
    private static let pieces = [
        "a", "b", "z", "Q", "-", "_", "0", "9", ":", "\\", "\n", "\r", "\r\n", " ", "\t", "\\n", "\\c", "/", "=",
        "\u{E9}", "e\u{301}", "\u{65E5}\u{672C}", "\u{1F680}", "\u{FEFF}",
    ]

    private static func randomString(_ generator: inout SeededGenerator, maxPieces: Int) -> String {
        (0..<Int.random(in: 0...maxPieces, using: &generator)).map { _ in pieces.randomElement(using: &generator)! }.joined()
    }

    /// A random frame: any command, up to 8 headers (repeats, a stray content-length),
    /// a binary body of up to 2000 bytes that may contain NUL.
    static func randomFrame(_ generator: inout SeededGenerator) -> STOMPFrame {
        var headers = STOMPHeaders()
        for _ in 0..<Int.random(in: 0...8, using: &generator) {
            let name: String
            switch Int.random(in: 0..<10, using: &generator) {
            case 0: name = "content-length"
            case 1 where !headers.isEmpty: name = headers.randomElement(using: &generator)!.name
            default: name = randomString(&generator, maxPieces: 4)
            }
            let value = name == "content-length" ? String(Int.random(in: 0...99, using: &generator)) : randomString(&generator, maxPieces: 8)
            headers.add(name: name, value: value)
        }
        let bodyLength =
            Int.random(in: 0...3, using: &generator) == 0 ? 0 : Int.random(in: 1...(Bool.random(using: &generator) ? 16 : 2000), using: &generator)
        let body = (0..<bodyLength).map { _ in UInt8.random(in: 0...255, using: &generator) }
        return STOMPFrame(STOMPCommand.allCases.randomElement(using: &generator)!, headers: headers, body: ByteBuffer(bytes: body))
    }

    /// `string` with CR and/or LF (each a Unicode scalar) replaced by a space.
    private static func spacing(_ string: String, lineFeeds: Bool) -> String {
        var scalars = String.UnicodeScalarView()
        for scalar in string.unicodeScalars {
            scalars.append(scalar == "\r" || (lineFeeds && scalar == "\n") ? " " : scalar)
        }
        return String(scalars)
    }

    /// The frame the parser must return for `frame` encoded with `version` (see the suite's documentation).
    static func expectedAfterRoundTrip(_ frame: STOMPFrame, version: STOMPVersion) -> STOMPFrame {
        let escapes = frame.command.usesHeaderEscaping && version >= .v1_1
        var headers = STOMPHeaders()
        for header in frame.headers where header.name != STOMPHeaderName.contentLength {
            if escapes {
                let lossy = version == .v1_1
                headers.add(
                    name: lossy ? spacing(header.name, lineFeeds: false) : header.name,
                    value: lossy ? spacing(header.value, lineFeeds: false) : header.value
                )
            } else {
                let name = String(String.UnicodeScalarView(spacing(header.name, lineFeeds: true).unicodeScalars.map { $0 == ":" ? " " : $0 }))
                headers.add(name: name, value: spacing(header.value, lineFeeds: true))
            }
        }
        if frame.body.readableBytes > 0 {
            headers.add(name: STOMPHeaderName.contentLength, value: String(frame.body.readableBytes))
        }
        return STOMPFrame(frame.command, headers: headers, body: frame.body)
    }

    @Test("random frames survive a round trip", arguments: STOMPVersion.allCases)
    func randomFrames(version: STOMPVersion) {
        var generator = SeededGenerator(seed: 0x5707_0000 + UInt64(version.rawValue.utf8.last!))
        for index in 0..<500 {
            let original = Self.randomFrame(&generator)
            let encoded = STOMPEncoder.encode(original, version: version)
            let run = feed([Array(encoded.readableBytesView)], to: STOMPParser(version: version))
            let expected = Self.expectedAfterRoundTrip(original, version: version)
            #expect(run.error == nil, "frame \(index): \(original)")
            #expect(run.packets == [.frame(expected)], "frame \(index): \(original)")
            #expect(run.leftover == 0)
        }
    }

    @Test("escaped frames are exact in 1.2", arguments: 0..<20)
    func exactIn12(seed: Int) {
        var generator = SeededGenerator(seed: UInt64(seed))
        var original = Self.randomFrame(&generator)
        if !original.command.usesHeaderEscaping { original.command = .message }
        original.headers.remove(name: STOMPHeaderName.contentLength)
        let encoded = STOMPEncoder.encode(original, version: .v1_2)
        let run = feed([Array(encoded.readableBytesView)], to: STOMPParser(version: .v1_2))
        guard case .frame(var parsed)? = run.packets.first else {
            Issue.record("no frame: \(String(describing: run.error))")
            return
        }
        parsed.headers.remove(name: STOMPHeaderName.contentLength)
        #expect(parsed == original)
    }

    @Test("a stream of random frames and heart-beats, delivered in random chunks", arguments: STOMPVersion.allCases)
    func randomStream(version: STOMPVersion) {
        var generator = SeededGenerator(seed: 0xBEEF + UInt64(version.rawValue.utf8.last!))
        var stream = ByteBuffer()
        var expected: [STOMPPacket] = []
        for _ in 0..<200 {
            for _ in 0..<Int.random(in: 0...2, using: &generator) {
                let crlf = Bool.random(using: &generator)
                stream.writeString(crlf ? "\r\n" : "\n")
                expected.append(.heartbeat)
            }
            let original = Self.randomFrame(&generator)
            STOMPEncoder.encode(original, version: version, into: &stream)
            expected.append(.frame(Self.expectedAfterRoundTrip(original, version: version)))
        }
        let input = Array(stream.readableBytesView)
        var chunks: [[UInt8]] = []
        var offset = 0
        while offset < input.count {
            let size = min(input.count - offset, Int.random(in: 1...97, using: &generator))
            chunks.append(Array(input[offset..<offset + size]))
            offset += size
        }
        let run = feed(chunks, to: STOMPParser(version: version))
        #expect(run.error == nil)
        #expect(run.packets.count == expected.count)
        #expect(run.packets == expected)
        #expect(run.leftover == 0)
    }

    @Test("1.0: CR and LF in values become spaces; ':' and '\\' are kept")
    func version10Lossy() {
        let original = frame(.send, [("destination", "/q"), ("note", "line1\r\nline2\nC:\\dir")], body: "x")
        let run = feed([Array(STOMPEncoder.encode(original, version: .v1_0).readableBytesView)], to: STOMPParser(version: .v1_0))
        let expected = frame(.send, [("destination", "/q"), ("note", "line1  line2 C:\\dir"), ("content-length", "1")], body: "x")
        #expect(run.packets == [.frame(expected)])
    }

    @Test("the frame's content-length is replaced by the true one")
    func contentLengthReplaced() {
        for version in STOMPVersion.allCases {
            let original = frame(.send, [("content-length", "1"), ("destination", "/q"), ("content-length", "x")], body: [0, 0, 0])
            let run = feed([Array(STOMPEncoder.encode(original, version: version).readableBytesView)], to: STOMPParser(version: version))
            #expect(run.packets == [.frame(frame(.send, [("destination", "/q"), ("content-length", "3")], body: [0, 0, 0]))])
        }
    }

    @Test("the model of what a round trip preserves, on fixed examples")
    func modelExamples() {
        let connect = frame(.connect, [("a:b", "c\nd"), ("", "")])
        #expect(
            Self.expectedAfterRoundTrip(connect, version: .v1_2)
                == frame(.connect, [("a b", "c d"), ("", "")])
        )
        let message = frame(.message, [("k\r", "v\r\n")], body: [1])
        #expect(
            Self.expectedAfterRoundTrip(message, version: .v1_1)
                == frame(.message, [("k ", "v \n"), ("content-length", "1")], body: [1])
        )
        #expect(
            Self.expectedAfterRoundTrip(message, version: .v1_2)
                == frame(.message, [("k\r", "v\r\n"), ("content-length", "1")], body: [1])
        )
    }
}
