import Foundation
import GatewayCore

/// How one attempt ended, and what follows.
public enum WebhookOutcome: Sendable, Equatable {
    /// 2xx: delivered.
    case delivered(status: Int)
    /// 410 Gone: the receiver asks never to be called again; the endpoint is disabled.
    case gone
    /// Anything else: try again later (with the receiver's `Retry-After`, if any).
    case retry(failure: WebhookFailureClass, status: Int?, retryAfter: Duration?)

    /// Classifies a response. Redirects are not followed: a 3xx is a failure.
    public static func classify(_ response: WebhookResponse, now: Date = Date()) -> Self {
        switch response.status {
        case 200..<300: return .delivered(status: response.status)
        case 410: return .gone
        default:
            let failure: WebhookFailureClass =
                switch response.status {
                case 429: .throttled
                case 502, 503, 504: .unavailable
                case 300..<400: .redirect
                case 400..<500: .clientError
                default: .serverError
                }
            return .retry(failure: failure, status: response.status, retryAfter: retryAfter(response.retryAfter, now: now))
        }
    }

    /// Classifies a transport error.
    public static func classify(_ error: WebhookTransportError) -> Self {
        switch error {
        case .timeout: .retry(failure: .timeout, status: nil, retryAfter: nil)
        case .connect: .retry(failure: .connect, status: nil, retryAfter: nil)
        case .io: .retry(failure: .io, status: nil, retryAfter: nil)
        }
    }

    /// `Retry-After` as delay-seconds or an HTTP date; `nil` if absent or unreadable.
    public static func retryAfter(_ value: String?, now: Date = Date()) -> Duration? {
        guard let value = value?.trimmingCharacters(in: .whitespaces), !value.isEmpty else { return nil }
        if let seconds = Int(value), seconds >= 0 { return .seconds(seconds) }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        guard let date = formatter.date(from: value) else { return nil }
        // A date centuries ahead is no reason to overflow: the policy caps the wait anyway.
        return .milliseconds(Int64(min(max(0, date.timeIntervalSince(now)), 1e12) * 1000))
    }
}

/// Why an attempt failed, as counted in `gateway_webhook_failures_total{class}`.
public enum WebhookFailureClass: String, Sendable, Equatable, CaseIterable {
    /// No response within the endpoint's timeout.
    case timeout
    /// No connection.
    case connect
    /// The connection broke.
    case io
    /// 429 Too Many Requests.
    case throttled = "http_429"
    /// 502, 503, 504.
    case unavailable = "http_unavailable"
    /// Other 5xx.
    case serverError = "http_5xx"
    /// 4xx other than 410 and 429.
    case clientError = "http_4xx"
    /// 3xx (redirects are not followed).
    case redirect = "http_3xx"
    /// 410 Gone.
    case gone = "http_410"
}
