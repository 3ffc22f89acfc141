import Foundation
import GatewayCore
import Logging
import NIOCore
import NIOEmbedded
import Testing

@testable import GatewayPush

/// Inputs FuzzBrowserSTOMP (Fuzz/) found breaking a rule of what `/stomp` writes; the
/// same inputs are under Fuzz/Regressions/FuzzBrowserSTOMP/.
@Suite("STOMP over WebSocket: fuzz regressions")
struct BrowserSTOMPFuzzRegressionTests {
    /// A hub on one embedded loop, with no broker behind it.
    struct NoUpstream: PushUpstream {
        struct Subscription: PushUpstreamSubscription {
            func cancel() async {}
        }

        var isConnected: Bool { true }

        func subscribe(
            _ destination: String,
            onMessage: @escaping @Sendable (PushUpstreamMessage) -> Void
        ) async throws
            -> any PushUpstreamSubscription
        { Subscription() }

        func publish(destination: String, headers: [(name: String, value: String)], body: ByteBuffer, receipt: Bool) async throws {}
    }

    /// The opcodes of the frames the server wrote.
    static func opcodes(_ bytes: [UInt8]) -> [UInt8] {
        var opcodes: [UInt8] = []
        var index = 0
        while index + 2 <= bytes.count {
            opcodes.append(bytes[index] & 0x0F)
            var length = Int(bytes[index + 1] & 0x7F)
            index += 2
            if length == 126 {
                length = Int(bytes[index]) << 8 | Int(bytes[index + 1])
                index += 2
            } else if length == 127 {
                length = 0
                for offset in 0..<8 { length = length << 8 | Int(bytes[index + offset]) }
                index += 8
            }
            index += length
        }
        return opcodes
    }

    /// A malformed STOMP frame before CONNECT got ERROR and a close frame; a ping and a
    /// frame with reserved bits in the same read still got a pong and a second close
    /// frame. After its close the server now writes nothing more.
    @Test func nothingAfterTheCloseFrame() throws {
        let input = try #require(
            Data(
                base64Encoded:
                    "BIGdAQIDBEJNTUpEQVcOYGFgSXRlcmF0b3JQcm90b2NvbA4BiYSXl5eXl5eXl5eXl5eXl5eXl5eXl5eXlwECAwRxa21jiIUBAgMEAuphfWQ="
            )
        )
        let loop = EmbeddedEventLoop()
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        let hub = try PushHub(
            settings: PushSettings(),
            upstream: NoUpstream(),
            authenticator: PushAuthenticator(verifier: nil, publicGrants: .none),
            eventLoops: [loop],
            logger: logger
        )
        let channel = EmbeddedChannel(loop: loop)
        try channel.pipeline.syncOperations.addHandlers(hub.makeSTOMPWebSocketHandlers(upgradeToken: nil, on: loop))
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).wait()
        // The fuzz target's first byte (4) says: the rest is raw WebSocket bytes.
        _ = try? channel.writeInbound(ByteBuffer(bytes: input.dropFirst()))
        loop.run()
        var written: [UInt8] = []
        while let buffer = try channel.readOutbound(as: ByteBuffer.self) { written += buffer.readableBytesView }
        #expect(Self.opcodes(written) == [WebSocketWire.text, WebSocketWire.close])
        _ = try? channel.finish()
    }

    /// A CONNECT whose heart-beat asked for a beat every 10^16 ms overflowed the
    /// conversion to nanoseconds and trapped the process (FuzzBrowserSTOMP, both inputs
    /// under Fuzz/Regressions/FuzzBrowserSTOMP/heart-beat-overflow-*). The value is now
    /// read as the longest interval kept, and the client is connected.
    @Test(
        arguments: [
            "heart-beat:1000,10033333333333330", "heart-beat:1000,1099999999999999999",
            "heart-beat:9223372036854775807,9223372036854775807", "heart-beat:99999999999999999999999,1",
        ]
    )
    func aHugeHeartBeatIsClampedNotATrap(header: String) async throws {
        let loop = NIOAsyncTestingEventLoop()
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        var settings = PushSettings()
        settings.stompHeartbeatSendMilliseconds = 10_000
        settings.stompHeartbeatReceiveMilliseconds = 10_000
        let hub = try PushHub(
            settings: settings,
            upstream: NoUpstream(),
            authenticator: PushAuthenticator(verifier: nil, publicGrants: .none),
            eventLoops: [loop],
            logger: logger
        )
        let channel = NIOAsyncTestingChannel(loop: loop)
        try await loop.submit {
            try channel.pipeline.syncOperations.addHandlers(hub.makeSTOMPWebSocketHandlers(upgradeToken: nil, on: loop))
        }.get()
        try await channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).get()
        let connect = "CONNECT\naccept-version:1.2\nhost:gw\n\(header)\n\n\0"
        try await channel.writeInbound(ByteBuffer(bytes: WebSocketProtocolTests.text(connect)))
        // The token check runs as a task; its answer comes back to the loop.
        var written: [UInt8] = []
        let deadline = ContinuousClock.now + .seconds(10)
        while !String(decoding: written, as: UTF8.self).contains("CONNECTED"), ContinuousClock.now < deadline {
            if let buffer = try await channel.readOutbound(as: ByteBuffer.self) {
                written += buffer.readableBytesView
            } else {
                try await Task.sleep(for: .milliseconds(5))
            }
        }
        let text = String(decoding: written, as: UTF8.self)
        #expect(text.contains("CONNECTED\nversion:1.2\nheart-beat:10000,10000\n"), "the server wrote \(text.debugDescription)")
        #expect(Self.opcodes(written) == [WebSocketWire.text])
        // The heart-beat checks run on (every interval here is 10 s or longer): no trap,
        // nothing written, still connected.
        await loop.advanceTime(by: .seconds(5))
        #expect(try await channel.readOutbound(as: ByteBuffer.self) == nil)
        #expect(channel.isActive)
        _ = try? await channel.finish()
    }
}
