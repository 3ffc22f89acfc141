import NIOCore
import STOMPCore

/// A STOMP transaction: sends and acknowledgements that the broker applies together
/// on ``commit()``, or drops on ``abort()``.
///
/// ```swift
/// let tx = try await client.begin()
/// try await tx.send(to: "/queue/a", body: "one")
/// try await tx.send(to: "/queue/a", body: "two")
/// try await tx.commit()
/// ```
public struct STOMPTransaction: Sendable {
    /// The `transaction` header value.
    public let id: String
    let client: STOMPClient

    /// Sends a message as part of the transaction.
    public func send(to destination: String, body: ByteBuffer, headers: STOMPHeaders = [:]) async throws {
        try await client.send(to: destination, body: body, headers: headers, transaction: id)
    }

    /// Sends a UTF-8 message as part of the transaction.
    public func send(to destination: String, body: String, headers: STOMPHeaders = [:]) async throws {
        try await send(to: destination, body: ByteBuffer(string: body), headers: headers)
    }

    /// Acknowledges a message as part of the transaction.
    public func ack(_ message: STOMPMessage) async throws {
        try await client.ack(message, transaction: id)
    }

    /// Negatively acknowledges a message as part of the transaction.
    public func nack(_ message: STOMPMessage) async throws {
        try await client.nack(message, transaction: id)
    }

    /// Commits, waiting for the broker's receipt.
    public func commit() async throws {
        try await client.sendFrame(STOMPFrame(.commit, headers: [STOMPHeaderName.transaction: id]), receipt: true)
    }

    /// Aborts, waiting for the broker's receipt.
    public func abort() async throws {
        try await client.sendFrame(STOMPFrame(.abort, headers: [STOMPHeaderName.transaction: id]), receipt: true)
    }
}
