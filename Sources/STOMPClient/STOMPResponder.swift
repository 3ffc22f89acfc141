import NIOCore
import STOMPCore

/// Makes a service of a queue in a few lines: consume requests, answer each to its
/// `reply-to` with its `correlation-id`.
///
/// ```swift
/// try await STOMPResponder.serve(client: client, queue: "/queue/menu") { request in
///     .init(body: ByteBuffer(string: #"{"items":["soup","bread"]}"#), headers: ["content-type": "application/json"])
/// }
/// ```
///
/// Requests are acknowledged (`client-individual`) after the reply is written, so a
/// crash before that redelivers the request rather than losing it.
/// A request without `reply-to` is acknowledged and skipped. When `handler` throws,
/// the reply carries the header `error:true` and the error's description as its body.
public enum STOMPResponder {
    /// A reply to send.
    public struct Reply: Sendable {
        /// The body.
        public var body: ByteBuffer
        /// Extra headers (`content-type`, …).
        public var headers: STOMPHeaders

        /// Creates a reply.
        public init(body: ByteBuffer, headers: STOMPHeaders = [:]) {
            self.body = body
            self.headers = headers
        }

        /// A UTF-8 reply.
        public init(_ text: String, headers: STOMPHeaders = [:]) {
            self.init(body: ByteBuffer(string: text), headers: headers)
        }
    }

    /// Serves `queue` until the task is cancelled or the subscription ends.
    public static func serve(
        client: STOMPClient,
        queue: String,
        handler: @escaping @Sendable (STOMPMessage) async throws -> Reply
    ) async throws {
        let requests = try await client.subscribe(to: queue, ack: .clientIndividual)
        for try await request in requests {
            if let replyTo = request.headers[STOMPHeaderName.replyTo] {
                var reply: Reply
                do {
                    reply = try await handler(request)
                } catch {
                    reply = Reply("\(error)", headers: ["error": "true"])
                }
                var headers = reply.headers
                if let correlation = request.headers[STOMPHeaderName.correlationID] {
                    headers.replaceOrAdd(name: STOMPHeaderName.correlationID, value: correlation)
                }
                // No receipt: while requests fill this subscription's buffer the client
                // stops reading, and a RECEIPT could not be read.
                try await client.send(to: replyTo, body: reply.body, headers: headers)
            }
            try await client.ack(request)
        }
    }
}
