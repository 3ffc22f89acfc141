import NIOCore
import NIOEmbedded
import STOMPCore
import Testing

/// `STOMPFrameDecoder` inside a `ByteToMessageHandler` on an `EmbeddedChannel`.
@Suite("STOMPFrameDecoder in a channel")
struct DecoderChannelTests {
    private static let stream = bytes(
        "\nCONNECTED\nversion:1.2\nheart-beat:0,0\n\n\0\r\n"
            + "MESSAGE\nsubscription:0\nmessage-id:1\ndestination:/q\\c1\ncontent-length:3\n\na\0b\0"
            + "RECEIPT\nreceipt-id:77\n\n\0\n"
            + "ERROR\nmessage:bad\n\nsomething went wrong\0"
    )

    private static let expected: [STOMPPacket] = [
        .heartbeat,
        .frame(frame(.connected, [("version", "1.2"), ("heart-beat", "0,0")])),
        .heartbeat,
        .frame(
            frame(
                .message,
                [("subscription", "0"), ("message-id", "1"), ("destination", "/q:1"), ("content-length", "3")],
                body: [0x61, 0, 0x62]
            )
        ),
        .frame(frame(.receipt, [("receipt-id", "77")])),
        .heartbeat,
        .frame(frame(.error, [("message", "bad")], body: "something went wrong")),
    ]

    private func makeChannel(_ decoder: STOMPFrameDecoder = STOMPFrameDecoder()) -> EmbeddedChannel {
        EmbeddedChannel(handler: ByteToMessageHandler(decoder))
    }

    private func readAll(_ channel: EmbeddedChannel) throws -> [STOMPPacket] {
        var packets: [STOMPPacket] = []
        while let packet = try channel.readInbound(as: STOMPPacket.self) {
            packets.append(packet)
        }
        return packets
    }

    @Test("a whole stream in one write")
    func wholeStream() throws {
        let channel = makeChannel()
        try channel.writeInbound(ByteBuffer(bytes: Self.stream))
        #expect(try readAll(channel) == Self.expected)
        #expect(try channel.finish().isClean)
    }

    @Test("the stream delivered byte by byte")
    func byteByByte() throws {
        let channel = makeChannel()
        for byte in Self.stream {
            try channel.writeInbound(ByteBuffer(bytes: [byte]))
        }
        #expect(try readAll(channel) == Self.expected)
        #expect(try channel.finish().isClean)
    }

    @Test("the stream split in two at every position")
    func everySplit() throws {
        for split in Delivery.everySplit(Self.stream) {
            let channel = makeChannel()
            for chunk in split.chunks {
                try channel.writeInbound(ByteBuffer(bytes: chunk))
            }
            #expect(try readAll(channel) == Self.expected, "split at \(split.position)")
            #expect(try channel.finish().isClean)
        }
    }

    @Test("packets arrive as soon as they are complete")
    func incremental() throws {
        let channel = makeChannel()
        try channel.writeInbound(ByteBuffer(string: "SEND\ndestination:/q\n\nhel"))
        #expect(try channel.readInbound(as: STOMPPacket.self) == nil)
        try channel.writeInbound(ByteBuffer(string: "lo\0\n"))
        #expect(try channel.readInbound(as: STOMPPacket.self) == .frame(frame(.send, [("destination", "/q")], body: "hello")))
        #expect(try channel.readInbound(as: STOMPPacket.self) == .heartbeat)
        #expect(try channel.readInbound(as: STOMPPacket.self) == nil)
        #expect(try channel.finish().isClean)
    }

    @Test("a parse error is thrown from the pipeline")
    func parseError() throws {
        let channel = makeChannel()
        try channel.writeInbound(ByteBuffer(string: "SEND\n\nok\0"))
        #expect(throws: STOMPParseError.unknownCommand("BOGUS")) {
            try channel.writeInbound(ByteBuffer(string: "BOGUS\n\n\0"))
        }
        #expect(try channel.readInbound(as: STOMPPacket.self) == .frame(frame(.send, body: "ok")))
        _ = try? channel.finish()
    }

    @Test("a parse error delivered byte by byte")
    func parseErrorByteByByte() throws {
        let channel = makeChannel()
        var thrown: (any Error)?
        for byte in bytes("SEND\nk:a\\tb\n\n\0") {
            do {
                try channel.writeInbound(ByteBuffer(bytes: [byte]))
            } catch {
                thrown = error
                break
            }
        }
        #expect(thrown as? STOMPParseError == .invalidEscape("\\t"))
        _ = try? channel.finish()
    }

    @Test("limits given to the decoder are enforced")
    func limits() throws {
        let limits = STOMPParserLimits(maxBodySize: 4)
        let channel = makeChannel(STOMPFrameDecoder(limits: limits))
        #expect(throws: STOMPParseError.bodyTooLarge(limit: 4)) {
            try channel.writeInbound(ByteBuffer(string: "SEND\ncontent-length:5\n\n"))
        }
        _ = try? channel.finish()
    }

    @Test("the decoder learns the version from CONNECTED")
    func learnsVersion() throws {
        let channel = makeChannel()
        try channel.writeInbound(ByteBuffer(string: "CONNECTED\nversion:1.1\n\n\0MESSAGE\nk:a\\nb\n\n\0"))
        #expect(try readAll(channel) == [.frame(frame(.connected, [("version", "1.1")])), .frame(frame(.message, [("k", "a\nb")]))])
        #expect(throws: STOMPParseError.invalidEscape("\\r")) {
            try channel.writeInbound(ByteBuffer(string: "MESSAGE\nk:a\\rb\n\n\0"))
        }
        _ = try? channel.finish()
    }

    @Test("a decoder with a fixed version 1.0 does not unescape")
    func fixedVersion() throws {
        let decoder = STOMPFrameDecoder(version: .v1_0)
        #expect(decoder.parser.version == .v1_0)
        let channel = makeChannel(decoder)
        try channel.writeInbound(ByteBuffer(string: "SEND\npath:C:\\temp\n\n\0"))
        #expect(try readAll(channel) == [.frame(frame(.send, [("path", "C:\\temp")]))])
        #expect(try channel.finish().isClean)
    }

    @Test("a partial frame at EOF is dropped without an error")
    func partialFrameAtEOF() throws {
        let channel = makeChannel()
        try channel.writeInbound(ByteBuffer(string: "SEND\n\nok\0\nSEND\ndestination:/q\n\npart"))
        #expect(try readAll(channel) == [.frame(frame(.send, body: "ok")), .heartbeat])
        let leftOver = try channel.finish()
        #expect(leftOver.isClean)
    }

    @Test("a large frame in many small writes")
    func largeFrame() throws {
        let channel = makeChannel()
        let body = [UInt8](repeating: 0x2A, count: 256 * 1024)
        let input = bytes("MESSAGE\ndestination:/q\n\n") + body + [0]
        for chunk in Delivery.chunks(input, size: 1000) {
            try channel.writeInbound(ByteBuffer(bytes: chunk))
        }
        #expect(try readAll(channel) == [.frame(frame(.message, [("destination", "/q")], body: body))])
        #expect(try channel.finish().isClean)
    }
}
