import Foundation
import STOMPBroker
import STOMPCore
import STOMPTestSupport
import Testing

/// However a connection ends — DISCONNECT, an ERROR, a heart-beat timeout or a dropped
/// socket — its session must end with it: its place under `maxConnections` is freed,
/// its unacknowledged messages go back to the queue, and the queue stops handing
/// messages to it.
@Suite("Embedded broker: a session ends with its connection", .timeLimit(.minutes(1)))
struct BrokerSessionEndTests {
    enum Ending: String, CaseIterable, CustomTestStringConvertible {
        case disconnectWithReceipt = "DISCONNECT with receipt"
        case disconnect = "DISCONNECT without receipt"
        case protocolError = "ERROR after a bad frame"
        case heartBeatTimeout = "heart-beat timeout"
        case socketClosed = "socket closed"

        var testDescription: String { rawValue }
    }

    @Test("the session ends", arguments: Ending.allCases)
    func sessionEnds(_ ending: Ending) async throws {
        var configuration = EmbeddedBrokerConfiguration.forTests
        configuration.maxConnections = 2
        configuration.heartBeat = STOMPHeartBeat(outgoing: 0, incoming: 300)
        try await withEmbeddedBroker(configuration) { broker, port in
            let queue = TestEnvironment.unique("/queue/end-")
            let leaving = try await WireConnection.connected(
                port: port,
                headers: ending == .heartBeatTimeout ? [("heart-beat", "300,0")] : []
            )
            // Beat until told to go silent, so that a slow setup does not end it early.
            let beats = Task {
                while !Task.isCancelled {
                    try? await leaving.write("\n")
                    try? await Task.sleep(for: .milliseconds(100))
                }
            }
            try await leaving.subscribe(queue, id: "held", ack: "client-individual")
            let producer = try await WireConnection.connected(port: port)
            try await producer.sendMessage(to: queue, body: "unacknowledged", receipt: true)
            #expect(await leaving.messageBodies(1) == ["unacknowledged"])
            beats.cancel()
            await beats.value

            switch ending {
            case .disconnectWithReceipt:
                try await leaving.write("DISCONNECT\nreceipt:bye\n\n\0")
                #expect(await leaving.nextFrame { $0.command == .receipt }?.headers[STOMPHeaderName.receiptID] == "bye")
            case .disconnect:
                try await leaving.write("DISCONNECT\n\n\0")
            case .protocolError:
                try await leaving.write("BOGUS\n\n\0")
                await expectError(on: leaving, mentioning: ["unknown command"])
            case .heartBeatTimeout:
                break
            case .socketClosed:
                await leaving.close()
            }
            #expect(await leaving.waitForClose(timeout: .seconds(5)), "the broker kept the connection open")

            // The place is free: with maxConnections 2, a new client gets in.
            try await waitUntil("the leaving connection is gone") { broker.connectionCount == 1 }
            let staying = try await WireConnection.connected(port: port)
            // New messages are not handed to the session that ended.
            try await producer.sendMessage(to: queue, body: "after", receipt: true)
            #expect(broker.queueDepth(queue) == 2, "a message went to a session that had ended")
            try await staying.subscribe(queue, id: "new")
            let first = try #require(await staying.nextFrame { $0.command == .message })
            #expect(first.bodyString == "unacknowledged")
            #expect(first.headers[STOMPHeaderName.redelivered] == "true")
            #expect(await staying.messageBodies(1) == ["after"])
            await staying.close()
            await producer.close()
        }
    }
}
