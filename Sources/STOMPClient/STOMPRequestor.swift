import Logging
import NIOConcurrencyHelpers
import NIOCore
import STOMPCore

/// Request–reply over one ``STOMPClient``: one reply destination per requestor (not one
/// per request), replies matched to callers by `correlation-id`.
///
/// The reply destination suits the broker: on RabbitMQ an exclusive, auto-deleted
/// queue `/queue/stomp-gateway.replies.ID` (named `/amq/queue/…` in `reply-to`); on ActiveMQ and the embedded broker a
/// temporary queue `/temp-queue/stomp-gateway.replies.ID`. A reply that arrives after
/// its caller gave up is dropped and counted (``lateReplies``).
///
/// ```swift
/// let requestor = STOMPRequestor(client: client)
/// try await requestor.start()                        // after client.connect()
/// let reply = try await requestor.request(to: "/queue/menu", body: ByteBuffer(string: "{}"), timeout: .seconds(2))
/// ```
public final class STOMPRequestor: Sendable {
    /// A reply.
    public struct Reply: Sendable {
        /// Its headers (`correlation-id` among them).
        public let headers: STOMPHeaders
        /// Its body.
        public let body: ByteBuffer
    }

    private struct State: Sendable {
        var pending: [String: CheckedContinuation<Reply?, any Error>] = [:]
        var next: UInt64 = 0
        var lateReplies = 0
        var replyTo: String?
        var subscription: STOMPSubscription?
        var reader: Task<Void, Never>?
    }

    private let client: STOMPClient
    private let instanceID: String
    private let logger: Logger
    private let onLateReply: @Sendable () -> Void
    private let state = NIOLockedValueBox(State())

    /// Creates a requestor on `client`; `instanceID` names its reply destination
    /// (random by default); `onLateReply` is called for each reply dropped.
    public init(
        client: STOMPClient,
        instanceID: String? = nil,
        logger: Logger = Logger(label: "stomp.requestor"),
        onLateReply: @escaping @Sendable () -> Void = {}
    ) {
        self.client = client
        self.instanceID = instanceID ?? Self.randomID()
        self.logger = logger
        self.onLateReply = onLateReply
    }

    static func randomID() -> String {
        let alphabet = Array("abcdefghijklmnopqrstuvwxyz0123456789")
        var generator = SystemRandomNumberGenerator()
        return String((0..<12).map { _ in alphabet.randomElement(using: &generator)! })
    }

    /// Replies that arrived after their caller had given up (or for no caller).
    public var lateReplies: Int { state.withLockedValue { $0.lateReplies } }

    /// Requests waiting for a reply now.
    public var pendingCount: Int { state.withLockedValue { $0.pending.count } }

    /// The `reply-to` written on requests, once started.
    public var replyDestination: String? { state.withLockedValue { $0.replyTo } }

    /// Subscribes to the reply destination. Call once the client is connected.
    public func start() async throws {
        if state.withLockedValue({ $0.subscription != nil }) { return }
        let server = (client.connectedServer ?? "").lowercased()
        let destination: String
        let replyTo: String
        var headers: STOMPHeaders = [:]
        if server.contains("rabbitmq") {
            // Declared by the SUBSCRIBE; replies go to it through /amq/queue/, which
            // does not declare again (a SEND to /queue/ would, with other properties).
            destination = "/queue/stomp-gateway.replies.\(instanceID)"
            replyTo = "/amq/queue/stomp-gateway.replies.\(instanceID)"
            headers = ["auto-delete": "true", "exclusive": "true", "durable": "false"]
        } else {
            destination = "/temp-queue/stomp-gateway.replies.\(instanceID)"
            replyTo = destination
        }
        let subscription = try await client.subscribe(to: destination, ack: .auto, headers: headers, receipt: true)
        let reader = Task { [weak self] in
            do {
                for try await message in subscription {
                    self?.deliver(message)
                }
            } catch {
                self?.logger.warning("reply subscription ended", metadata: ["error": "\(error)"])
            }
        }
        state.withLockedValue { state in
            state.replyTo = replyTo
            state.subscription = subscription
            state.reader = reader
        }
    }

    private func deliver(_ message: STOMPMessage) {
        let id = message.headers[STOMPHeaderName.correlationID] ?? ""
        let continuation = state.withLockedValue { state -> CheckedContinuation<Reply?, any Error>? in
            guard let continuation = state.pending.removeValue(forKey: id) else {
                state.lateReplies += 1
                return nil
            }
            return continuation
        }
        if let continuation {
            continuation.resume(returning: Reply(headers: message.headers, body: message.body))
        } else {
            onLateReply()
            logger.debug("late or unknown reply dropped", metadata: ["correlation-id": "\(id)"])
        }
    }

    /// Sends a request with `reply-to` and a fresh `correlation-id`, and waits for the
    /// reply up to `timeout`.
    ///
    /// - Returns: the reply, or `nil` when none came in time (a later one is dropped
    ///   and counted).
    /// - Throws: ``STOMPClientError`` when the request could not be sent; a
    ///   `CancellationError` when the calling task is cancelled.
    public func request(to destination: String, body: ByteBuffer, headers: STOMPHeaders = [:], timeout: Duration) async throws -> Reply? {
        guard let replyTo = state.withLockedValue({ $0.replyTo }) else {
            throw STOMPClientError.notConnected
        }
        let id = state.withLockedValue { state -> String in
            state.next += 1
            return "\(instanceID)-\(state.next)"
        }
        var requestHeaders = headers
        requestHeaders.replaceOrAdd(name: STOMPHeaderName.replyTo, value: replyTo)
        requestHeaders.replaceOrAdd(name: STOMPHeaderName.correlationID, value: id)
        let outgoing = requestHeaders
        let client = self.client
        let timer = Task { [weak self] in
            try? await Task.sleep(for: timeout)
            guard !Task.isCancelled else { return }
            self?.finish(id, with: .success(nil))
        }
        defer { timer.cancel() }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Reply?, any Error>) in
                state.withLockedValue { $0.pending[id] = continuation }
                Task {
                    do {
                        try await client.send(to: destination, body: body, headers: outgoing)
                    } catch {
                        self.finish(id, with: .failure(error))
                    }
                }
            }
        } onCancel: {
            self.finish(id, with: .failure(CancellationError()))
        }
    }

    private func finish(_ id: String, with result: Result<Reply?, any Error>) {
        let continuation = state.withLockedValue { $0.pending.removeValue(forKey: id) }
        continuation?.resume(with: result)
    }

    /// Ends the reply subscription; waiting requests get `nil`.
    public func stop() async {
        let (subscription, reader, pending) = state.withLockedValue { state in
            defer {
                state.subscription = nil
                state.reader = nil
                state.replyTo = nil
                state.pending = [:]
            }
            return (state.subscription, state.reader, state.pending)
        }
        for continuation in pending.values { continuation.resume(returning: nil) }
        reader?.cancel()
        try? await subscription?.unsubscribe()
    }
}
