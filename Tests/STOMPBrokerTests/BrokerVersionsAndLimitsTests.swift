import Foundation
import STOMPBroker
import STOMPCore
import STOMPTestSupport
import Testing

/// What goes on the wire (STOMP 1.0 and 1.1 formats, binary bodies, headers the
/// broker owns), heart-beats, and the broker's configured limits.
@Suite("Embedded broker: wire format, versions, heart-beats and limits", .timeLimit(.minutes(1)))
struct BrokerVersionsAndLimitsTests {
    /// Header values that need escaping in 1.1 and 1.2: a colon, a backslash, a newline.
    private static let trickyHeaders: [(String, String)] = [("x-note", "a:b\\c"), ("x-lines", "line1\nline2")]

    @Test("STOMP 1.0 and 1.1 subscribers get MESSAGE frames in their own version's format")
    func oldVersionsGetTheirFormat() async throws {
        try await withEmbeddedBroker { _, port in
            let topic = TestEnvironment.unique("/topic/versions-")

            // A 1.0 client sends no accept-version at all, and may SUBSCRIBE without id.
            let v10 = try await WireConnection.open(port: port)
            try await v10.write(connectFrame(acceptVersion: nil))
            let connected10 = try #require(await v10.nextFrame())
            #expect(connected10.command == .connected)
            #expect(connected10.headers[STOMPHeaderName.version] == "1.0")
            #expect(connected10.headers[STOMPHeaderName.heartBeat] == nil)
            try await v10.write("SUBSCRIBE\ndestination:\(topic)\nreceipt:s10\n\n\0")
            #expect(await v10.nextFrame()?.headers[STOMPHeaderName.receiptID] == "s10")

            let v11 = try await WireConnection.connected(port: port, acceptVersion: "1.0,1.1")
            try await v11.subscribe(topic, id: "s11", version: .v1_1)

            let producer = try await WireConnection.connected(port: port)
            try await producer.sendMessage(to: topic, body: "versioned", headers: Self.trickyHeaders, receipt: true)

            let message10 = try #require(await v10.nextFrame { $0.command == .message })
            #expect(message10.bodyString == "versioned")
            #expect(message10.headers[STOMPHeaderName.subscription] == topic, "a 1.0 subscription without id is named by its destination")
            #expect(message10.headers[STOMPHeaderName.ack] == nil)
            // 1.0 has no escaping: the colon and backslash go as they are, and the newline
            // (which 1.0 cannot carry) becomes a space rather than a second header line.
            #expect(v10.transcript.contains("\nx-note:a:b\\c\n"), "1.0 wire: \(v10.transcript.debugDescription)")
            #expect(v10.transcript.contains("\nx-lines:line1 line2\n"), "1.0 wire: \(v10.transcript.debugDescription)")
            #expect(!v10.transcript.contains("a\\cb"), "1.0 must not escape")

            let message11 = try #require(await v11.nextFrame { $0.command == .message })
            #expect(message11.bodyString == "versioned")
            #expect(message11.headers[STOMPHeaderName.subscription] == "s11")
            #expect(message11.headers["x-note"] == "a:b\\c")
            #expect(message11.headers["x-lines"] == "line1\nline2")
            #expect(v11.transcript.contains("\nx-note:a\\cb\\\\c\n"), "1.1 wire: \(v11.transcript.debugDescription)")
            #expect(v11.transcript.contains("\nx-lines:line1\\nline2\n"), "1.1 wire: \(v11.transcript.debugDescription)")
            for connection in [v10, v11, producer] { await connection.close() }
        }
    }

