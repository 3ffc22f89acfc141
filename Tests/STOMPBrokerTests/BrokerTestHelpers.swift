import Foundation
import STOMPBroker
import STOMPCore
import STOMPTestSupport
import Testing

extension EmbeddedBrokerConfiguration {
    /// The defaults, on loopback and a free port.
    static var forTests: EmbeddedBrokerConfiguration { EmbeddedBrokerConfiguration(host: "127.0.0.1", port: 0) }
}

/// Runs `body` against a fresh embedded broker with `configuration` and stops the
/// broker afterwards, whether `body` succeeded or not.
func withEmbeddedBroker(
    _ configuration: EmbeddedBrokerConfiguration = .forTests,
    _ body: (_ broker: EmbeddedBroker, _ port: Int) async throws -> Void
) async throws {
    let underTest = try #require(try await BrokerKind.embedded.start { $0 = configuration })
    let broker = try #require(underTest.embedded)
    do {
        try await body(broker, underTest.url.port)
    } catch {
        await underTest.stop()
        throw error
    }
    await underTest.stop()
}

/// Checks that a well-behaved pair of clients can still exchange a message through a
/// queue on the broker: one bad connection must not take the broker down.
func expectBrokerStillServes(
    port: Int,
    connectHeaders: [(String, String)] = [],
    sourceLocation: SourceLocation = #_sourceLocation
)
    async throws
{
    let queue = TestEnvironment.unique("/queue/healthy-")
    let consumer = try await WireConnection.connected(port: port, headers: connectHeaders)
    let producer = try await WireConnection.connected(port: port, headers: connectHeaders)
    try await consumer.subscribe(queue)
    try await producer.sendMessage(to: queue, body: "still serving", receipt: true)
    let bodies = await consumer.messageBodies(1)
    #expect(bodies == ["still serving"], "a well-behaved client no longer gets messages", sourceLocation: sourceLocation)
    await consumer.close()
    await producer.close()
}

/// Waits for the ERROR frame a bad frame earns, checks that its `message` header
/// contains every one of `words` (case-insensitively) and that the broker then
/// closes the connection.
@discardableResult
func expectError(
    on connection: WireConnection,
    mentioning words: [String],
    timeout: Duration = .seconds(5),
    sourceLocation: SourceLocation = #_sourceLocation
) async -> STOMPFrame? {
    let frame = await connection.nextFrame(timeout: timeout) { $0.command == .error }
    guard let frame else {
        Issue.record("expected an ERROR frame; got none. Received so far: \(connection.transcript.debugDescription)", sourceLocation: sourceLocation)
        return nil
    }
    let message = frame.headers[STOMPHeaderName.message] ?? ""
    for word in words {
        #expect(
            message.lowercased().contains(word.lowercased()),
            "ERROR message \(message.debugDescription) lacks \(word.debugDescription)",
            sourceLocation: sourceLocation
        )
    }
    let closed = await connection.waitForClose(timeout: timeout)
    #expect(closed, "the broker did not close the connection after its ERROR", sourceLocation: sourceLocation)
    return frame
}

/// Asserts that no MESSAGE arrives on `connection` within `window`.
func expectNoMessage(
    on connection: WireConnection,
    within window: Duration = .milliseconds(300),
    sourceLocation: SourceLocation = #_sourceLocation
)
    async
{
    let frame = await connection.nextFrame(timeout: window) { $0.command == .message }
    #expect(frame == nil, "unexpected MESSAGE: \(frame.map(String.init(describing:)) ?? "")", sourceLocation: sourceLocation)
}

/// A CONNECT frame's bytes.
func connectFrame(acceptVersion: String? = "1.2", headers: [(String, String)] = []) -> String {
    var lines = ["CONNECT"]
    if let acceptVersion { lines.append("accept-version:\(acceptVersion)") }
    lines.append("host:/")
    lines += headers.map { "\($0.0):\($0.1)" }
    return lines.joined(separator: "\n") + "\n\n\0"
}
