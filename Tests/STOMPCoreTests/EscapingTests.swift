import NIOCore
import STOMPCore
import Testing

/// Header escaping, through the public encoder (`encodeHeader`) and the parser.
@Suite("Header escaping")
struct EscapingTests {
    struct EncodeCase: Sendable, CustomTestStringConvertible {
        var name: String
        var value: String
        var escaped: Bool
        var version: STOMPVersion
        /// The line written, EOL included.
        var line: String

        var testDescription: String { "\(version) escaped:\(escaped) \(line.debugDescription)" }
    }

    static let encodeCases: [EncodeCase] = [
        EncodeCase(name: "destination", value: "/queue/a", escaped: true, version: .v1_2, line: "destination:/queue/a\n"),
        EncodeCase(name: "a:b\\c", value: "x\r\ny:z\\", escaped: true, version: .v1_2, line: "a\\cb\\\\c:x\\r\\ny\\cz\\\\\n"),
        // STOMP 1.1 has no escape for CR: it becomes a space.
        EncodeCase(name: "a:b\\c", value: "x\r\ny:z\\", escaped: true, version: .v1_1, line: "a\\cb\\\\c:x \\ny\\cz\\\\\n"),
        // STOMP 1.0 has no escapes at all: CR and LF become spaces, ':' and '\' stay.
        EncodeCase(name: "a:b\\c", value: "x\r\ny:z\\", escaped: true, version: .v1_0, line: "a b\\c:x  y:z\\\n"),
        // CONNECT, STOMP and CONNECTED frames are not escaped in any version.
        EncodeCase(name: "login", value: "x\r\ny:z\\", escaped: false, version: .v1_2, line: "login:x  y:z\\\n"),
        EncodeCase(name: "login", value: "x\ny", escaped: false, version: .v1_1, line: "login:x y\n"),
        EncodeCase(name: "k", value: "", escaped: true, version: .v1_2, line: "k:\n"),
        EncodeCase(name: "cl\u{E9}", value: "\u{65E5}\u{1F680}", escaped: true, version: .v1_2, line: "cl\u{E9}:\u{65E5}\u{1F680}\n"),
        EncodeCase(name: "k", value: "\\n", escaped: true, version: .v1_2, line: "k:\\\\n\n"),
    ]

    @Test("encodeHeader writes the documented bytes", arguments: encodeCases)
    func encode(_ testCase: EncodeCase) {
        var buffer = ByteBuffer()
        STOMPEncoder.encodeHeader(
            name: testCase.name,
            value: testCase.value,
            escaped: testCase.escaped,
            version: testCase.version,
            into: &buffer
        )
        #expect(String(buffer: buffer) == testCase.line)
    }

    private typealias Parsed = Result<STOMPHeaders, STOMPParseError>

    /// Parses one header line of a `command` frame with `version`.
    private func parseHeader(_ line: [UInt8], command: STOMPCommand = .message, version: STOMPVersion) -> Parsed {
        let input = bytes(command.rawValue + "\n") + line + bytes("\n\n\0")
        let run = feed([input], to: STOMPParser(version: version))
        if let error = run.error { return .failure(error) }
        guard case .frame(let parsed)? = run.packets.first else { return .success([:]) }
        return .success(parsed.headers)
    }

    @Test("decoding: each escape of each version", arguments: STOMPVersion.allCases)
    func decode(version: STOMPVersion) {
        let line = bytes("k\\c\\n:a\\\\b\\cc\\nd")
        let expected: STOMPHeaders = version == .v1_0 ? ["k\\c\\n": "a\\\\b\\cc\\nd"] : ["k:\n": "a\\b:c\nd"]
        #expect(parseHeader(line, version: version) == .success(expected))
        let carriageReturn = parseHeader(bytes("k:a\\rb"), version: version)
        switch version {
        case .v1_0: #expect(carriageReturn == .success(["k": "a\\rb"]))
        case .v1_1: #expect(carriageReturn == .failure(.invalidEscape("\\r")))
        case .v1_2: #expect(carriageReturn == .success(["k": "a\rb"]))
        }
    }

