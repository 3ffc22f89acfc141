import NIOCore
import STOMPCore
import Testing

@Suite("Parser limits")
struct LimitsTests {
    /// Generous limits with one of them lowered by the caller.
    private func limits(
        line: Int = 1024,
        count: Int = 64,
        body: Int = 1 << 20,
        frame: Int = 1 << 21
    ) -> STOMPParserLimits {
        STOMPParserLimits(maxHeaderLineLength: line, maxHeaderCount: count, maxBodySize: body, maxFrameSize: frame)
    }

    /// Feeds `input` whole, byte by byte and split in two at the middle; every delivery
    /// must give the same outcome, which is returned.
    private func parseAllWays(_ input: [UInt8], limits: STOMPParserLimits) -> ParseRun {
        let whole = feed([input], to: STOMPParser(limits: limits))
        let byByte = feed(Delivery.byteByByte(input), to: STOMPParser(limits: limits))
        let halves = feed(Delivery.chunks(input, size: max(1, input.count / 2)), to: STOMPParser(limits: limits))
        #expect(byByte.packets == whole.packets)
        #expect(byByte.error == whole.error)
        #expect(halves.packets == whole.packets)
        #expect(halves.error == whole.error)
        return whole
    }

    @Test("the defaults are the documented ones")
    func defaults() {
        let limits = STOMPParserLimits.default
        #expect(limits.maxHeaderLineLength == 16 * 1024)
        #expect(limits.maxHeaderCount == 128)
        #expect(limits.maxBodySize == 8 * 1024 * 1024)
        #expect(limits.maxFrameSize == 8 * 1024 * 1024 + 64 * 1024)
        #expect(STOMPParserLimits() == .default)
    }

    // MARK: maxHeaderLineLength

    @Test("a header line of exactly maxHeaderLineLength bytes passes, with LF or CRLF", arguments: ["\n", "\r\n"])
    func headerLineAtLimit(eol: String) {
        let line = "k:" + String(repeating: "v", count: 14)  // 16 bytes
        let run = parseAllWays(bytes("SEND" + eol + line + eol + eol + "\0"), limits: limits(line: 16))
        #expect(run.error == nil)
        #expect(run.packets == [.frame(frame(.send, [("k", String(repeating: "v", count: 14))]))])
    }

    @Test("a header line one byte over maxHeaderLineLength is refused", arguments: ["\n", "\r\n"])
    func headerLineOverLimit(eol: String) {
        let line = "k:" + String(repeating: "v", count: 15)  // 17 bytes
        let run = parseAllWays(bytes("SEND" + eol + line + eol + eol + "\0"), limits: limits(line: 16))
        #expect(run.error == .headerLineTooLong(limit: 16))
        #expect(run.packets.isEmpty)
    }

    @Test("a long header line is refused before its EOL arrives")
    func headerLineRefusedEarly() {
        // Room for the line and a CR that may turn out to start a CRLF; one more byte is too many.
        let waiting = feed([bytes("SEND\n" + String(repeating: "x", count: 17))], to: STOMPParser(limits: limits(line: 16)))
        #expect(waiting.error == nil)
        let refused = feed([bytes("SEND\n" + String(repeating: "x", count: 18))], to: STOMPParser(limits: limits(line: 16)))
        #expect(refused.error == .headerLineTooLong(limit: 16))
    }

    @Test("the command line counts as a header line")
    func commandLineCounts() {
        let short = parseAllWays(bytes("ACK\n\n\0"), limits: limits(line: 3))
        #expect(short.packets == [.frame(frame(.ack))])
        let long = parseAllWays(bytes("SEND\n\n\0"), limits: limits(line: 3))
        #expect(long.error == .headerLineTooLong(limit: 3))
        // An endless command line is refused without waiting for an LF.
        let endless = feed(Delivery.chunks(Array(repeating: UInt8(ascii: "A"), count: 4096), size: 100), to: STOMPParser())
        #expect(endless.error == nil)
        let endlessLimited = feed(
            Delivery.chunks(Array(repeating: UInt8(ascii: "A"), count: 4096), size: 100),
            to: STOMPParser(limits: limits(line: 64))
        )
        #expect(endlessLimited.error == .headerLineTooLong(limit: 64))
    }

    // MARK: maxHeaderCount

