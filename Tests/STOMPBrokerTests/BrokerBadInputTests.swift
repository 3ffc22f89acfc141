import Foundation
import STOMPBroker
import STOMPClient
import STOMPCore
import STOMPTestSupport
import Testing

/// Bad input to the embedded broker: each case earns an ERROR frame whose `message`
/// says what was wrong, the connection is closed, and the broker keeps serving other
/// clients.
@Suite("Embedded broker: bad input", .timeLimit(.minutes(1)))
struct BrokerBadInputTests {
    @Test("garbage bytes before CONNECT")
    func garbageBytes() async throws {
        try await withEmbeddedBroker { _, port in
            let connection = try await WireConnection.open(port: port)
            try await connection.write([0xFF, 0xFE, 0x01, 0x13, 0x37, 0x80, 0x7F, 0x20, 0x41, 0x0A, 0x0A, 0x00])
            await expectError(on: connection, mentioning: ["unknown command"])
            try await expectBrokerStillServes(port: port)
        }
    }

    @Test("unknown command after CONNECT")
    func unknownCommand() async throws {
        try await withEmbeddedBroker { _, port in
            let connection = try await WireConnection.connected(port: port)
            try await connection.write("PUBLISH\ndestination:/queue/x\n\nhello\0")
            await expectError(on: connection, mentioning: ["unknown command", "PUBLISH"])
            try await expectBrokerStillServes(port: port)
        }
    }

    @Test("SEND before CONNECT")
    func sendBeforeConnect() async throws {
        try await withEmbeddedBroker { _, port in
            let connection = try await WireConnection.open(port: port)
            try await connection.write("SEND\ndestination:/queue/early\nreceipt:r-1\n\nhello\0")
            let error = await expectError(on: connection, mentioning: ["CONNECT", "first", "SEND"])
            #expect(error?.headers[STOMPHeaderName.receiptID] == "r-1")
            try await expectBrokerStillServes(port: port)
        }
    }

    @Test("SUBSCRIBE before CONNECT")
    func subscribeBeforeConnect() async throws {
        try await withEmbeddedBroker { _, port in
            let connection = try await WireConnection.open(port: port)
            try await connection.write("SUBSCRIBE\ndestination:/topic/early\nid:0\n\n\0")
            await expectError(on: connection, mentioning: ["expected a CONNECT", "SUBSCRIBE"])
            try await expectBrokerStillServes(port: port)
        }
    }

    @Test("body over maxBodySize, announced by content-length")
    func oversizeBodyWithContentLength() async throws {
        var configuration = EmbeddedBrokerConfiguration.forTests
        configuration.parserLimits = STOMPParserLimits(maxBodySize: 1024, maxFrameSize: 4096)
        try await withEmbeddedBroker(configuration) { _, port in
            let connection = try await WireConnection.connected(port: port)
            // Refused on the header alone: the body is never sent.
            try await connection.write("SEND\ndestination:/queue/big\ncontent-length:100000\n\n")
            await expectError(on: connection, mentioning: ["body too large", "1024"])
            try await expectBrokerStillServes(port: port)
        }
    }

    @Test("body over maxBodySize, without content-length")
    func oversizeBodyWithoutContentLength() async throws {
        var configuration = EmbeddedBrokerConfiguration.forTests
        configuration.parserLimits = STOMPParserLimits(maxBodySize: 1024, maxFrameSize: 64 * 1024)
        try await withEmbeddedBroker(configuration) { _, port in
            let connection = try await WireConnection.connected(port: port)
            try await connection.write("SEND\ndestination:/queue/big\n\n" + String(repeating: "x", count: 4096) + "\0")
            await expectError(on: connection, mentioning: ["body too large"])
            try await expectBrokerStillServes(port: port)
        }
    }

    @Test("frame over maxFrameSize")
    func oversizeFrame() async throws {
        var configuration = EmbeddedBrokerConfiguration.forTests
        configuration.parserLimits = STOMPParserLimits(maxBodySize: 64 * 1024, maxFrameSize: 2048)
        try await withEmbeddedBroker(configuration) { _, port in
            let connection = try await WireConnection.connected(port: port)
            try await connection.write("SEND\ndestination:/queue/big\n\n" + String(repeating: "y", count: 8192) + "\0")
            await expectError(on: connection, mentioning: ["frame too large", "2048"])
            try await expectBrokerStillServes(port: port)
        }
    }