    @Test(
        "undefined escapes are fatal in 1.1 and 1.2",
        arguments: [
            ("k:\\t", "\\t"), ("k:a\\", "\\"), ("k\\:v", "\\"), ("k:\\ ", "\\ "), ("k:\\N", "\\N"),
            ("k:\\\u{1}", "\\?"), ("k:\\\u{E9}", "\\?"), ("k:\\\u{7F}", "\\?"),
        ]
    )
    func undefinedEscapes(line: String, sequence: String) {
        for version in [STOMPVersion.v1_1, .v1_2] {
            #expect(parseHeader(bytes(line), version: version) == .failure(.invalidEscape(sequence)))
        }
        #expect(throws: Never.self) { try parseHeader(bytes(line), version: .v1_0).get() }
    }

    @Test("the invalid-escape description shows the sequence and the defined escapes")
    func invalidEscapeDescription() {
        let description = STOMPParseError.invalidEscape("\\t").description
        #expect(description.contains("'\\t'"))
        #expect(description.contains("\\n") && description.contains("\\c") && description.contains("\\r"))
    }

    @Test("frames without escaping: only CONNECT, STOMP and CONNECTED", arguments: STOMPCommand.allCases)
    func commandsWithoutEscaping(command: STOMPCommand) {
        let unescaped: Set<STOMPCommand> = [.connect, .stomp, .connected]
        #expect(command.usesHeaderEscaping == !unescaped.contains(command))
        let result = parseHeader(bytes("k:a\\tb\\c"), command: command, version: .v1_2)
        if command.usesHeaderEscaping {
            #expect(result == .failure(.invalidEscape("\\t")))
        } else {
            #expect(result.map { $0["k"] } == .success("a\\tb\\c"))
        }
    }

    private static let alphabet: [Character] = ["a", "Z", "0", ":", "\\", "\n", "\r", "\r\n", " ", "c", "n", "r", "\u{E9}", "\u{1F680}"]

    private func randomString(_ generator: inout SeededGenerator) -> String {
        String((0..<Int.random(in: 0...12, using: &generator)).map { _ in Self.alphabet.randomElement(using: &generator)! })
    }

    /// `string` with CR and LF (each a scalar) replaced by a space.
    private func spacingLineBreaks(_ string: String, carriageReturnOnly: Bool = false) -> String {
        var scalars = String.UnicodeScalarView()
        for scalar in string.unicodeScalars {
            let replaced = scalar == "\r" || (!carriageReturnOnly && scalar == "\n")
            scalars.append(replaced ? " " : scalar)
        }
        return String(scalars)
    }

    @Test("escaped names and values survive encode then parse (1.1 turns CR into a space)", arguments: [STOMPVersion.v1_1, .v1_2])
    func escapeRoundTrip(version: STOMPVersion) {
        var generator = SeededGenerator(seed: 7)
        for _ in 0..<500 {
            let name = randomString(&generator)
            let value = randomString(&generator)
            guard name != "content-length" else { continue }
            var line = ByteBuffer()
            STOMPEncoder.encodeHeader(name: name, value: value, escaped: true, version: version, into: &line)
            let expectedName = version == .v1_1 ? spacingLineBreaks(name, carriageReturnOnly: true) : name
            let expectedValue = version == .v1_1 ? spacingLineBreaks(value, carriageReturnOnly: true) : value
            let parsed = parseHeader(Array(line.readableBytesView.dropLast()), version: version)
            #expect(parsed == .success(STOMPHeaders([(expectedName, expectedValue)])), "\(name.debugDescription): \(value.debugDescription)")
        }
    }

    @Test("no header injection: an encoded header is one line in every version and mode")
    func noLineBreaksInEncodedHeaders() {
        var generator = SeededGenerator(seed: 11)
        for _ in 0..<300 {
            let name = randomString(&generator)
            let value = randomString(&generator)
            for version in STOMPVersion.allCases {
                for escaped in [true, false] {
                    var line = ByteBuffer()
                    STOMPEncoder.encodeHeader(name: name, value: value, escaped: escaped, version: version, into: &line)
                    let written = Array(line.readableBytesView)
                    #expect(written.last == UInt8(ascii: "\n"))
                    #expect(written.filter { $0 == UInt8(ascii: "\n") }.count == 1)
                    #expect(!written.contains(UInt8(ascii: "\r")))
                    if !escaped || version == .v1_0 {
                        // A colon in the name becomes a space too: the line splits at its first colon.
                        let expected =
                            String(String.UnicodeScalarView(spacingLineBreaks(name).unicodeScalars.map { $0 == ":" ? " " : $0 })) + ":"
                            + spacingLineBreaks(value) + "\n"
                        #expect(String(buffer: line) == expected)
                    }
                }
            }
        }
    }
}
