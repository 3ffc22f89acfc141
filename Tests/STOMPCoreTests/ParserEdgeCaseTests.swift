import NIOCore
import STOMPCore
import Testing

/// One edge case of the STOMP grammar: input bytes and what a parser must make of them.
struct ParserCase: Sendable, CustomTestStringConvertible {
    var name: String
    var input: [UInt8]
    /// The parser's configured version; `nil` learns it from the stream.
    var version: STOMPVersion?
    /// The packets expected before the input ends (or before `error`).
    var packets: [STOMPPacket]
    /// The error expected after `packets`, if any.
    var error: STOMPParseError?

    init(_ name: String, _ input: String, version: STOMPVersion? = nil, _ packets: [STOMPPacket], error: STOMPParseError? = nil) {
        self.name = name
        self.input = Array(input.utf8)
        self.version = version
        self.packets = packets
        self.error = error
    }

    var testDescription: String { name }
}

// In the inputs below `\\` is one backslash on the wire and `\0` is the NUL octet.
private let cases: [ParserCase] = [
    ParserCase(
        "LF line endings",
        "SEND\ndestination:/queue/a\n\nhello\0",
        [.frame(frame(.send, [("destination", "/queue/a")], body: "hello"))]
    ),
    ParserCase(
        "CRLF line endings",
        "SEND\r\ndestination:/queue/a\r\n\r\nhello\0",
        [.frame(frame(.send, [("destination", "/queue/a")], body: "hello"))]
    ),
    ParserCase(
        "mixed LF and CRLF line endings",
        "SEND\r\ndestination:/q\nreceipt:1\r\n\n\0",
        [.frame(frame(.send, [("destination", "/q"), ("receipt", "1")]))]
    ),
    ParserCase(
        "heart-beat EOLs before, between and after frames",
        "\n\r\nSEND\n\n\0\n\nRECEIPT\nreceipt-id:7\n\n\0\r\n",
        [
            .heartbeat, .heartbeat, .frame(frame(.send)), .heartbeat, .heartbeat,
            .frame(frame(.receipt, [("receipt-id", "7")])), .heartbeat,
        ]
    ),
    ParserCase("only heart-beats", "\n\r\n\n", [.heartbeat, .heartbeat, .heartbeat]),
    ParserCase(
        "repeated header: every entry kept in order",
        "MESSAGE\nfoo:first\nbar:x\nfoo:second\nfoo:third\n\n\0",
        [.frame(frame(.message, [("foo", "first"), ("bar", "x"), ("foo", "second"), ("foo", "third")]))]
    ),
    ParserCase(
        "value containing ':' splits at the first colon",
        "SEND\ndestination:/queue/a:b:c\nurl:http://h:80/\n\n\0",
        [.frame(frame(.send, [("destination", "/queue/a:b:c"), ("url", "http://h:80/")]))]
    ),
    ParserCase(
        "empty header value",
        "SEND\nempty:\ndestination:/q\n\n\0",
        [.frame(frame(.send, [("empty", ""), ("destination", "/q")]))]
    ),
    ParserCase(
        "spaces around a value are kept",
        "SEND\nk: v \n\n\0",
        [.frame(frame(.send, [("k", " v ")]))]
    ),
    ParserCase(
        "unicode names and values",
        "SEND\ncl\u{E9}:\u{65E5}\u{672C}\u{1F680}\n\n\0",
        [.frame(frame(.send, [("cl\u{E9}", "\u{65E5}\u{672C}\u{1F680}")]))]
    ),
    ParserCase(
        "1.2 escapes \\n \\c \\\\ \\r in names and values",
        "MESSAGE\na\\cb\\\\c\\n\\r:v\\c1\\n\\r\\\\\n\n\0",
        [.frame(frame(.message, [("a:b\\c\n\r", "v:1\n\r\\")]))]
    ),
    ParserCase(
        "1.1 escapes \\n \\c \\\\",
        "MESSAGE\nk\\c:a\\nb\\\\\n\n\0",
        version: .v1_1,
        [.frame(frame(.message, [("k:", "a\nb\\")]))]
    ),
    ParserCase("\\r is not an escape in 1.1", "MESSAGE\nk:a\\rb\n\n\0", version: .v1_1, [], error: .invalidEscape("\\r")),
    ParserCase("undefined escape \\t", "SEND\nk:a\\tb\n\n\0", [], error: .invalidEscape("\\t")),
    ParserCase("trailing lone backslash in a value", "SEND\nk:ab\\\n\n\0", [], error: .invalidEscape("\\")),
    ParserCase("trailing lone backslash in a name", "SEND\nk\\:v\n\n\0", [], error: .invalidEscape("\\")),
    ParserCase(
        "no unescaping in 1.0",
        "SEND\npath:C:\\temp\\new\nk\\c:v\\r\\\n\n\0",
        version: .v1_0,
        [.frame(frame(.send, [("path", "C:\\temp\\new"), ("k\\c", "v\\r\\")]))]
    ),
    ParserCase(
        "no unescaping in CONNECT",
        "CONNECT\naccept-version:1.2\nlogin:a\\tb\\nc\npasscode:x\\\n\n\0",
        [.frame(frame(.connect, [("accept-version", "1.2"), ("login", "a\\tb\\nc"), ("passcode", "x\\")]))]
    ),
    ParserCase(
        "no unescaping in STOMP",
        "STOMP\naccept-version:1.2\nhost:a\\cb\n\n\0",
        [.frame(frame(.stomp, [("accept-version", "1.2"), ("host", "a\\cb")]))]
    ),
    ParserCase(
        "no unescaping in CONNECTED",
        "CONNECTED\nversion:1.2\nserver:s\\c1\\t\n\n\0",
        [.frame(frame(.connected, [("version", "1.2"), ("server", "s\\c1\\t")]))]
    ),
    ParserCase(
        "content-length body containing NUL octets",
        "SEND\ncontent-length:5\n\na\0b\0c\0\n",
        [.frame(frame(.send, [("content-length", "5")], body: [0x61, 0, 0x62, 0, 0x63])), .heartbeat]
    ),
    ParserCase(
        "content-length body containing EOLs",
        "MESSAGE\ncontent-length:4\n\n\n\r\n\n\0",
        [.frame(frame(.message, [("content-length", "4")], body: "\n\r\n\n"))]
    ),
    ParserCase(
        "content-length zero",
        "SEND\ncontent-length:0\n\n\0",
        [.frame(frame(.send, [("content-length", "0")]))]
    ),
    ParserCase(
        "content-length with surrounding spaces is tolerated",
        "SEND\ncontent-length: 3 \n\na\0b\0",
        [.frame(frame(.send, [("content-length", " 3 ")], body: [0x61, 0, 0x62]))]
    ),
    ParserCase(
        "repeated content-length: the first wins",
        "SEND\ncontent-length:1\ncontent-length:5\n\nX\0",
        [.frame(frame(.send, [("content-length", "1"), ("content-length", "5")], body: "X"))]
    ),
    ParserCase(
        "body without content-length ends at the first NUL",
        "MESSAGE\n\nab\0SEND\n\n\0",
        [.frame(frame(.message, body: "ab")), .frame(frame(.send))]
    ),
    ParserCase(
        "content-length body followed by a non-NUL octet",
        "SEND\ncontent-length:2\n\nabc\0",
        [],
        error: .missingNULTerminator
    ),
    ParserCase("content-length not a number", "SEND\ncontent-length:abc\n\n\0", [], error: .invalidContentLength("abc")),
    ParserCase("negative content-length", "SEND\ncontent-length:-1\n\n\0", [], error: .invalidContentLength("-1")),
    ParserCase("signed content-length", "SEND\ncontent-length:+1\n\nx\0", [], error: .invalidContentLength("+1")),
    ParserCase("empty content-length", "SEND\ncontent-length:\n\n\0", [], error: .invalidContentLength("")),
    ParserCase(
        "content-length of 19 digits",
        "SEND\ncontent-length:1234567890123456789\n\n\0",
        [],
        error: .invalidContentLength("1234567890123456789")
    ),
    ParserCase("unknown command", "FOO\n\n\0", [], error: .unknownCommand("FOO")),
    ParserCase("lower-case command", "send\n\n\0", [], error: .unknownCommand("send")),
    ParserCase("command with trailing space", "SEND \n\n\0", [], error: .unknownCommand("SEND ")),
    ParserCase("CR not followed by LF before a command", "\rSEND\n\n\0", [], error: .unknownCommand("?SEND")),
    ParserCase("header without a colon", "SEND\nnocolon\n\n\0", [], error: .malformedHeader("nocolon")),
    ParserCase(
        "frames with no headers",
        "ACK\n\n\0NACK\n\n\0UNSUBSCRIBE\n\n\0DISCONNECT\r\n\r\n\0ERROR\n\nboom\0",
        [
            .frame(frame(.ack)), .frame(frame(.nack)), .frame(frame(.unsubscribe)), .frame(frame(.disconnect)),
            .frame(frame(.error, body: "boom")),
        ]
    ),
    ParserCase(
        "version 1.0 learnt from CONNECTED",
        "CONNECTED\nversion:1.0\n\n\0MESSAGE\nk:a\\tb\n\n\0",
        [.frame(frame(.connected, [("version", "1.0")])), .frame(frame(.message, [("k", "a\\tb")]))]
    ),
    ParserCase(
        "version 1.1 learnt from CONNECTED",
        "CONNECTED\nversion:1.1\n\n\0MESSAGE\nk:a\\nb\n\n\0MESSAGE\nk:a\\rb\n\n\0",
        [.frame(frame(.connected, [("version", "1.1")])), .frame(frame(.message, [("k", "a\nb")]))],
        error: .invalidEscape("\\r")
    ),
    ParserCase(
        "CONNECTED without version means 1.0",
        "CONNECTED\n\n\0MESSAGE\nk:\\r\n\n\0",
        [.frame(frame(.connected)), .frame(frame(.message, [("k", "\\r")]))]
    ),
    ParserCase(
        "version 1.0 learnt from CONNECT accept-version",
        "CONNECT\naccept-version:1.0\nhost:h\n\n\0SEND\npath:C:\\temp\n\n\0",
        [.frame(frame(.connect, [("accept-version", "1.0"), ("host", "h")])), .frame(frame(.send, [("path", "C:\\temp")]))]
    ),
    ParserCase(
        "version 1.1 learnt from CONNECT accept-version (highest offered)",
        "CONNECT\naccept-version:1.0,1.1\n\n\0SEND\nk:a\\rb\n\n\0",
        [.frame(frame(.connect, [("accept-version", "1.0,1.1")]))],
        error: .invalidEscape("\\r")
    ),
    ParserCase(
        "version 1.2 learnt from STOMP accept-version",
        "STOMP\naccept-version:1.1,1.2\n\n\0SEND\nk:a\\rb\n\n\0",
        [.frame(frame(.stomp, [("accept-version", "1.1,1.2")])), .frame(frame(.send, [("k", "a\rb")]))]
    ),
    ParserCase(
        "CONNECT without accept-version means 1.0",
        "CONNECT\nhost:h\n\n\0SEND\nk:\\c\n\n\0",
        [.frame(frame(.connect, [("host", "h")])), .frame(frame(.send, [("k", "\\c")]))]
    ),
]

