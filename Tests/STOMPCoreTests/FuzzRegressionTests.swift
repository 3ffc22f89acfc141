import Foundation
import NIOCore
import STOMPCore
import Testing

/// Inputs the libFuzzer targets in Fuzz/ found crashing a check, kept as tests (the
/// same inputs are under Fuzz/Regressions/).
@Suite("Fuzz regressions (STOMPCore)")
struct FuzzRegressionTests {
    /// FuzzSTOMPParser: a `content-length` whose value holds an escaped LF (`\n`) made
    /// an error whose description spans lines (it went into logs and ERROR frames).
    @Test func contentLengthErrorStaysOnOneLine() throws {
        let crash = try #require(
            Data(
                base64Encoded:
                    "AAECU0VORApkZXN0aW5hdGlvbjovcXVldWUvYQpjb250ZW50LWxlbmd0aDogIAAAAAAAAAAAAAAAAAAAAAAAAAAAAFxuAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAABAgoKDfn5+fn5+flg+fn5CmgBAlNFTgAAAAAAAAAAAAAAAEQKZGVzdGluYXRpb246L3F1ZXVlYQpyZWNlaXB0Om1lc3NhZ2UtLTEyMzQ1CgpoZWxsb2UAAGxsbyAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAD5+fn5+fn5+fn5+fn5+fn5+fn5+fn5+fn5+fn5+fn5+fn5+fn5+fn5+fn5+fn5+fj5+fn5+QAAAAAAAAAAAAAAAHF1+flldWUg+fn5+fn5AAAAAABhAAAzIAr5CmEA+QD5+Qo="
            )
        )
        // The fuzz target's first three bytes choose the configuration; the stream follows.
        var buffer = ByteBuffer(bytes: crash.dropFirst(3))
        var parser = STOMPParser()
        #expect {
            while case .frame = try parser.parse(&buffer) {}
        } throws: { error in
            guard case .invalidContentLength(let excerpt) = error as? STOMPParseError else { return false }
            return !"\(error)".contains("\n") && !excerpt.contains("\n") && !excerpt.contains("\r")
        }

        var plain = ByteBuffer(string: "SEND\ncontent-length:1\\n2\n\n\0")
        var second = STOMPParser()
        #expect(throws: STOMPParseError.invalidContentLength("1?n2")) { try second.parse(&plain) }
    }

    /// FuzzSTOMPRoundTrip: in a frame without escaping (CONNECT, CONNECTED, STOMP 1.0) a
    /// colon in a header *name* split the line early, so the name `content-length:-id`
    /// became a `content-length` header (a header injected by a name).
    @Test(arguments: [STOMPVersion.v1_0, .v1_1, .v1_2])
    func colonInUnescapedHeaderName(version: STOMPVersion) throws {
        let name = "content-length:-id"
        let value = "\r\r\r\r,\0\0\0\r\r"
        let frame = STOMPFrame(
            .connected,
            headers: STOMPHeaders([(name, value), ("\r\r\\rk\u{FFFD}\u{FFFD}conten", "")])
        )
        var buffer = STOMPEncoder.encode(frame, version: version)
        var parser = STOMPParser(version: version)
        let decoded = try parser.parse(&buffer)
        let expected = STOMPFrame(
            .connected,
            headers: STOMPHeaders([("content-length -id", "    ,\0\0\0  "), ("  \\rk\u{FFFD}\u{FFFD}conten", "")])
        )
        #expect(decoded == .frame(expected))

        // The same for a SEND in STOMP 1.0, where no frame has escaping.
        var send = STOMPEncoder.encode(STOMPFrame(.send, headers: ["destination:/queue/evil": "x", "destination": "/queue/a"]), version: .v1_0)
        var v10 = STOMPParser(version: .v1_0)
        guard case .frame(let parsed) = try v10.parse(&send) else { throw CancellationError() }
        #expect(parsed.headers.first(name: "destination") == "/queue/a")
    }
}
