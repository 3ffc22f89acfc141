import STOMPCore

/// An error from ``STOMPClient``. Each says what happened and what to do.
public struct STOMPClientError: Error, Sendable, CustomStringConvertible {
    private enum Kind: Sendable {
        case invalidURL(String, String)
        case connectFailed([String])
        case notConnected
        case connectionLost(String)
        case server(message: String, body: String)
        case receiptTimeout(String, Duration)
        case unsupportedVersion(String)
        case staleMessage
        case closed
        case ackNotRequired
    }

    private let kind: Kind

    static func invalidURL(_ url: String, reason: String) -> Self { .init(kind: .invalidURL(url, reason)) }
    static func connectFailed(_ attempts: [String]) -> Self { .init(kind: .connectFailed(attempts)) }
    static var notConnected: Self { .init(kind: .notConnected) }
    static func connectionLost(_ reason: String) -> Self { .init(kind: .connectionLost(reason)) }
    static func server(_ frame: STOMPFrame) -> Self {
        .init(kind: .server(message: frame.headers[STOMPHeaderName.message] ?? "", body: frame.bodyString))
    }
    static func receiptTimeout(_ receipt: String, _ timeout: Duration) -> Self { .init(kind: .receiptTimeout(receipt, timeout)) }
    static func unsupportedVersion(_ version: String) -> Self { .init(kind: .unsupportedVersion(version)) }
    static var staleMessage: Self { .init(kind: .staleMessage) }
    static var closed: Self { .init(kind: .closed) }
    static var ackNotRequired: Self { .init(kind: .ackNotRequired) }

    /// Not connected to the broker now (it is down, or the client is reconnecting).
    public static var notConnectedError: Self { .notConnected }

    /// The broker answered with an ERROR frame; this is its `message` header.
    public var serverMessage: String? {
        if case .server(let message, _) = kind { return message }
        return nil
    }

    /// Whether the connection dropped (as opposed to a refusal by the broker).
    public var isConnectionLost: Bool {
        switch kind {
        case .connectionLost, .notConnected: true
        default: false
        }
    }

    public var description: String {
        switch kind {
        case .invalidURL(let url, let reason):
            "invalid broker URL '\(url)': \(reason)"
        case .connectFailed(let attempts):
            "could not connect to any broker: " + attempts.joined(separator: "; ")
        case .notConnected:
            "not connected to the broker (it is down or the client is reconnecting); retry later"
        case .connectionLost(let reason):
            "connection to the broker lost: \(reason)"
        case .server(let message, let body):
            body.isEmpty || body == message + "\n" ? "broker error: \(message)" : "broker error: \(message) — \(body)"
        case .receiptTimeout(let receipt, let timeout):
            "no RECEIPT for '\(receipt)' within \(timeout); the broker may not have the frame"
        case .unsupportedVersion(let version):
            "the broker answered with STOMP version '\(version)', which this client does not speak"
        case .staleMessage:
            "the message came over an earlier connection; the broker redelivers it, so acknowledge the redelivered copy"
        case .closed:
            "the client is closed"
        case .ackNotRequired:
            "the subscription uses ack:auto, so there is nothing to acknowledge"
        }
    }
}