    @Test("a binary body with NUL bytes arrives unchanged")
    func binaryBody() async throws {
        try await withEmbeddedBroker { _, port in
            let queue = TestEnvironment.unique("/queue/binary-")
            let consumer = try await WireConnection.connected(port: port)
            try await consumer.subscribe(queue)
            let body: [UInt8] = [0x00, 0x01, 0xFF, 0x0A, 0x00, 0x0D, 0x0A, 0x00] + Array("tail".utf8)
            let producer = try await WireConnection.connected(port: port)
            try await producer.write(Array("SEND\ndestination:\(queue)\ncontent-length:\(body.count)\n\n".utf8) + body + [0x00])
            let frame = try #require(await consumer.nextFrame { $0.command == .message })
            #expect(Array(frame.body.readableBytesView) == body)
            #expect(frame.headers[STOMPHeaderName.contentLength] == String(body.count))
            await consumer.close()
            await producer.close()
        }
    }

    @Test("a producer cannot forge the headers the broker sets; the first destination wins")
    func forgedHeaders() async throws {
        try await withEmbeddedBroker { _, port in
            let queue = TestEnvironment.unique("/queue/forge-")
            let consumer = try await WireConnection.connected(port: port)
            try await consumer.subscribe(queue, id: "real", ack: "client-individual")
            let producer = try await WireConnection.connected(port: port)
            let forged = "destination:/queue/elsewhere\nmessage-id:forged\nsubscription:forged\nack:forged\nredelivered:true\nx-a:1\nx-a:2"
            try await producer.write("SEND\ndestination:\(queue)\n\(forged)\nreceipt:r\n\nbody\0")
            let frame = try #require(await consumer.nextFrame { $0.command == .message })
            #expect(frame.headers.values(name: STOMPHeaderName.destination) == [queue])
            #expect(frame.headers.values(name: STOMPHeaderName.subscription) == ["real"])
            #expect(frame.headers.values(name: STOMPHeaderName.messageID).count == 1)
            #expect(frame.headers.values(name: STOMPHeaderName.messageID) != ["forged"])
            #expect(frame.headers.values(name: STOMPHeaderName.ack) == frame.headers.values(name: STOMPHeaderName.messageID))
            #expect(frame.headers.values(name: STOMPHeaderName.redelivered).isEmpty)
            #expect(frame.headers.values(name: "x-a") == ["1", "2"])
            #expect(frame.headers.values(name: STOMPHeaderName.receipt).isEmpty)
            await consumer.close()
            await producer.close()
        }
    }

    @Test("a STOMP 1.1 client acknowledges by message-id")
    func v11AckByMessageID() async throws {
        try await withEmbeddedBroker { _, port in
            let queue = TestEnvironment.unique("/queue/v11-ack-")
            let consumer = try await WireConnection.connected(port: port, acceptVersion: "1.1")
            try await consumer.subscribe(queue, id: "s", ack: "client-individual", version: .v1_1)
            let producer = try await WireConnection.connected(port: port)
            try await producer.sendMessage(to: queue, body: "first", receipt: true)
            try await producer.sendMessage(to: queue, body: "second", receipt: true)
            let first = try #require(await consumer.nextFrame { $0.command == .message })
            let second = try #require(await consumer.nextFrame { $0.command == .message })
            #expect(first.headers[STOMPHeaderName.ack] == nil, "the ack header is STOMP 1.2 only")
            let firstID = try #require(first.headers[STOMPHeaderName.messageID])
            try await consumer.sendAwaitingReceipt(STOMPFrame(.ack, headers: ["message-id": firstID, "subscription": "s"]), version: .v1_1)
            let secondID = try #require(second.headers[STOMPHeaderName.messageID])
            try await consumer.send(STOMPFrame(.nack, headers: ["message-id": secondID, "subscription": "s"]), version: .v1_1)
            let redelivered = try #require(await consumer.nextFrame { $0.command == .message })
            #expect(redelivered.bodyString == "second")
            #expect(redelivered.headers[STOMPHeaderName.redelivered] == "true")
            await consumer.close()
            await producer.close()
        }
    }