/// A prefix of valid packets that the "concatenated" delivery puts before an error case.
private let validPrefix = bytes("SEND\n\nok\0\n")

@Suite("Parser edge cases from the specification")
struct ParserEdgeCaseTests {
    private func check(_ run: ParseRun, packets: [STOMPPacket], error: STOMPParseError?, _ detail: String = "") {
        #expect(run.packets == packets, "\(detail)")
        #expect(run.error == error, "\(detail)")
        if error == nil {
            #expect(run.leftover == 0, "every byte consumed \(detail)")
        }
    }

    @Test("all at once", arguments: cases)
    func allAtOnce(_ testCase: ParserCase) {
        let run = feed([testCase.input], to: STOMPParser(version: testCase.version))
        check(run, packets: testCase.packets, error: testCase.error)
    }

    @Test("byte by byte", arguments: cases)
    func byteByByte(_ testCase: ParserCase) {
        let run = feed(Delivery.byteByByte(testCase.input), to: STOMPParser(version: testCase.version))
        check(run, packets: testCase.packets, error: testCase.error)
    }

    @Test("many frames concatenated in one buffer", arguments: cases)
    func concatenated(_ testCase: ParserCase) {
        let parser = STOMPParser(version: testCase.version)
        if testCase.error == nil {
            let input = Array([[UInt8]](repeating: testCase.input, count: 4).joined())
            let run = feed([input], to: parser)
            check(run, packets: Array([[STOMPPacket]](repeating: testCase.packets, count: 4).joined()), error: nil)
        } else {
            let input = validPrefix + validPrefix + testCase.input
            let prefixPackets: [STOMPPacket] = [.frame(frame(.send, body: "ok")), .heartbeat]
            let run = feed([input], to: parser)
            check(run, packets: prefixPackets + prefixPackets + testCase.packets, error: testCase.error)
        }
    }

