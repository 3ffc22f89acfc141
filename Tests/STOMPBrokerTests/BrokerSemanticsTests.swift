import Foundation
import STOMPBroker
import STOMPCore
import STOMPTestSupport
import Testing

/// What the embedded broker does with messages: topics, queues, acknowledgements,
/// receipts, transactions and temporary queues, seen through raw STOMP 1.2 frames.
@Suite("Embedded broker: messaging semantics", .timeLimit(.minutes(1)))
struct BrokerSemanticsTests {
    @Test("a topic message reaches every current subscriber, in order")
    func topicFanOut() async throws {
        try await withEmbeddedBroker { _, port in
            let topic = TestEnvironment.unique("/topic/fan-")
            var subscribers: [WireConnection] = []
            for index in 0..<3 {
                let subscriber = try await WireConnection.connected(port: port)
                try await subscriber.subscribe(topic, id: "s\(index)")
                subscribers.append(subscriber)
            }
            let producer = try await WireConnection.connected(port: port)
            try await producer.sendMessage(to: topic, body: "one")
            try await producer.sendMessage(to: topic, body: "two", receipt: true)
            for (index, subscriber) in subscribers.enumerated() {
                let frame = try #require(await subscriber.nextFrame { $0.command == .message })
                #expect(frame.bodyString == "one")
                #expect(frame.headers[STOMPHeaderName.subscription] == "s\(index)")
                #expect(frame.headers[STOMPHeaderName.destination] == topic)
                #expect(await subscriber.messageBodies(1) == ["two"])
                await expectNoMessage(on: subscriber, within: .milliseconds(100))
            }
            // A late subscriber gets nothing that was sent before it came.
            let late = try await WireConnection.connected(port: port)
            try await late.subscribe(topic)
            await expectNoMessage(on: late)
            for connection in subscribers + [producer, late] { await connection.close() }
        }
    }

    @Test("topic wildcards: * is one word, # and > any number; the MESSAGE names the actual destination")
    func topicWildcards() async throws {
        try await withEmbeddedBroker { _, port in
            let base = TestEnvironment.unique("/topic/w").replacingOccurrences(of: "-", with: "")
            let oneWord = try await WireConnection.connected(port: port)
            try await oneWord.subscribe("\(base).orders.*", id: "one")
            let anyWords = try await WireConnection.connected(port: port)
            try await anyWords.subscribe("\(base).#", id: "any")
            let activeMQStyle = try await WireConnection.connected(port: port)
            try await activeMQStyle.subscribe("\(base).orders.>", id: "gt")
            let producer = try await WireConnection.connected(port: port)
            try await producer.sendMessage(to: "\(base).orders.42", body: "a")
            try await producer.sendMessage(to: "\(base).orders.42.items", body: "b")
            try await producer.sendMessage(to: "\(base)x.orders.1", body: "c", receipt: true)
            let first = try #require(await oneWord.nextFrame { $0.command == .message })
            #expect(first.bodyString == "a")
            #expect(first.headers[STOMPHeaderName.destination] == "\(base).orders.42")
            await expectNoMessage(on: oneWord, within: .milliseconds(100))
            #expect(await anyWords.messageBodies(2) == ["a", "b"])
            #expect(await activeMQStyle.messageBodies(2) == ["a", "b"])
            await expectNoMessage(on: anyWords, within: .milliseconds(100))
            for connection in [oneWord, anyWords, activeMQStyle, producer] { await connection.close() }
        }
    }

    @Test("a queue hands messages round robin to two consumers")
    func queueRoundRobin() async throws {
        try await withEmbeddedBroker { _, port in
            let queue = TestEnvironment.unique("/queue/rr-")
            let first = try await WireConnection.connected(port: port)
            let second = try await WireConnection.connected(port: port)
            try await first.subscribe(queue)
            try await second.subscribe(queue)
            let producer = try await WireConnection.connected(port: port)
            for index in 1...6 { try await producer.sendMessage(to: queue, body: "m\(index)", receipt: index == 6) }
            #expect(await first.messageBodies(3) == ["m1", "m3", "m5"])
            #expect(await second.messageBodies(3) == ["m2", "m4", "m6"])
            await expectNoMessage(on: first, within: .milliseconds(100))
            await expectNoMessage(on: second, within: .milliseconds(100))
            for connection in [first, second, producer] { await connection.close() }
        }
    }