    @Test("a client that negotiated heart-beats and goes silent is disconnected within about twice the interval")
    func silentClientIsDisconnected() async throws {
        var configuration = EmbeddedBrokerConfiguration.forTests
        configuration.heartBeat = STOMPHeartBeat(outgoing: 200, incoming: 200)
        try await withEmbeddedBroker(configuration) { _, port in
            let silent = try await WireConnection.open(port: port)
            // The broker's clock starts when it reads the CONNECT, after this.
            let start = ContinuousClock.now
            try await silent.write(connectFrame(headers: [("heart-beat", "200,0")]))
            let connected = try #require(await silent.nextFrame())
            #expect(connected.headers[STOMPHeaderName.heartBeat] == "200,200")
            #expect(await silent.waitForClose(timeout: .seconds(5)))
            let elapsed = ContinuousClock.now - start
            #expect(elapsed >= .milliseconds(380), "disconnected after only \(elapsed)")
            // 2 × 200 ms, with room for a loaded machine's scheduling.
            #expect(elapsed < .milliseconds(1500), "disconnected only after \(elapsed); 2 × 200 ms expected")
            try await expectBrokerStillServes(port: port)
        }
    }

    @Test("a heart-beat header with huge values is read as the longest interval, not a crash")
    func hugeHeartBeatIsClamped() async throws {
        var configuration = EmbeddedBrokerConfiguration.forTests
        configuration.heartBeat = STOMPHeartBeat(outgoing: 200, incoming: 200)
        try await withEmbeddedBroker(configuration) { _, port in
            let client = try await WireConnection.open(port: port)
            try await client.write(connectFrame(headers: [("heart-beat", "9223372036854775807,99999999999999999999")]))
            let connected = try #require(await client.nextFrame())
            #expect(connected.command == .connected)
            // Both intervals are the longest kept: no beats, no timeout, for now.
            #expect(await !client.waitForClose(timeout: .milliseconds(600)))
            await client.close()
            try await expectBrokerStillServes(port: port)
        }
    }

    @Test("a client that sends heart-beats, or negotiated none, stays connected")
    func livelyClientsStay() async throws {
        // The broker hears from the beating client every 100 ms and would drop it after
        // 2 × 700 ms of silence; the test lasts longer than that, with room for a loaded machine.
        var configuration = EmbeddedBrokerConfiguration.forTests
        configuration.heartBeat = STOMPHeartBeat(outgoing: 200, incoming: 700)
        try await withEmbeddedBroker(configuration) { _, port in
            let beating = try await WireConnection.open(port: port)
            try await beating.write(connectFrame(headers: [("heart-beat", "100,200")]))
            #expect(await beating.nextFrame()?.command == .connected)
            let afterConnected = beating.transcript.utf8.count
            let noBeats = try await WireConnection.connected(port: port)
            for _ in 0..<25 {
                try await beating.write("\n")
                try await Task.sleep(for: .milliseconds(100))
            }
            #expect(await !beating.waitForClose(timeout: .milliseconds(10)))
            #expect(await !noBeats.waitForClose(timeout: .milliseconds(10)))
            // The broker beat too: EOLs after CONNECTED, about every 200 ms.
            let beats = beating.transcript.utf8.dropFirst(afterConnected).filter { $0 == UInt8(ascii: "\n") }.count
            #expect(beats >= 3, "only \(beats) heart-beats from the broker in 2.5 s")
            await beating.close()
            await noBeats.close()
        }
    }

    @Test("a full queue refuses a SEND with an ERROR under the reject policy")
    func queueOverflowRejects() async throws {
        var configuration = EmbeddedBrokerConfiguration.forTests
        configuration.maxQueueMessages = 2
        try await withEmbeddedBroker(configuration) { broker, port in
            let queue = TestEnvironment.unique("/queue/full-")
            let producer = try await WireConnection.connected(port: port)
            try await producer.sendMessage(to: queue, body: "q1", receipt: true)
            try await producer.sendMessage(to: queue, body: "q2", receipt: true)
            try await producer.write("SEND\ndestination:\(queue)\nreceipt:r-3\n\nq3\0")
            let error = await expectError(on: producer, mentioning: ["queue \(queue) is full", "maxQueueMessages 2"])
            #expect(error?.headers[STOMPHeaderName.receiptID] == "r-3")
            #expect(broker.queueDepth(queue) == 2)
            let consumer = try await WireConnection.connected(port: port)
            try await consumer.subscribe(queue)
            #expect(await consumer.messageBodies(2) == ["q1", "q2"])
            await expectNoMessage(on: consumer)
            await consumer.close()
            try await expectBrokerStillServes(port: port)
        }
    }

