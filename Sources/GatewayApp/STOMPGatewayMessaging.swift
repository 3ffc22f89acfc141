import GatewayHTTP
import Metrics
import NIOConcurrencyHelpers
import NIOCore
import STOMPClient
import STOMPCore

/// The HTTP front door's broker side: publishing with receipts, and request–reply on
/// one ``STOMPRequestor`` (one reply subscription for the whole gateway), started on
/// the first request.
final class STOMPGatewayMessaging: GatewayMessaging {
    let client: STOMPClient
    let requestor: STOMPRequestor
    private let started = NIOLockedValueBox(false)

    init(client: STOMPClient) {
        self.client = client
        let late = Counter(label: "gateway_api_late_replies_total")
        self.requestor = STOMPRequestor(client: client, onLateReply: { late.increment() })
    }

    var lateReplies: Int { requestor.lateReplies }

    func publish(destination: String, headers: [(name: String, value: String)], body: ByteBuffer) async throws {
        do {
            try await client.send(to: destination, body: body, headers: STOMPHeaders(headers.map { ($0.name, $0.value) }), receipt: true)
        } catch let error as STOMPClientError {
            throw Self.translate(error)
        }
    }

    func request(
        destination: String,
        headers: [(name: String, value: String)],
        body: ByteBuffer,
        timeout: Duration
    ) async throws
        -> GatewayReply?
    {
        do {
            try await startIfNeeded()
            let reply = try await requestor.request(
                to: destination,
                body: body,
                headers: STOMPHeaders(headers.map { ($0.name, $0.value) }),
                timeout: timeout
            )
            return reply.map { GatewayReply(headers: $0.headers.map { (name: $0.name, value: $0.value) }, body: $0.body) }
        } catch let error as STOMPClientError {
            throw Self.translate(error)
        }
    }

    private func startIfNeeded() async throws {
        if started.withLockedValue({ $0 }) { return }
        guard client.isConnected else { throw STOMPClientError.notConnectedError }
        try await requestor.start()
        started.withLockedValue { $0 = true }
    }

    static func translate(_ error: STOMPClientError) -> GatewayMessagingError {
        if let message = error.serverMessage {
            return GatewayMessagingError(isUnavailable: false, "the broker refused the message: \(message)")
        }
        return GatewayMessagingError(isUnavailable: true, "the broker is unavailable: \(error)")
    }
}