    @Test("split at every position into two chunks", arguments: cases)
    func everySplit(_ testCase: ParserCase) {
        for split in Delivery.everySplit(testCase.input) {
            let run = feed(split.chunks, to: STOMPParser(version: testCase.version))
            check(run, packets: testCase.packets, error: testCase.error, "split at \(split.position)")
        }
    }

    @Test("a repeated header: the first value wins and every value is kept")
    func repeatedHeaderFirstWins() throws {
        let run = feed([bytes("MESSAGE\nfoo:first\nfoo:second\n\n\0")])
        let packet = try #require(run.packets.first)
        guard case .frame(let message) = packet else {
            Issue.record("expected a frame, got \(packet)")
            return
        }
        #expect(message.headers["foo"] == "first")
        #expect(message.headers.first(name: "foo") == "first")
        #expect(message.headers.values(name: "foo") == ["first", "second"])
    }

    @Test(
        "the parser learns its version from the stream",
        arguments: [
            ("CONNECTED\nversion:1.1\n\n\0", STOMPVersion.v1_1),
            ("CONNECTED\nversion:1.2\n\n\0", .v1_2),
            ("CONNECTED\n\n\0", .v1_0),
            ("CONNECT\naccept-version:1.0,1.1,1.2\n\n\0", .v1_2),
            ("CONNECT\naccept-version:1.1\n\n\0", .v1_1),
            ("STOMP\naccept-version:1.0\n\n\0", .v1_0),
            ("CONNECT\n\n\0", .v1_0),
        ]
    )
    func learnsVersion(input: String, expected: STOMPVersion) {
        var parser = STOMPParser()
        #expect(parser.version == nil)
        let run = feed([bytes(input)], to: parser)
        #expect(run.error == nil)
        #expect(run.parser.version == expected)
        // Once learnt, the version does not change.
        parser = run.parser
        let again = feed([bytes("CONNECTED\nversion:1.0\n\n\0")], to: parser)
        #expect(again.parser.version == expected)
    }