    @Test("exactly maxHeaderCount headers pass; one more is refused, repeats included")
    func headerCount() {
        let four = "SEND\na:1\nb:2\nc:3\nd:4\n\n\0"
        let ok = parseAllWays(bytes(four), limits: limits(count: 4))
        #expect(ok.packets == [.frame(frame(.send, [("a", "1"), ("b", "2"), ("c", "3"), ("d", "4")]))])
        let five = parseAllWays(bytes("SEND\na:1\nb:2\nc:3\nd:4\ne:5\n\n\0"), limits: limits(count: 4))
        #expect(five.error == .tooManyHeaders(limit: 4))
        let repeats = parseAllWays(bytes("SEND\n" + String(repeating: "a:1\n", count: 5) + "\n\0"), limits: limits(count: 4))
        #expect(repeats.error == .tooManyHeaders(limit: 4))
        let none = parseAllWays(bytes("SEND\n\n\0"), limits: limits(count: 0))
        #expect(none.packets == [.frame(frame(.send))])
    }

    // MARK: maxBodySize

    @Test("a content-length body of exactly maxBodySize passes")
    func contentLengthBodyAtLimit() {
        let body = [UInt8](repeating: 0, count: 10)
        let run = parseAllWays(bytes("SEND\ncontent-length:10\n\n") + body + [0], limits: limits(body: 10))
        #expect(run.packets == [.frame(frame(.send, [("content-length", "10")], body: body))])
    }

    @Test(
        "a content-length over maxBodySize is refused after the headers, before any body byte",
        arguments: ["11", "999999999999999999"]
    )
    func contentLengthBodyOverLimit(length: String) {
        let headersOnly = bytes("SEND\ndestination:/q\ncontent-length:\(length)\n\n")
        let run = parseAllWays(headersOnly, limits: limits(body: 10))
        #expect(run.error == .bodyTooLarge(limit: 10))
    }

    @Test("a body without content-length of exactly maxBodySize passes")
    func delimitedBodyAtLimit() {
        let body = [UInt8](repeating: UInt8(ascii: "b"), count: 10)
        let run = parseAllWays(bytes("SEND\n\n") + body + [0], limits: limits(body: 10))
        #expect(run.packets == [.frame(frame(.send, body: body))])
    }

    @Test("a body without content-length over maxBodySize is refused, even before its NUL arrives")
    func delimitedBodyOverLimit() {
        let body = [UInt8](repeating: UInt8(ascii: "b"), count: 11)
        let complete = parseAllWays(bytes("SEND\n\n") + body + [0], limits: limits(body: 10))
        #expect(complete.error == .bodyTooLarge(limit: 10))
        let streaming = parseAllWays(bytes("SEND\n\n") + body, limits: limits(body: 10))
        #expect(streaming.error == .bodyTooLarge(limit: 10))
        let waiting = parseAllWays(bytes("SEND\n\n") + body.dropLast(), limits: limits(body: 10))
        #expect(waiting.error == nil)
        #expect(waiting.packets.isEmpty)
    }

    // MARK: maxFrameSize

    @Test("a content-length frame of exactly maxFrameSize passes; one byte less is refused after the headers")
    func contentLengthFrame() {
        let head = bytes("SEND\ncontent-length:5\n\n")
        let input = head + bytes("hello") + [0]
        let ok = parseAllWays(input, limits: limits(frame: input.count))
        #expect(ok.packets == [.frame(frame(.send, [("content-length", "5")], body: "hello"))])
        let refused = parseAllWays(head, limits: limits(frame: input.count - 1))
        #expect(refused.error == .frameTooLarge(limit: input.count - 1))
    }

    @Test("a frame without content-length of exactly maxFrameSize passes; one byte less is refused")
    func delimitedFrame() {
        let input = bytes("SEND\ndestination:/q\n\nhello\0")
        let ok = parseAllWays(input, limits: limits(frame: input.count))
        #expect(ok.packets == [.frame(frame(.send, [("destination", "/q")], body: "hello"))])
        let refused = parseAllWays(input, limits: limits(frame: input.count - 1))
        #expect(refused.error == .frameTooLarge(limit: input.count - 1))
        // A body that keeps coming without its NUL is refused without waiting for it.
        let streaming = parseAllWays(bytes("SEND\n\n") + [UInt8](repeating: 1, count: 100), limits: limits(frame: 50))
        #expect(streaming.error == .frameTooLarge(limit: 50))
    }

    @Test("headers alone can exceed maxFrameSize")
    func headersExceedFrame() {
        let input = bytes("SEND\n" + String(repeating: "header:value\n", count: 10) + "\n\0")
        let refused = parseAllWays(input, limits: limits(frame: 64))
        #expect(refused.error == .frameTooLarge(limit: 64))
        let empty = bytes("SEND\n\n\0")
        #expect(parseAllWays(empty, limits: limits(frame: empty.count)).packets == [.frame(frame(.send))])
        #expect(parseAllWays(empty, limits: limits(frame: empty.count - 1)).error == .frameTooLarge(limit: empty.count - 1))
    }

