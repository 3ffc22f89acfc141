import NIOCore
import NIOEmbedded
import NIOWebSocket
import Testing

@testable import GatewayPush

/// The RFC 6455 rules every WebSocket route shares (``WebSocketProtocolHandler``), on the
/// pipeline `/stomp` and `/diagnostics/echo` use: NIO's frame decoder, the protocol
/// handler, then (here) the echo handler.
@Suite("WebSocket protocol")
struct WebSocketProtocolTests {
    /// A frame the server wrote (unmasked).
    struct ServerFrame: Equatable {
        var fin: Bool
        var opcode: UInt8
        var payload: [UInt8]

        /// The close code, for a close frame that has one.
        var closeCode: UInt16? {
            guard opcode == WebSocketWire.close, payload.count >= 2 else { return nil }
            return UInt16(payload[0]) << 8 | UInt16(payload[1])
        }
    }

    /// A connection to the echo route, limited to `maxMessageBytes`.
    final class Connection {
        let channel: EmbeddedChannel

        init(maxMessageBytes: Int = 1024) throws {
            channel = EmbeddedChannel()
            try channel.pipeline.syncOperations.addHandlers([
                ByteToMessageHandler(WebSocketFrameDecoder(maxFrameSize: maxMessageBytes)),
                WebSocketProtocolHandler(maxMessageBytes: maxMessageBytes, metrics: nil, handshake: nil),
                WebSocketEchoHandler(),
            ])
            try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).wait()
        }

        /// Sends client frames (masked unless `masked` is false); ignores writes after the close.
        func send(_ frames: [UInt8]...) {
            var buffer = ByteBuffer()
            for frame in frames { buffer.writeBytes(frame) }
            _ = try? channel.writeInbound(buffer)
        }

        /// Everything the server wrote so far, as frames.
        func received() throws -> [ServerFrame] {
            var bytes: [UInt8] = []
            while let buffer = try channel.readOutbound(as: ByteBuffer.self) { bytes += buffer.readableBytesView }
            var frames: [ServerFrame] = []
            var index = 0
            while index < bytes.count {
                let first = bytes[index]
                var length = Int(bytes[index + 1] & 0x7F)
                index += 2
                if length == 126 {
                    length = Int(bytes[index]) << 8 | Int(bytes[index + 1])
                    index += 2
                } else if length == 127 {
                    length = bytes[index..<(index + 8)].reduce(0) { $0 << 8 | Int($1) }
                    index += 8
                }
                frames.append(ServerFrame(fin: first & 0x80 != 0, opcode: first & 0x0F, payload: Array(bytes[index..<(index + length)])))
                index += length
            }
            return frames
        }