    @Test("a configured version is not overridden by the stream")
    func configuredVersionIsKept() {
        let run = feed([bytes("CONNECTED\nversion:1.0\n\n\0MESSAGE\nk:a\\rb\n\n\0")], to: STOMPParser(version: .v1_2))
        #expect(run.parser.version == .v1_2)
        #expect(run.packets.last == .frame(frame(.message, [("k", "a\rb")])))
    }

    @Test("no frame before a NUL arrives: needMoreData, then the frame")
    func needMoreDataUntilComplete() throws {
        var parser = STOMPParser()
        var buffer = ByteBuffer(string: "SEND\ndestination:/q\n\nbody")
        #expect(try parser.parse(&buffer) == .needMoreData)
        #expect(try parser.parse(&buffer) == .needMoreData)
        buffer.writeBytes([0])
        #expect(try parser.parse(&buffer) == .frame(frame(.send, [("destination", "/q")], body: "body")))
        #expect(try parser.parse(&buffer) == .needMoreData)
        #expect(buffer.readableBytes == 0)
    }

    @Test("every command parses", arguments: STOMPCommand.allCases)
    func everyCommand(_ command: STOMPCommand) {
        let run = feed([bytes("\(command.rawValue)\n\n\0")])
        #expect(run.error == nil)
        #expect(run.packets == [.frame(frame(command))])
    }
}