    @Test("a full queue drops its oldest message under the drop-oldest policy")
    func queueOverflowDropsOldest() async throws {
        var configuration = EmbeddedBrokerConfiguration.forTests
        configuration.maxQueueMessages = 2
        configuration.queueOverflowPolicy = .dropOldest
        try await withEmbeddedBroker(configuration) { broker, port in
            let queue = TestEnvironment.unique("/queue/drop-")
            let producer = try await WireConnection.connected(port: port)
            for index in 1...5 { try await producer.sendMessage(to: queue, body: "d\(index)", receipt: true) }
            #expect(broker.queueDepth(queue) == 2)
            let consumer = try await WireConnection.connected(port: port)
            try await consumer.subscribe(queue)
            #expect(await consumer.messageBodies(2) == ["d4", "d5"])
            await expectNoMessage(on: consumer)
            await consumer.close()
            await producer.close()
        }
    }

    @Test("at most maxSubscriptionsPerConnection subscriptions per connection")
    func maxSubscriptions() async throws {
        var configuration = EmbeddedBrokerConfiguration.forTests
        configuration.maxSubscriptionsPerConnection = 2
        try await withEmbeddedBroker(configuration) { _, port in
            let greedy = try await WireConnection.connected(port: port)
            try await greedy.subscribe(TestEnvironment.unique("/topic/a-"), id: "1")
            try await greedy.subscribe(TestEnvironment.unique("/queue/b-"), id: "2")
            try await greedy.write("SUBSCRIBE\ndestination:/topic/c\nid:3\n\n\0")
            await expectError(on: greedy, mentioning: ["too many subscriptions", "2"])
            // The limit is per connection: another one has its own.
            let other = try await WireConnection.connected(port: port)
            try await other.subscribe(TestEnvironment.unique("/topic/d-"), id: "1")
            try await other.subscribe(TestEnvironment.unique("/topic/e-"), id: "2")
            await other.close()
            try await expectBrokerStillServes(port: port)
        }
    }

    @Test("a subscriber that stops reading loses topic messages beyond maxPendingBytesPerConnection; others get all")
    func slowTopicConsumer() async throws {
        var configuration = EmbeddedBrokerConfiguration.forTests
        configuration.maxPendingBytesPerConnection = 1024 * 1024
        try await withEmbeddedBroker(configuration) { _, port in
            let topic = TestEnvironment.unique("/topic/slow-")
            let stuck = try await WireConnection.connected(port: port, receiveBufferSize: 4096)
            try await stuck.subscribe(topic, id: "stuck")
            try await stuck.stopReading()
            let healthy = try await WireConnection.connected(port: port)
            try await healthy.subscribe(topic, id: "healthy")
            let producer = try await WireConnection.connected(port: port)
            // 10 MiB in all: more than the kernel's socket buffers (4 MiB at most here) can
            // hide. Sent in batches of 512 KiB that the healthy subscriber reads before the
            // next, so that only the stuck one falls behind, however loaded the machine.
            let count = 320
            let batch = 16
            let payload = String(repeating: "s", count: 32 * 1024)
            var received: [String] = []
            for start in stride(from: 1, through: count, by: batch) {
                for index in start..<(start + batch) {
                    try await producer.sendMessage(to: topic, body: "\(index):" + payload)
                }
                received += await healthy.messageBodies(batch, timeout: .seconds(20))
            }
            #expect(received.count == count, "the healthy subscriber got \(received.count) of \(count)")
            #expect(received.map { $0.prefix { $0 != ":" } } == (1...count).map { Substring(String($0)) })

            try await stuck.startReading()
            var late = 0
            while await stuck.nextFrame(timeout: .milliseconds(500), where: { $0.command == .message }) != nil { late += 1 }
            #expect(late > 0, "the stuck subscriber was cut off entirely")
            #expect(late < count, "nothing was dropped for the stuck subscriber")
            #expect(await !stuck.waitForClose(timeout: .milliseconds(10)), "a slow subscriber is not disconnected")
            for connection in [stuck, healthy, producer] { await connection.close() }
        }
    }

