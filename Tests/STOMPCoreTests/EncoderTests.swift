import NIOCore
import NIOEmbedded
import STOMPCore
import Testing

@Suite("Encoder output")
struct EncoderTests {
    private func encoded(_ frame: STOMPFrame, _ version: STOMPVersion = .v1_2) -> [UInt8] {
        var buffer = ByteBuffer()
        STOMPEncoder.encode(frame, version: version, into: &buffer)
        return Array(buffer.readableBytesView)
    }

    @Test("SEND with a body gets the true content-length")
    func send() {
        let send = frame(.send, [("destination", "/queue/a")], body: "hi")
        #expect(encoded(send) == bytes("SEND\ndestination:/queue/a\ncontent-length:2\n\nhi\0"))
    }

    @Test("a frame without a body has no content-length")
    func noBody() {
        #expect(encoded(frame(.disconnect, [("receipt", "77")])) == bytes("DISCONNECT\nreceipt:77\n\n\0"))
        #expect(encoded(frame(.ack)) == bytes("ACK\n\n\0"))
        #expect(encoded(frame(.send, [("content-length", "0")])) == bytes("SEND\n\n\0"))
    }

    @Test("a content-length header of the frame is replaced by the true one, written last")
    func contentLengthReplaced() {
        let message = frame(
            .message,
            [("subscription", "0"), ("content-length", "999"), ("message-id", "1"), ("content-length", "5"), ("destination", "/q")],
            body: "abc"
        )
        #expect(encoded(message) == bytes("MESSAGE\nsubscription:0\nmessage-id:1\ndestination:/q\ncontent-length:3\n\nabc\0"))
    }

    @Test("a binary body with NUL octets is written whole")
    func binaryBody() {
        let body: [UInt8] = [0, 1, 0, 255, 10, 0]
        #expect(encoded(frame(.send, body: body)) == bytes("SEND\ncontent-length:6\n\n") + body + [0])
    }

    @Test("escaping per version in an escaped frame")
    func escapedFrame() {
        let message = frame(.message, [("k:1", "a\\b\r\nc")])
        #expect(encoded(message, .v1_2) == bytes("MESSAGE\nk\\c1:a\\\\b\\r\\nc\n\n\0"))
        #expect(encoded(message, .v1_1) == bytes("MESSAGE\nk\\c1:a\\\\b \\nc\n\n\0"))
        // STOMP 1.0 cannot escape: a colon in the name would split the line, so it becomes a space.
        #expect(encoded(message, .v1_0) == bytes("MESSAGE\nk 1:a\\b  c\n\n\0"))
    }

    @Test("CONNECT values are not escaped, but CR and LF become spaces: no header injection", arguments: STOMPVersion.allCases)
    func connectNotEscaped(version: STOMPVersion) throws {
        let connect = frame(
            .connect,
            [("accept-version", "1.2"), ("login", "x\ninjected:yes"), ("passcode", "p\\c:w\r\nd")]
        )
        let output = encoded(connect, version)
        #expect(output == bytes("CONNECT\naccept-version:1.2\nlogin:x injected:yes\npasscode:p\\c:w  d\n\n\0"))
        let run = feed([output], to: STOMPParser(version: version))
        guard case .frame(let parsed)? = run.packets.first else {
            Issue.record("expected a frame, got \(run.packets) \(String(describing: run.error))")
            return
        }
        #expect(parsed.headers.count == 3)
        #expect(parsed.headers["injected"] == nil)
        #expect(parsed.headers["login"] == "x injected:yes")
        #expect(parsed.headers["passcode"] == "p\\c:w  d")
    }

    @Test("CONNECTED and STOMP are not escaped either")
    func connectedNotEscaped() {
        let connected = frame(.connected, [("version", "1.2"), ("server", "s:1\\x\ny")])
        #expect(encoded(connected) == bytes("CONNECTED\nversion:1.2\nserver:s:1\\x y\n\n\0"))
        let stomp = frame(.stomp, [("host", "a\\b:c")])
        #expect(encoded(stomp) == bytes("STOMP\nhost:a\\b:c\n\n\0"))
    }

    @Test("the returning overload and encodeHead write the same bytes")
    func overloads() {
        let send = frame(.send, [("destination", "/q"), ("x", "a:b")], body: [1, 0, 2])
        for version in STOMPVersion.allCases {
            let returned = STOMPEncoder.encode(send, version: version)
            #expect(Array(returned.readableBytesView) == encoded(send, version))
            var head = ByteBuffer()
            STOMPEncoder.encodeHead(send.command, headers: send.headers, bodyLength: 3, version: version, into: &head)
            head.writeBytes([1, 0, 2, 0])
            #expect(head == returned)
        }
        var empty = ByteBuffer()
        STOMPEncoder.encodeHead(.subscribe, headers: ["id": "0"], bodyLength: 0, version: .v1_2, into: &empty)
        #expect(String(buffer: empty) == "SUBSCRIBE\nid:0\n\n")
    }

    @Test("encode appends to what the buffer holds")
    func appends() {
        var buffer = ByteBuffer(string: "\n")
        STOMPEncoder.encode(frame(.ack, [("id", "1")]), version: .v1_2, into: &buffer)
        STOMPEncoder.encode(frame(.nack, [("id", "2")]), version: .v1_2, into: &buffer)
        #expect(String(buffer: buffer) == "\nACK\nid:1\n\n\0NACK\nid:2\n\n\0")
    }

    @Test("a String body is its UTF-8 bytes")
    func stringBody() {
        let send = STOMPFrame(.send, headers: ["destination": "/q"], body: "\u{E9}\u{1F680}")
        #expect(send.body.readableBytes == 6)
        #expect(send.bodyString == "\u{E9}\u{1F680}")
        #expect(encoded(send) == bytes("SEND\ndestination:/q\ncontent-length:6\n\n\u{E9}\u{1F680}\0"))
    }

    @Test("STOMPFrameEncoder in a pipeline writes the encoder's bytes", arguments: STOMPVersion.allCases)
    func frameEncoderInPipeline(version: STOMPVersion) throws {
        let channel = EmbeddedChannel(handler: MessageToByteHandler(STOMPFrameEncoder(version: version)))
        let frames = [
            frame(.send, [("destination", "/q"), ("k", "a:b\\c\nd")], body: [0, 1]),
            frame(.disconnect, [("receipt", "1")]),
        ]
        for outbound in frames {
            try channel.writeOutbound(outbound)
        }
        for outbound in frames {
            let written = try #require(try channel.readOutbound(as: ByteBuffer.self))
            #expect(Array(written.readableBytesView) == encoded(outbound, version))
        }
        #expect(try channel.readOutbound(as: ByteBuffer.self) == nil)
        #expect(try channel.finish().isClean)
    }

    @Test("STOMPFrameEncoder defaults to 1.2")
    func frameEncoderDefault() {
        #expect(STOMPFrameEncoder().version == .v1_2)
    }
}
