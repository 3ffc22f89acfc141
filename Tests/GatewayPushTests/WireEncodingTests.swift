import NIOCore
import Testing

@testable import GatewayPush

/// The bytes written to browsers: WebSocket frame headers, SSE chunks and JSON, and
/// that nothing a publisher puts in a header or body can break out of its field.
@Suite("Wire encoding")
struct WireEncodingTests {
    static func encode(_ headers: [(name: String, value: String)], body: String, destination: String = "/topic/orders.42") -> FeedMessage {
        FeedMessage.encode(
            PushUpstreamMessage(destination: destination, headers: headers, body: ByteBuffer(string: body)),
            sequence: 7,
            epoch: "abc",
            receivedAt: .now(),
            allocator: ByteBufferAllocator()
        )
    }

    /// Decodes chunked transfer coding; fails on a malformed chunk.
    static func dechunk(_ buffer: ByteBuffer) throws -> String {
        var bytes = Array(buffer.readableBytesView)
        var out: [UInt8] = []
        while !bytes.isEmpty {
            let lineEnd = try #require(bytes.firstIndex(of: 0x0D))
            let length = try #require(Int(String(decoding: bytes[..<lineEnd], as: UTF8.self), radix: 16))
            #expect(bytes[lineEnd + 1] == 0x0A)
            let start = lineEnd + 2
            out += bytes[start..<(start + length)]
            #expect(Array(bytes[(start + length)..<(start + length + 2)]) == [0x0D, 0x0A])
            bytes.removeFirst(start + length + 2)
        }
        return String(decoding: out, as: UTF8.self)
    }

    @Test func webSocketTailIsAFinalContinuationFrame() throws {
        let message = Self.encode([("content-type", "application/json")], body: #"{"status":"paid"}"#)
        var tail = message.webSocketTail
        let opcode = tail.readInteger(as: UInt8.self)
        #expect(opcode == 0x80)
        let lengthByte = tail.readInteger(as: UInt8.self)
        let length = Int(try #require(lengthByte))
        #expect(length == tail.readableBytes)
        let text = String(buffer: tail)
        #expect(text.hasPrefix("destination:/topic/orders.42\nmessage-id:abc-7\nack:abc-7\ncontent-type:application/json\n"))
        #expect(text.hasSuffix("\n\n{\"status\":\"paid\"}\0"))
        #expect(message.isText)
    }

    @Test func brokerHeadersWithNULAreNotPassedToBrowsers() {
        let message = Self.encode([("x-bad", "a\0\nMESSAGE"), ("x-b\0ad", "v"), ("x-good", "ok")], body: "{}")
        let text = String(buffer: message.webSocketTail)
        #expect(!text.contains("x-bad"))
        #expect(!text.contains("x-b"))
        #expect(text.contains("x-good:ok\n"))
        // The only NUL is the one that ends the frame.
        #expect(message.webSocketTail.readableBytesView.filter { $0 == 0 }.count == 1)
    }

    @Test func longFramesUseExtendedLengths() {
        var buffer = ByteBuffer()
        WebSocketWire.writeFrameHeader(opcode: WebSocketWire.text, fin: true, length: 300, into: &buffer)
        #expect(Array(buffer.readableBytesView) == [0x81, 126, 0x01, 0x2C])
        buffer.clear()
        WebSocketWire.writeFrameHeader(opcode: WebSocketWire.binary, fin: false, length: 70_000, into: &buffer)
        #expect(Array(buffer.readableBytesView) == [0x02, 127, 0, 0, 0, 0, 0, 1, 0x11, 0x70])
    }

    @Test func sseEventIsOneChunkWithOneDataLine() throws {
        let message = Self.encode([("content-type", "text/plain"), ("x-note", "a\"b\\c")], body: "line1\nline2\r\nend")
        let event = try Self.dechunk(message.sseEventWithID)
        let lines = event.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines[0] == "id: abc-7")
        #expect(lines[1] == "event: message")
        #expect(lines[2].hasPrefix("data: {"))
        #expect(lines.count == 5 && lines[3].isEmpty && lines[4].isEmpty, "one event, one data line: \(lines)")
        #expect(event.contains(#""body":"line1\nline2\r\nend""#))
        #expect(event.contains(#""x-note":"a\"b\\c""#))
        #expect(try !Self.dechunk(message.sseEventWithoutID).contains("id:"))
    }

    /// Header injection: CR, LF and NUL from a publisher stay inside their JSON string
    /// and their escaped STOMP header (a header holding a NUL is not passed on over STOMP).
    @Test func hostileHeadersCannotInject() throws {
        let message = Self.encode(
            [("x-evil", "a\r\nid: 999\n\ndata: owned\u{0}"), ("x-evil2", "a\r\nid: 999\n\ndata: owned")],
            body: "ok"
        )
        let event = try Self.dechunk(message.sseEventWithID)
        #expect(event.split(separator: "\n", omittingEmptySubsequences: false).count == 5)
        #expect(event.contains(#"a\r\nid: 999\n\ndata: owned\u0000"#))
        var tail = message.webSocketTail
        tail.moveReaderIndex(forwardBy: 2)
        let stomp = String(buffer: tail)
        // A header with a NUL is dropped on the STOMP side; the others are escaped.
        #expect(!stomp.contains("x-evil:"))
        #expect(stomp.contains("x-evil2:a\\r\\nid\\c 999\\n\\ndata\\c owned\n"))
        #expect(!stomp.contains("\nid: 999"))
    }

    @Test func binaryBodiesAreBase64() throws {
        let message = FeedMessage.encode(
            PushUpstreamMessage(destination: "/topic/bin", headers: [], body: ByteBuffer(bytes: [0xFF, 0x00, 0xFE])),
            sequence: 1,
            epoch: "e",
            receivedAt: .now(),
            allocator: ByteBufferAllocator()
        )
        #expect(!message.isText)
        let event = try Self.dechunk(message.sseEventWithID)
        #expect(event.contains(#""body":"/wD+","bodyEncoding":"base64""#))
    }

    @Test func base64MatchesRFC4648() {
        let vectors = ["": "", "f": "Zg==", "fo": "Zm8=", "foo": "Zm9v", "foob": "Zm9vYg==", "fooba": "Zm9vYmE=", "foobar": "Zm9vYmFy"]
        for (input, output) in vectors { #expect(Base64.encode(Array(input.utf8)) == output) }
    }

    @Test func closeFramesCarryCodeAndReason() {
        var frame = WebSocketWire.closeFrame(code: 1009, reason: "too big", allocator: ByteBufferAllocator())
        let first = frame.readInteger(as: UInt8.self)
        let second = frame.readInteger(as: UInt8.self)
        let code = frame.readInteger(as: UInt16.self)
        #expect(first == 0x88)
        #expect(second == 9)
        #expect(code == 1009)
        #expect(String(buffer: frame) == "too big")
        let long = WebSocketWire.closeFrame(code: 1000, reason: String(repeating: "é", count: 200), allocator: ByteBufferAllocator())
        #expect(long.readableBytes <= 127)
    }
}