    @Test("a queue stops dispatching to a consumer that stops reading; nothing is lost")
    func slowQueueConsumer() async throws {
        var configuration = EmbeddedBrokerConfiguration.forTests
        configuration.queueDispatchPauseBytes = 128 * 1024
        try await withEmbeddedBroker(configuration) { broker, port in
            let queue = TestEnvironment.unique("/queue/slow-")
            let stuck = try await WireConnection.connected(port: port, receiveBufferSize: 4096)
            try await stuck.subscribe(queue, id: "stuck")
            try await stuck.stopReading()
            let healthy = try await WireConnection.connected(port: port)
            try await healthy.subscribe(queue, id: "healthy")
            let producer = try await WireConnection.connected(port: port)
            let count = 320
            let payload = String(repeating: "q", count: 32 * 1024)
            for index in 1...count {
                try await producer.sendMessage(to: queue, body: "\(index):" + payload, receipt: index == count)
            }
            try await waitUntil("the queue is drained", timeout: .seconds(20)) { broker.queueDepth(queue) == 0 }
            try await stuck.startReading()
            var healthyCount = 0
            var stuckCount = 0
            let deadline = ContinuousClock.now + .seconds(20)
            while healthyCount + stuckCount < count, ContinuousClock.now < deadline {
                if await healthy.nextFrame(timeout: .zero, where: { $0.command == .message }) != nil { healthyCount += 1 }
                if await stuck.nextFrame(timeout: .milliseconds(1), where: { $0.command == .message }) != nil { stuckCount += 1 }
            }
            #expect(healthyCount + stuckCount == count, "messages were lost: \(healthyCount) + \(stuckCount) of \(count)")
            // Round robin alone would give each half; the stuck one was skipped once paused.
            #expect(healthyCount > count / 2, "the healthy consumer got only \(healthyCount) of \(count)")
            await expectNoMessage(on: healthy, within: .milliseconds(100))
            await expectNoMessage(on: stuck)
            for connection in [stuck, healthy, producer] { await connection.close() }
        }
    }

    @Test("a subscription id may be used only once per connection")
    func duplicateSubscriptionID() async throws {
        try await withEmbeddedBroker { _, port in
            let connection = try await WireConnection.connected(port: port)
            try await connection.subscribe(TestEnvironment.unique("/topic/dup-"), id: "same")
            try await connection.write("SUBSCRIBE\ndestination:/topic/other\nid:same\n\n\0")
            await expectError(on: connection, mentioning: ["'same'", "already in use"])
            try await expectBrokerStillServes(port: port)
        }
    }

    @Test("at most maxConnections connected clients")
    func maxConnections() async throws {
        var configuration = EmbeddedBrokerConfiguration.forTests
        configuration.maxConnections = 2
        try await withEmbeddedBroker(configuration) { broker, port in
            let first = try await WireConnection.connected(port: port)
            let second = try await WireConnection.connected(port: port)
            let third = try await WireConnection.open(port: port)
            try await third.write(connectFrame())
            await expectError(on: third, mentioning: ["too many connections", "2"])
            await first.close()
            try await waitUntil("the first connection is gone") { broker.connectionCount == 1 }
            // A place is free again.
            let queue = TestEnvironment.unique("/queue/max-conn-")
            let fourth = try await WireConnection.connected(port: port)
            try await fourth.subscribe(queue)
            try await second.sendMessage(to: queue, body: "room again", receipt: true)
            #expect(await fourth.messageBodies(1) == ["room again"])
            await fourth.close()
            await second.close()
        }
    }
}