    @Test("a queue keeps messages until a consumer arrives")
    func queueKeepsMessages() async throws {
        try await withEmbeddedBroker { broker, port in
            let queue = TestEnvironment.unique("/queue/keep-")
            let producer = try await WireConnection.connected(port: port)
            for index in 1...3 { try await producer.sendMessage(to: queue, body: "kept \(index)", receipt: true) }
            await producer.close()
            #expect(broker.queueDepth(queue) == 3)
            let consumer = try await WireConnection.connected(port: port)
            try await consumer.subscribe(queue)
            #expect(await consumer.messageBodies(3) == ["kept 1", "kept 2", "kept 3"])
            #expect(broker.queueDepth(queue) == 0)
            await consumer.close()
        }
    }

    @Test("client-individual: ACK settles one message, NACK redelivers it marked redelivered")
    func clientIndividualAckNack() async throws {
        try await withEmbeddedBroker { broker, port in
            let queue = TestEnvironment.unique("/queue/individual-")
            let consumer = try await WireConnection.connected(port: port)
            try await consumer.subscribe(queue, ack: "client-individual")
            let producer = try await WireConnection.connected(port: port)
            try await producer.sendMessage(to: queue, body: "a")
            try await producer.sendMessage(to: queue, body: "b", receipt: true)
            let a = try #require(await consumer.nextFrame { $0.command == .message })
            let b = try #require(await consumer.nextFrame { $0.command == .message })
            #expect(a.bodyString == "a" && b.bodyString == "b")
            #expect(a.headers[STOMPHeaderName.redelivered] == nil)
            let ackA = try #require(a.headers[STOMPHeaderName.ack])
            let ackB = try #require(b.headers[STOMPHeaderName.ack])
            try await consumer.sendAwaitingReceipt(STOMPFrame(.ack, headers: ["id": ackA]))
            try await consumer.send(STOMPFrame(.nack, headers: ["id": ackB]))
            let again = try #require(await consumer.nextFrame { $0.command == .message })
            #expect(again.bodyString == "b")
            #expect(again.headers[STOMPHeaderName.redelivered] == "true")
            try await consumer.sendAwaitingReceipt(STOMPFrame(.ack, headers: ["id": try #require(again.headers[STOMPHeaderName.ack])]))
            await consumer.close()
            // Both are settled: a new consumer gets nothing.
            let next = try await WireConnection.connected(port: port)
            try await next.subscribe(queue)
            await expectNoMessage(on: next)
            #expect(broker.queueDepth(queue) == 0)
            await next.close()
            await producer.close()
        }
    }

    @Test("client-individual: acknowledging a later message leaves the earlier one unacknowledged")
    func clientIndividualIsNotCumulative() async throws {
        try await acknowledgeSecondOfThree(mode: "client-individual", expectedLeft: ["one", "three"])
    }

    @Test("client: an ACK covers every earlier message of the subscription")
    func clientAckIsCumulative() async throws {
        try await acknowledgeSecondOfThree(mode: "client", expectedLeft: ["three"])
    }

    /// Sends three messages, acknowledges the second, disconnects, and checks what a
    /// new consumer gets back (redelivered, in order).
    private func acknowledgeSecondOfThree(mode: String, expectedLeft: [String]) async throws {
        try await withEmbeddedBroker { _, port in
            let queue = TestEnvironment.unique("/queue/ack-")
            let consumer = try await WireConnection.connected(port: port)
            try await consumer.subscribe(queue, ack: mode)
            let producer = try await WireConnection.connected(port: port)
            for body in ["one", "two", "three"] { try await producer.sendMessage(to: queue, body: body, receipt: body == "three") }
            var frames: [STOMPFrame] = []
            for _ in 0..<3 { frames.append(try #require(await consumer.nextFrame { $0.command == .message })) }
            #expect(frames.map(\.bodyString) == ["one", "two", "three"])
            let ackID = try #require(frames[1].headers[STOMPHeaderName.ack])
            try await consumer.sendAwaitingReceipt(STOMPFrame(.ack, headers: ["id": ackID]))
            await consumer.close()

            let next = try await WireConnection.connected(port: port)
            try await next.subscribe(queue)
            var left: [STOMPFrame] = []
            for _ in expectedLeft { left.append(try #require(await next.nextFrame { $0.command == .message })) }
            #expect(left.map(\.bodyString) == expectedLeft)
            #expect(left.allSatisfy { $0.headers[STOMPHeaderName.redelivered] == "true" })
            await expectNoMessage(on: next)
            await next.close()
            await producer.close()
        }
    }

    @Test("client: a NACK returns every earlier unacknowledged message too")
    func clientNackIsCumulative() async throws {
        try await withEmbeddedBroker { _, port in
            let queue = TestEnvironment.unique("/queue/nack-")
            let consumer = try await WireConnection.connected(port: port)
            try await consumer.subscribe(queue, ack: "client")
            let producer = try await WireConnection.connected(port: port)
            for body in ["n1", "n2", "n3"] { try await producer.sendMessage(to: queue, body: body, receipt: body == "n3") }
            var frames: [STOMPFrame] = []
            for _ in 0..<3 { frames.append(try #require(await consumer.nextFrame { $0.command == .message })) }
            try await consumer.send(STOMPFrame(.nack, headers: ["id": try #require(frames[1].headers[STOMPHeaderName.ack])]))
            var again: [STOMPFrame] = []
            for _ in 0..<2 { again.append(try #require(await consumer.nextFrame { $0.command == .message })) }
            #expect(again.map(\.bodyString) == ["n1", "n2"])
            #expect(again.allSatisfy { $0.headers[STOMPHeaderName.redelivered] == "true" })
            await expectNoMessage(on: consumer)
            await consumer.close()
            await producer.close()
        }
    }

    @Test("UNSUBSCRIBE hands unacknowledged messages to the remaining consumer")
    func unsubscribeRequeues() async throws {
        try await withEmbeddedBroker { _, port in
            let queue = TestEnvironment.unique("/queue/unsub-")
            let leaving = try await WireConnection.connected(port: port)
            try await leaving.subscribe(queue, id: "l", ack: "client-individual")
            let producer = try await WireConnection.connected(port: port)
            try await producer.sendMessage(to: queue, body: "handed over", receipt: true)
            #expect(await leaving.messageBodies(1) == ["handed over"])
            let staying = try await WireConnection.connected(port: port)
            try await staying.subscribe(queue, id: "s")
            await expectNoMessage(on: staying, within: .milliseconds(150))
            try await leaving.sendAwaitingReceipt(STOMPFrame(.unsubscribe, headers: ["id": "l"]))
            let frame = try #require(await staying.nextFrame { $0.command == .message })
            #expect(frame.bodyString == "handed over")
            #expect(frame.headers[STOMPHeaderName.redelivered] == "true")
            await expectNoMessage(on: leaving, within: .milliseconds(100))
            for connection in [leaving, staying, producer] { await connection.close() }
        }
    }

    @Test("unacknowledged messages return to the queue when their consumer disconnects")
    func unackedReturnOnDisconnect() async throws {
        try await withEmbeddedBroker { broker, port in
            let queue = TestEnvironment.unique("/queue/return-")
            let consumer = try await WireConnection.connected(port: port)
            try await consumer.subscribe(queue, ack: "client-individual")
            let producer = try await WireConnection.connected(port: port)
            for body in ["x", "y"] { try await producer.sendMessage(to: queue, body: body, receipt: true) }
            #expect(await consumer.messageBodies(2) == ["x", "y"])
            #expect(broker.queueDepth(queue) == 0)
            await consumer.close()

            let next = try await WireConnection.connected(port: port)
            try await next.subscribe(queue, ack: "client-individual")
            let x = try #require(await next.nextFrame { $0.command == .message })
            let y = try #require(await next.nextFrame { $0.command == .message })
            #expect([x.bodyString, y.bodyString] == ["x", "y"])
            #expect(x.headers[STOMPHeaderName.redelivered] == "true" && y.headers[STOMPHeaderName.redelivered] == "true")
            await next.close()
            await producer.close()
        }
    }

    @Test("prefetch-count bounds the unacknowledged messages of a subscription")
    func prefetch() async throws {
        try await withEmbeddedBroker { _, port in
            let queue = TestEnvironment.unique("/queue/prefetch-")
            let consumer = try await WireConnection.connected(port: port)
            let subscribe = STOMPFrame(
                .subscribe,
                headers: ["destination": queue, "id": "p", "ack": "client-individual", "prefetch-count": "1"]
            )
            try await consumer.sendAwaitingReceipt(subscribe)
            let producer = try await WireConnection.connected(port: port)
            for index in 1...3 { try await producer.sendMessage(to: queue, body: "p\(index)", receipt: index == 3) }
            for index in 1...3 {
                let frame = try #require(await consumer.nextFrame { $0.command == .message })
                #expect(frame.bodyString == "p\(index)")
                await expectNoMessage(on: consumer, within: .milliseconds(150))
                try await consumer.send(STOMPFrame(.ack, headers: ["id": try #require(frame.headers[STOMPHeaderName.ack])]))
            }
            await consumer.close()
            await producer.close()
        }
    }

    @Test("receipts for SEND, SUBSCRIBE, UNSUBSCRIBE and DISCONNECT")
    func receipts() async throws {
        try await withEmbeddedBroker { _, port in
            let connection = try await WireConnection.connected(port: port)
            let topic = TestEnvironment.unique("/topic/receipts-")
            try await connection.write("SUBSCRIBE\ndestination:\(topic)\nid:s\nreceipt:sub-1\n\n\0")
            let subscribed = try #require(await connection.nextFrame())
            #expect(subscribed.command == .receipt && subscribed.headers[STOMPHeaderName.receiptID] == "sub-1")
            try await connection.write("SEND\ndestination:\(topic)\nreceipt:send-1\n\nhello\0")
            // Delivery to ourselves and the receipt may come in either order.
            let message = await connection.nextFrame { $0.command == .message }
            #expect(message?.bodyString == "hello")
            #expect(message?.headers[STOMPHeaderName.receipt] == nil, "the SEND's receipt header must not reach subscribers")
            let sent = await connection.nextFrame { $0.command == .receipt }
            #expect(sent?.headers[STOMPHeaderName.receiptID] == "send-1")
            try await connection.write("UNSUBSCRIBE\nid:s\nreceipt:unsub-1\n\n\0")
            #expect(await connection.nextFrame()?.headers[STOMPHeaderName.receiptID] == "unsub-1")
            try await connection.write("DISCONNECT\nreceipt:bye\n\n\0")
            let bye = await connection.nextFrame()
            #expect(bye?.command == .receipt && bye?.headers[STOMPHeaderName.receiptID] == "bye")
            #expect(await connection.waitForClose())
        }
    }

    @Test("a transaction delivers its SENDs on COMMIT and drops them on ABORT")
    func transactions() async throws {
        try await withEmbeddedBroker { _, port in
            let queue = TestEnvironment.unique("/queue/tx-")
            let consumer = try await WireConnection.connected(port: port)
            try await consumer.subscribe(queue)
            let producer = try await WireConnection.connected(port: port)

            try await producer.sendAwaitingReceipt(STOMPFrame(.begin, headers: ["transaction": "tx-1"]))
            try await producer.sendMessage(to: queue, body: "t1", headers: [("transaction", "tx-1")])
            try await producer.sendMessage(to: queue, body: "t2", headers: [("transaction", "tx-1")], receipt: true)
            await expectNoMessage(on: consumer)
            try await producer.sendAwaitingReceipt(STOMPFrame(.commit, headers: ["transaction": "tx-1"]))
            let committed = try #require(await consumer.nextFrame { $0.command == .message })
            #expect(committed.bodyString == "t1")
            #expect(committed.headers[STOMPHeaderName.transaction] == nil)
            #expect(await consumer.messageBodies(1) == ["t2"])

            try await producer.sendAwaitingReceipt(STOMPFrame(.begin, headers: ["transaction": "tx-2"]))
            try await producer.sendMessage(to: queue, body: "aborted", headers: [("transaction", "tx-2")])
            try await producer.sendAwaitingReceipt(STOMPFrame(.abort, headers: ["transaction": "tx-2"]))
            try await producer.sendMessage(to: queue, body: "after abort", receipt: true)
            #expect(await consumer.messageBodies(1) == ["after abort"])
            await expectNoMessage(on: consumer)

            // An ACK inside an aborted transaction does not count.
            let acking = try await WireConnection.connected(port: port)
            let ackQueue = TestEnvironment.unique("/queue/tx-ack-")
            try await acking.subscribe(ackQueue, ack: "client-individual")
            try await producer.sendMessage(to: ackQueue, body: "ack me", receipt: true)
            let delivered = try #require(await acking.nextFrame { $0.command == .message })
            try await acking.sendAwaitingReceipt(STOMPFrame(.begin, headers: ["transaction": "tx-ack"]))
            let ackID = try #require(delivered.headers[STOMPHeaderName.ack])
            try await acking.send(STOMPFrame(.ack, headers: ["id": ackID, "transaction": "tx-ack"]))
            try await acking.sendAwaitingReceipt(STOMPFrame(.abort, headers: ["transaction": "tx-ack"]))
            await acking.close()
            let after = try await WireConnection.connected(port: port)
            try await after.subscribe(ackQueue)
            #expect(await after.messageBodies(1) == ["ack me"], "the aborted ACK settled the message")
            await after.close()

            // The transaction is gone: committing it again is an error.
            try await producer.write("COMMIT\ntransaction:tx-2\n\n\0")
            await expectError(on: producer, mentioning: ["unknown transaction", "tx-2"])
            await consumer.close()
        }
    }

    @Test("a temp-queue belongs to its first subscriber and goes when it leaves")
    func temporaryQueue() async throws {
        try await withEmbeddedBroker { broker, port in
            let replyTo = TestEnvironment.unique("/temp-queue/reply-")
            let producer = try await WireConnection.connected(port: port)
            // Nobody owns it yet: a reply is dropped, not kept.
            try await producer.sendMessage(to: replyTo, body: "too early", receipt: true)
            #expect(broker.queueDepth(replyTo) == 0)

            let owner = try await WireConnection.connected(port: port)
            try await owner.subscribe(replyTo)
            try await producer.sendMessage(to: replyTo, body: "reply", receipt: true)
            #expect(await owner.messageBodies(1) == ["reply"])

            await owner.close()
            try await waitUntil("the owner's connection is gone") { broker.connectionCount == 1 }
            try await producer.sendMessage(to: replyTo, body: "after owner left", receipt: true)
            #expect(broker.queueDepth(replyTo) == 0)

            // A new subscriber gets a fresh, empty queue under the same name.
            let newcomer = try await WireConnection.connected(port: port)
            try await newcomer.subscribe(replyTo)
            await expectNoMessage(on: newcomer)
            try await producer.sendMessage(to: replyTo, body: "for the newcomer", receipt: true)
            #expect(await newcomer.messageBodies(1) == ["for the newcomer"])
            await newcomer.close()
            await producer.close()
        }
    }
}

/// Polls `condition` every 10 ms until it holds; throws after `timeout`.
func waitUntil(_ what: String, timeout: Duration = .seconds(5), _ condition: () -> Bool) async throws {
    let deadline = ContinuousClock.now + timeout
    while !condition() {
        guard ContinuousClock.now < deadline else { throw TestEnvironmentError("timed out waiting until \(what)") }
        try await Task.sleep(for: .milliseconds(10))
    }
}
