import NIOCore

/// How a message's STOMP headers become HTTP request headers, and the headers a dead
/// letter carries.
///
/// | HTTP header | value |
/// |---|---|
/// | `content-type` | the message's `content-type`, else `application/octet-stream` |
/// | `webhook-id`, `webhook-timestamp`, `webhook-signature` | Standard Webhooks |
/// | `user-agent` | `stomp-gateway` |
/// | `x-stomp-destination` | the message's destination |
/// | `x-stomp-message-id` | the broker's message id |
/// | `x-stomp-redelivered` | `true` when the broker redelivered the message |
/// | `x-webhook-attempt` | the attempt number, from 1 |
/// | `x-stomp-header-<name>` | every other message header whose name is an HTTP token |
///
/// Values with CR, LF or NUL are left out (no header injection); so are headers the
/// broker sets per delivery (`ack`, `subscription`, `content-length`).
public enum WebhookHeaders {
    /// Dead-letter header: the route.
    public static let deadLetterRoute = "x-webhook-route"
    /// Dead-letter header: the endpoint that did not take the message.
    public static let deadLetterEndpoint = "x-webhook-endpoint"
    /// Dead-letter header: the message's `webhook-id` (kept by a replay).
    public static let deadLetterID = "x-webhook-id"
    /// Dead-letter header: why (`max-attempts`, `max-age`, `endpoint-disabled`, `gone`).
    public static let deadLetterReason = "x-webhook-reason"
    /// Dead-letter header: attempts made.
    public static let deadLetterAttempts = "x-webhook-attempts"
    /// Dead-letter header: the last HTTP status (absent when none was received).
    public static let deadLetterLastStatus = "x-webhook-last-status"
    /// Dead-letter header: the last error, one line.
    public static let deadLetterLastError = "x-webhook-last-error"
    /// Dead-letter header: when, in milliseconds since 1970.
    public static let deadLetteredAt = "x-webhook-dead-lettered-at"
    /// Dead-letter header: the destination the message came from.
    public static let deadLetterSource = "x-webhook-source"

    static let transportHeaders: Set<String> = [
        "message-id", "ack", "subscription", "redelivered", "content-length", "content-type", "destination", "receipt",
        "transaction",
    ]
    static let deadLetterHeaders: Set<String> = [
        deadLetterRoute, deadLetterEndpoint, deadLetterID, deadLetterReason, deadLetterAttempts, deadLetterLastStatus,
        deadLetterLastError, deadLetteredAt, deadLetterSource,
    ]

    /// Whether `value` may go into an HTTP or STOMP header as is.
    public static func isSafeValue(_ value: String) -> Bool {
        !value.utf8.contains { $0 == 13 || $0 == 10 || $0 == 0 }
    }

    /// Whether `name` is an HTTP token (RFC 9110).
    public static func isToken(_ name: String) -> Bool {
        !name.isEmpty
            && name.utf8.allSatisfy { byte in
                switch byte {
                case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"): true
                case UInt8(ascii: "!"), UInt8(ascii: "#"), UInt8(ascii: "$"), UInt8(ascii: "%"), UInt8(ascii: "&"), UInt8(ascii: "'"),
                    UInt8(ascii: "*"), UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "^"), UInt8(ascii: "_"),
                    UInt8(ascii: "`"), UInt8(ascii: "|"), UInt8(ascii: "~"):
                    true
                default: false
                }
            }
    }

    /// The HTTP headers of one attempt.
    public static func request(
        message: WebhookInboundMessage,
        id: String,
        timestamp: Int64,
        signature: String,
        attempt: Int
    ) -> [(name: String, value: String)] {
        var out: [(name: String, value: String)] = []
        out.reserveCapacity(message.headers.count + 10)
        let contentType = message.header("content-type").flatMap { isSafeValue($0) && !$0.isEmpty ? $0 : nil }
        out.append(("content-type", contentType ?? "application/octet-stream"))
        out.append(("webhook-id", id))
        out.append(("webhook-timestamp", String(timestamp)))
        out.append(("webhook-signature", signature))
        out.append(("user-agent", "stomp-gateway"))
        if let destination = message.header("destination"), isSafeValue(destination) {
            out.append(("x-stomp-destination", destination))
        }
        if let messageID = message.header("message-id"), isSafeValue(messageID) { out.append(("x-stomp-message-id", messageID)) }
        if message.header("redelivered") == "true" { out.append(("x-stomp-redelivered", "true")) }
        out.append(("x-webhook-attempt", String(attempt)))
        var seen = Set<String>()
        for header in message.headers where !transportHeaders.contains(header.name) && !deadLetterHeaders.contains(header.name) {
            let lower = header.name.lowercased()
            guard isToken(header.name), isSafeValue(header.value), seen.insert(lower).inserted else { continue }
            out.append(("x-stomp-header-" + lower, header.value))
        }
        return out
    }

    /// The headers of a dead letter: the message's own (less the per-delivery ones and
    /// any earlier dead-letter headers) and the reason.
    public static func deadLetter(
        message: WebhookInboundMessage,
        route: String,
        endpoint: String,
        id: String,
        reason: String,
        attempts: Int,
        lastStatus: Int?,
        lastError: String?,
        at milliseconds: Int64
    ) -> [(name: String, value: String)] {
        var out: [(name: String, value: String)] = []
        for header in message.headers
        where !["message-id", "ack", "subscription", "redelivered", "content-length", "destination", "receipt", "transaction"].contains(
            header.name
        ) && !deadLetterHeaders.contains(header.name) && isSafeValue(header.value) {
            out.append(header)
        }
        out.append((deadLetterRoute, route))
        out.append((deadLetterEndpoint, endpoint))
        out.append((deadLetterID, id))
        out.append((deadLetterReason, reason))
        out.append((deadLetterAttempts, String(attempts)))
        if let lastStatus { out.append((deadLetterLastStatus, String(lastStatus))) }
        if let lastError { out.append((deadLetterLastError, oneLine(lastError))) }
        out.append((deadLetteredAt, String(milliseconds)))
        out.append((deadLetterSource, message.header(deadLetterSource) ?? message.header("destination") ?? ""))
        if !out.contains(where: { $0.name == "persistent" }) { out.append(("persistent", "true")) }
        return out
    }

    /// `text` on one line, at most 300 characters.
    static func oneLine(_ text: String) -> String {
        let flat = String(text.map { $0.isNewline || $0 == "\0" ? " " : $0 })
        return flat.count > 300 ? String(flat.prefix(297)) + "..." : flat
    }
}