    @Test("header line over maxHeaderLineLength")
    func headerLineTooLong() async throws {
        var configuration = EmbeddedBrokerConfiguration.forTests
        configuration.parserLimits = STOMPParserLimits(maxHeaderLineLength: 256)
        try await withEmbeddedBroker(configuration) { _, port in
            let connection = try await WireConnection.connected(port: port)
            try await connection.write("SEND\ndestination:/queue/x\nx-long:" + String(repeating: "z", count: 1000) + "\n\nhi\0")
            await expectError(on: connection, mentioning: ["header line too long", "256"])
            try await expectBrokerStillServes(port: port)
        }
    }

    @Test("more headers than maxHeaderCount")
    func tooManyHeaders() async throws {
        var configuration = EmbeddedBrokerConfiguration.forTests
        configuration.parserLimits = STOMPParserLimits(maxHeaderCount: 8)
        try await withEmbeddedBroker(configuration) { _, port in
            let connection = try await WireConnection.connected(port: port)
            let headers = (0..<20).map { "x-h\($0):v\n" }.joined()
            try await connection.write("SEND\ndestination:/queue/x\n" + headers + "\nhi\0")
            await expectError(on: connection, mentioning: ["too many headers", "8"])
            try await expectBrokerStillServes(port: port)
        }
    }

    @Test("invalid escape in a SEND header after a 1.2 CONNECT")
    func invalidEscape() async throws {
        try await withEmbeddedBroker { _, port in
            let connection = try await WireConnection.connected(port: port, acceptVersion: "1.2")
            try await connection.write("SEND\ndestination:/queue/x\nx-note:bad\\qescape\n\nhi\0")
            await expectError(on: connection, mentioning: ["invalid escape", "\\q"])
            try await expectBrokerStillServes(port: port)
        }
    }

    @Test("invalid content-length", arguments: ["abc", "-5", "12x"])
    func invalidContentLength(value: String) async throws {
        try await withEmbeddedBroker { _, port in
            let connection = try await WireConnection.connected(port: port)
            try await connection.write("SEND\ndestination:/queue/x\ncontent-length:\(value)\n\nhi\0")
            await expectError(on: connection, mentioning: ["invalid content-length", value])
            try await expectBrokerStillServes(port: port)
        }
    }

    @Test("content-length that does not end at the NUL")
    func contentLengthMismatch() async throws {
        try await withEmbeddedBroker { _, port in
            let connection = try await WireConnection.connected(port: port)
            try await connection.write("SEND\ndestination:/queue/x\ncontent-length:2\n\nhello\0")
            await expectError(on: connection, mentioning: ["not terminated", "NUL"])
            try await expectBrokerStillServes(port: port)
        }
    }

    @Test("unsupported accept-version")
    func unsupportedVersion() async throws {
        try await withEmbeddedBroker { _, port in
            let connection = try await WireConnection.open(port: port)
            try await connection.write(connectFrame(acceptVersion: "2.0,3.1"))
            let error = await expectError(on: connection, mentioning: ["unsupported STOMP version", "2.0", "1.2"])
            #expect(error?.headers[STOMPHeaderName.version] == "1.0,1.1,1.2")
            try await expectBrokerStillServes(port: port)
        }
    }

    @Test("invalid heart-beat header in CONNECT")
    func invalidHeartBeat() async throws {
        try await withEmbeddedBroker { _, port in
            let connection = try await WireConnection.open(port: port)
            try await connection.write(connectFrame(headers: [("heart-beat", "soon,later")]))
            await expectError(on: connection, mentioning: ["invalid heart-beat", "soon,later"])
            try await expectBrokerStillServes(port: port)
        }
    }