        /// The close code the server sent, after checking it closed the connection.
        func closeCode() throws -> UInt16? {
            let frames = try received()
            #expect(!channel.isActive, "the connection should be closed")
            return frames.last?.closeCode
        }
    }

    /// A client frame: masked with a fixed key unless `masked` is false.
    static func frame(_ opcode: UInt8, _ payload: [UInt8], fin: Bool = true, rsv: UInt8 = 0, masked: Bool = true) -> [UInt8] {
        var bytes: [UInt8] = [(fin ? 0x80 : 0) | (rsv << 4) | opcode]
        let maskBit: UInt8 = masked ? 0x80 : 0
        if payload.count < 126 {
            bytes.append(maskBit | UInt8(payload.count))
        } else if payload.count <= 0xFFFF {
            bytes += [maskBit | 126, UInt8(payload.count >> 8), UInt8(payload.count & 0xFF)]
        } else {
            bytes.append(maskBit | 127)
            for shift in stride(from: 56, through: 0, by: -8) { bytes.append(UInt8((payload.count >> shift) & 0xFF)) }
        }
        guard masked else { return bytes + payload }
        let key: [UInt8] = [0x37, 0xFA, 0x21, 0x3D]
        bytes += key
        for (index, byte) in payload.enumerated() { bytes.append(byte ^ key[index % 4]) }
        return bytes
    }

    static func text(_ string: String, fin: Bool = true) -> [UInt8] { frame(0x1, Array(string.utf8), fin: fin) }
    static func close(code: UInt16, reason: [UInt8] = []) -> [UInt8] { frame(0x8, [UInt8(code >> 8), UInt8(code & 0xFF)] + reason) }

    // MARK: Messages

    @Test func textAndBinaryMessagesAreEchoed() throws {
        let connection = try Connection()
        connection.send(Self.text("héllo"), Self.frame(0x2, [0, 1, 2, 0xFF]))
        #expect(
            try connection.received() == [
                ServerFrame(fin: true, opcode: 0x1, payload: Array("héllo".utf8)),
                ServerFrame(fin: true, opcode: 0x2, payload: [0, 1, 2, 0xFF]),
            ]
        )
        #expect(connection.channel.isActive)
    }

    @Test func fragmentsAreAssembledAndPingsBetweenThemAnswered() throws {
        let connection = try Connection()
        // "κόσμε" split inside a two-byte character.
        let bytes = Array("κόσμε".utf8)
        connection.send(Self.frame(0x1, Array(bytes[0..<3]), fin: false))
        connection.send(Self.frame(0x9, Array("ping!".utf8)))
        connection.send(Self.frame(0xA, Array("unsolicited".utf8)))
        connection.send(Self.frame(0x0, Array(bytes[3..<7]), fin: false), Self.frame(0x0, Array(bytes[7...])))
        #expect(
            try connection.received() == [
                ServerFrame(fin: true, opcode: 0xA, payload: Array("ping!".utf8)),
                ServerFrame(fin: true, opcode: 0x1, payload: bytes),
            ]
        )
    }

    @Test func manySmallFragmentsAreAccepted() throws {
        let connection = try Connection(maxMessageBytes: 4096)
        var frames: [UInt8] = Self.frame(0x2, [0], fin: false)
        for index in 1..<2000 { frames += Self.frame(0x0, [UInt8(index & 0xFF)], fin: index == 1999) }
        connection.send(frames)
        let received = try connection.received()
        #expect(received.count == 1)
        #expect(received.first?.payload.count == 2000)
    }

    // MARK: UTF-8

    @Test func invalidUTF8TextIsRefusedWith1007() throws {
        let connection = try Connection()
        connection.send(Self.frame(0x1, [0x48, 0xC0, 0xAF]))  // an overlong '/'
        #expect(try connection.closeCode() == 1007)
    }

    @Test func invalidUTF8IsRefusedAtTheFirstBadFragment() throws {
        let connection = try Connection()
        connection.send(Self.frame(0x1, Array("ok ".utf8) + [0xED, 0xA0, 0x80], fin: false))  // a surrogate
        #expect(try connection.closeCode() == 1007, "refused before the message ended")
    }

    @Test func textEndingInsideACharacterIsRefusedWith1007() throws {
        let connection = try Connection()
        connection.send(Self.frame(0x1, [0x61, 0xE2, 0x82], fin: false), Self.frame(0x0, []))
        #expect(try connection.closeCode() == 1007)
    }

    @Test func binaryMessagesAreNotCheckedForUTF8() throws {
        let connection = try Connection()
        connection.send(Self.frame(0x2, [0xC0, 0xAF]))
        #expect(try connection.received().first?.payload == [0xC0, 0xAF])
    }

    // MARK: Close frames

    @Test(arguments: [1000, 1001, 1003, 1007, 1011, 1014, 3000, 4999] as [UInt16])
    func validCloseCodesAreEchoed(code: UInt16) throws {
        let connection = try Connection()
        connection.send(Self.close(code: code, reason: Array("bye".utf8)))
        #expect(try connection.closeCode() == code)
    }

    @Test(arguments: [0, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535] as [UInt16])
    func invalidCloseCodesAreRefusedWith1002(code: UInt16) throws {
        let connection = try Connection()
        connection.send(Self.close(code: code))
        #expect(try connection.closeCode() == 1002)
    }

    @Test func anEmptyCloseIsAnsweredWith1000() throws {
        let connection = try Connection()
        connection.send(Self.frame(0x8, []))
        #expect(try connection.closeCode() == 1000)
    }

    @Test func aOneByteClosePayloadIsRefusedWith1002() throws {
        let connection = try Connection()
        connection.send(Self.frame(0x8, [0x03]))
        #expect(try connection.closeCode() == 1002)
    }

    @Test func aCloseReasonThatIsNotUTF8IsRefusedWith1007() throws {
        let connection = try Connection()
        connection.send(Self.close(code: 1000, reason: [0xCE, 0xBA, 0xE1, 0xBD]))
        #expect(try connection.closeCode() == 1007)
    }

    @Test func nothingIsEchoedAfterTheClose() throws {
        let connection = try Connection()
        connection.send(Self.close(code: 1000), Self.text("late"))
        let frames = try connection.received()
        #expect(frames.count == 1)
        #expect(frames.first?.closeCode == 1000)
    }

    // MARK: Protocol errors

    @Test(
        arguments: [
            ("reserved bit", WebSocketProtocolTests.frame(0x1, Array("x".utf8), rsv: 0b100)),
            ("reserved data opcode", WebSocketProtocolTests.frame(0x3, [])),
            ("reserved control opcode", WebSocketProtocolTests.frame(0xB, [])),
            ("continuation without a message", WebSocketProtocolTests.frame(0x0, Array("x".utf8))),
            ("new message during a fragmented one", WebSocketProtocolTests.text("a", fin: false) + WebSocketProtocolTests.text("b")),
            ("fragmented ping", WebSocketProtocolTests.frame(0x9, [], fin: false)),
            ("ping over 125 bytes", WebSocketProtocolTests.frame(0x9, Array(repeating: 0x2A, count: 126))),
            ("unmasked frame", WebSocketProtocolTests.frame(0x1, Array("x".utf8), masked: false)),
        ] as [(String, [UInt8])]
    )
    func protocolErrorsAreRefusedWith1002(what: String, bytes: [UInt8]) throws {
        let connection = try Connection()
        connection.send(bytes)
        #expect(try connection.closeCode() == 1002, "\(what)")
    }

    @Test func aFrameOverTheLimitIsRefusedWith1009() throws {
        let connection = try Connection(maxMessageBytes: 1024)
        connection.send(Self.frame(0x2, Array(repeating: 1, count: 1025)))
        #expect(try connection.closeCode() == 1009)
    }

    @Test func fragmentsOverTheLimitAreRefusedWith1009() throws {
        let connection = try Connection(maxMessageBytes: 1024)
        let chunk = Array(repeating: UInt8(0x61), count: 600)
        connection.send(Self.frame(0x1, chunk, fin: false), Self.frame(0x0, chunk))
        #expect(try connection.closeCode() == 1009)
    }

    @Test func aMessageAtTheLimitIsEchoed() throws {
        let connection = try Connection(maxMessageBytes: 1024)
        let chunk = Array(repeating: UInt8(0x61), count: 512)
        connection.send(Self.frame(0x1, chunk, fin: false), Self.frame(0x0, chunk))
        #expect(try connection.received().first?.payload.count == 1024)
        #expect(connection.channel.isActive)
    }

    // MARK: The validator

    @Test func validatorFollowsRFC3629() {
        func valid(_ bytes: [UInt8]) -> Bool {
            var validator = UTF8Validator()
            validator.feed(bytes)
            return validator.isComplete
        }
        #expect(valid(Array("plain ASCII, long enough for the eight-byte path".utf8)))
        #expect(valid([0xF4, 0x8F, 0xBF, 0xBF]))  // U+10FFFF
        #expect(valid([0xEF, 0xBF, 0xBF]))  // U+FFFF
        #expect(!valid([0xF4, 0x90, 0x80, 0x80]))  // above U+10FFFF
        #expect(!valid([0xED, 0xBF, 0xBF]))  // a surrogate
        #expect(!valid([0xE0, 0x80, 0xAF]))  // overlong
        #expect(!valid([0xF8, 0x88, 0x80, 0x80, 0x80]))  // five bytes
        #expect(!valid([0xC2]))  // incomplete

        var split = UTF8Validator()
        let firstHalf = split.feed([0xF0, 0x9F])
        #expect(firstHalf && !split.isComplete)
        let secondHalf = split.feed([0x98, 0x80])
        #expect(secondHalf && split.isComplete)

        var early = UTF8Validator()
        let bad = early.feed([0x61, 0xF4, 0x90])
        #expect(!bad, "fails at the byte, not at the end")
        let after = early.feed([0x61])
        #expect(!after, "stays failed")
    }
}