    @Test("limits apply per frame: heart-beats and earlier frames do not count")
    func limitsResetPerFrame() {
        let one = bytes("SEND\ncontent-length:3\n\nabc\0")
        let input = Array([one, bytes("\n\n\r\n"), one, one].joined())
        let run = parseAllWays(input, limits: limits(count: 1, body: 3, frame: one.count))
        let expected: STOMPPacket = .frame(frame(.send, [("content-length", "3")], body: "abc"))
        #expect(run.error == nil)
        #expect(run.packets == [expected, .heartbeat, .heartbeat, .heartbeat, expected, expected])
    }

    // MARK: Descriptions

    @Test(
        "each limit error names its limit",
        arguments: [
            (STOMPParseError.headerLineTooLong(limit: 16), "maxHeaderLineLength"),
            (.tooManyHeaders(limit: 4), "maxHeaderCount"),
            (.bodyTooLarge(limit: 10), "maxBodySize"),
            (.frameTooLarge(limit: 77), "maxFrameSize"),
        ]
    )
    func descriptionsNameTheLimit(error: STOMPParseError, limitName: String) {
        #expect(error.description.contains(limitName))
        let number: Int
        switch error {
        case .headerLineTooLong(let limit), .tooManyHeaders(let limit), .bodyTooLarge(let limit), .frameTooLarge(let limit):
            number = limit
        default:
            Issue.record("not a limit error: \(error)")
            return
        }
        #expect(error.description.contains(String(number)))
        #expect(!error.description.contains("\n"))
    }

    @Test("error excerpts of untrusted bytes cannot inject lines")
    func excerptsAreSanitised() {
        let run = feed([bytes("SE\rND\\X" + String(repeating: "Y", count: 40) + "\n\n\0")])
        guard case .unknownCommand(let excerpt) = run.error else {
            Issue.record("expected unknownCommand, got \(String(describing: run.error))")
            return
        }
        #expect(!excerpt.contains("\r") && !excerpt.contains("\n") && !excerpt.contains("\\"))
        #expect(excerpt.hasPrefix("SE?ND?X"))
        #expect(excerpt.hasSuffix("…"))
        let header = feed([bytes("SEND\nbad\rline\n\n\0")])
        #expect(header.error == .malformedHeader("bad?line"))
    }

    // MARK: Large inputs

    // The parser never rescans bytes it has searched; that is not observable, but a
    // rescanning parser would be quadratic here. No timing is asserted.
    @Test("never rescans: a 1 MB body fed in 1 KB chunks completes, with and without content-length", arguments: [true, false])
    func largeBodyInChunks(withContentLength: Bool) throws {
        let size = 1 << 20
        var generator = SeededGenerator(seed: 42)
        // Without content-length the body must not contain NUL.
        let body = (0..<size).map { _ in UInt8.random(in: withContentLength ? 0...255 : 1...255, using: &generator) }
        let head = withContentLength ? "SEND\ncontent-length:\(size)\n\n" : "SEND\n\n"
        let input = bytes(head) + body + [0] + bytes("\n")
        let run = feed(Delivery.chunks(input, size: 1024))
        #expect(run.error == nil)
        #expect(run.leftover == 0)
        #expect(run.packets.count == 2)
        let first = try #require(run.packets.first)
        guard case .frame(let parsed) = first else {
            Issue.record("expected a frame, got \(first)")
            return
        }
        #expect(parsed.body == ByteBuffer(bytes: body))
        #expect(run.packets.last == .heartbeat)
    }

    @Test("never rescans: a 64 KiB body fed byte by byte completes, with and without content-length", arguments: [true, false])
    func bodyByteByByte(withContentLength: Bool) {
        let body = [UInt8](repeating: UInt8(ascii: "x"), count: 64 * 1024)
        let head = withContentLength ? "MESSAGE\ncontent-length:\(body.count)\n\n" : "MESSAGE\n\n"
        let run = feed(Delivery.byteByByte(bytes(head) + body + [0]))
        #expect(run.error == nil)
        let headers: [(String, String)] = withContentLength ? [("content-length", String(body.count))] : []
        #expect(run.packets == [.frame(frame(.message, headers, body: body))])
    }

    @Test("a header line at the default limit fed byte by byte completes")
    func longHeaderLineByteByByte() {
        let value = String(repeating: "v", count: STOMPParserLimits.default.maxHeaderLineLength - 2)
        let run = feed(Delivery.byteByByte(bytes("SEND\nk:" + value + "\r\n\r\n\0")))
        #expect(run.error == nil)
        #expect(run.packets == [.frame(frame(.send, [("k", value)]))])
    }
}