    @Test("wrong login or passcode when credentials are configured")
    func wrongCredentials() async throws {
        var configuration = EmbeddedBrokerConfiguration.forTests
        configuration.credentials = (login: "shop", passcode: "s3cret")
        try await withEmbeddedBroker(configuration) { broker, port in
            let wrongPasscode = try await WireConnection.open(port: port)
            try await wrongPasscode.write(connectFrame(headers: [("login", "shop"), ("passcode", "guess")]))
            await expectError(on: wrongPasscode, mentioning: ["access refused", "login or passcode"])

            let noCredentials = try await WireConnection.open(port: port)
            try await noCredentials.write(connectFrame())
            await expectError(on: noCredentials, mentioning: ["access refused"])

            // A real client with the right credentials still gets through.
            var configuration = STOMPClientConfiguration(broker: try STOMPBrokerURL("stomp://127.0.0.1:\(port)"))
            configuration.login = "shop"
            configuration.passcode = "s3cret"
            configuration.reconnect = nil
            configuration.connectTimeout = .seconds(5)
            configuration.receiptTimeout = .seconds(5)
            let client = try STOMPClient(configuration: configuration)
            try await client.connect()
            let queue = TestEnvironment.unique("/queue/auth-")
            let subscription = try await client.subscribe(to: queue)
            try await client.send(to: queue, body: "welcome", receipt: true)
            let message = try await firstMessage(of: subscription, timeout: .seconds(5))
            #expect(message?.bodyString == "welcome")
            try await client.disconnect()

            try await expectBrokerStillServes(port: port, connectHeaders: [("login", "shop"), ("passcode", "s3cret")])
        }
    }

    @Test("SUBSCRIBE without destination")
    func subscribeWithoutDestination() async throws {
        try await withEmbeddedBroker { _, port in
            let connection = try await WireConnection.connected(port: port)
            try await connection.write("SUBSCRIBE\nid:0\nreceipt:r-7\n\n\0")
            let error = await expectError(on: connection, mentioning: ["missing header", "destination", "SUBSCRIBE"])
            #expect(error?.headers[STOMPHeaderName.receiptID] == "r-7")
            try await expectBrokerStillServes(port: port)
        }
    }

    @Test("SUBSCRIBE without id in STOMP 1.2")
    func subscribeWithoutID() async throws {
        try await withEmbeddedBroker { _, port in
            let connection = try await WireConnection.connected(port: port)
            try await connection.write("SUBSCRIBE\ndestination:/topic/no-id\n\n\0")
            await expectError(on: connection, mentioning: ["missing header", "'id'", "SUBSCRIBE"])
            try await expectBrokerStillServes(port: port)
        }
    }

    @Test("unknown destination prefix", arguments: ["SUBSCRIBE\ndestination:/exchange/amq.topic\nid:0", "SEND\ndestination:orders"])
    func unknownDestination(frameHead: String) async throws {
        try await withEmbeddedBroker { _, port in
            let connection = try await WireConnection.connected(port: port)
            try await connection.write(frameHead + "\n\n\0")
            await expectError(on: connection, mentioning: ["unknown destination", "/queue/"])
            try await expectBrokerStillServes(port: port)
        }
    }

    @Test("no CONNECT within the connect timeout")
    func connectTimeout() async throws {
        var configuration = EmbeddedBrokerConfiguration.forTests
        configuration.connectTimeout = .seconds(1)
        try await withEmbeddedBroker(configuration) { broker, port in
            let started = ContinuousClock.now
            let silent = try await WireConnection.open(port: port)
            // A client that connects in time is not affected by the timer.
            let prompt = try await WireConnection.connected(port: port)
            await expectError(on: silent, mentioning: ["connect timeout"], timeout: .seconds(10))
            let elapsed = ContinuousClock.now - started
            #expect(elapsed >= .milliseconds(950), "closed after \(elapsed), before the timeout")
            #expect(elapsed < .seconds(5), "closed only after \(elapsed)")
            try await Task.sleep(for: .milliseconds(300))
            let queue = TestEnvironment.unique("/queue/prompt-")
            try await prompt.subscribe(queue)
            try await prompt.sendMessage(to: queue, body: "in time", receipt: true)
            #expect(await prompt.messageBodies(1) == ["in time"])
            await prompt.close()
            try await expectBrokerStillServes(port: port)
        }
    }

    @Test("a second CONNECT on a connection")
    func secondConnect() async throws {
        try await withEmbeddedBroker { _, port in
            let connection = try await WireConnection.connected(port: port)
            try await connection.write(connectFrame())
            await expectError(on: connection, mentioning: ["unexpected", "second CONNECT"])
            try await expectBrokerStillServes(port: port)
        }
    }
}

/// The first message of a client subscription, or `nil` after `timeout`.
func firstMessage(of subscription: STOMPSubscription, timeout: Duration) async throws -> STOMPMessage? {
    try await withThrowingTaskGroup(of: STOMPMessage?.self) { group in
        group.addTask {
            var iterator = subscription.makeAsyncIterator()
            return try await iterator.next()
        }
        group.addTask {
            try? await Task.sleep(for: timeout)
            return nil
        }
        let first = try await group.next() ?? nil
        group.cancelAll()
        return first
    }
}
