import Foundation
import Testing

@testable import GatewayWebhooks

@Suite("Retry policy and outcome classification")
struct WebhookRetryTests {
    @Test func ceilingDoublesUpToTheMaximum() {
        let policy = WebhookRetryPolicy(initialDelay: .milliseconds(100), maxDelay: .seconds(1))
        #expect(policy.backoffCeiling(afterAttempt: 1) == .milliseconds(100))
        #expect(policy.backoffCeiling(afterAttempt: 2) == .milliseconds(200))
        #expect(policy.backoffCeiling(afterAttempt: 4) == .milliseconds(800))
        #expect(policy.backoffCeiling(afterAttempt: 5) == .seconds(1))
        #expect(policy.backoffCeiling(afterAttempt: 500) == .seconds(1))
    }

    @Test func fullJitterStaysWithinTheCeilingAndSpreads() {
        let policy = WebhookRetryPolicy(initialDelay: .milliseconds(100), maxDelay: .seconds(10))
        var generator = SystemRandomNumberGenerator()
        let delays = (0..<2_000).map { _ in policy.delay(afterAttempt: 3, retryAfter: nil, using: &generator) }
        #expect(delays.allSatisfy { $0 >= .zero && $0 <= .milliseconds(400) })
        #expect(delays.contains { $0 < .milliseconds(100) })
        #expect(delays.contains { $0 > .milliseconds(300) })
    }

    @Test func retryAfterReplacesTheDrawAndIsCapped() {
        let policy = WebhookRetryPolicy(maxRetryAfter: .seconds(60))
        var generator = SystemRandomNumberGenerator()
        #expect(policy.delay(afterAttempt: 1, retryAfter: .seconds(7), using: &generator) == .seconds(7))
        #expect(policy.delay(afterAttempt: 1, retryAfter: .seconds(86_400), using: &generator) == .seconds(60))
    }

    @Test func invalidPoliciesAreRefused() {
        #expect(throws: WebhookConfigurationError.self) { try WebhookRetryPolicy(maxAttempts: 0).validate() }
        #expect(throws: WebhookConfigurationError.self) {
            try WebhookRetryPolicy(initialDelay: .seconds(5), maxDelay: .seconds(1)).validate()
        }
        // Longer than a year: refused, so no delay overflows its conversion to nanoseconds.
        #expect(throws: WebhookConfigurationError.self) {
            try WebhookRetryPolicy(maxDelay: .milliseconds(Int.max)).validate()
        }
        #expect(throws: WebhookConfigurationError.self) { try WebhookRetryPolicy(maxAge: .seconds(Int.max)).validate() }
        #expect(throws: WebhookConfigurationError.self) { try WebhookRetryPolicy(maxRetryAfter: .seconds(Int.max)).validate() }
        #expect(throws: Never.self) { try WebhookRetryPolicy(maxDelay: WebhookRetryPolicy.longest).validate() }
    }

    @Test func aRetryAfterDateCenturiesAheadIsNoOverflow() {
        let now = Date(timeIntervalSince1970: 1_700_000_000)
        let far = WebhookOutcome.retryAfter("Fri, 31 Dec 9999 23:59:59 GMT", now: now)
        #expect(far != nil && far! > .seconds(86_400 * 365 * 1000))
        #expect(WebhookOutcome.retryAfter("9223372036854775807", now: now) == .seconds(Int.max))
        #expect(WebhookRetryPolicy().delay(afterAttempt: 1, retryAfter: far, using: &Self.generator) == WebhookRetryPolicy().maxRetryAfter)
    }

    nonisolated(unsafe) static var generator = SystemRandomNumberGenerator()

    @Test(arguments: [
        (200, "delivered"), (204, "delivered"), (299, "delivered"), (410, "gone"), (429, "http_429"), (502, "http_unavailable"),
        (503, "http_unavailable"), (504, "http_unavailable"), (500, "http_5xx"), (301, "http_3xx"), (302, "http_3xx"),
        (400, "http_4xx"), (404, "http_4xx"),
    ])
    func statusesAreClassified(status: Int, expected: String) {
        switch WebhookOutcome.classify(WebhookResponse(status: status)) {
        case .delivered: #expect(expected == "delivered")
        case .gone: #expect(expected == "gone")
        case .retry(let failure, let code, _):
            #expect(failure.rawValue == expected)
            #expect(code == status)
        }
    }

    @Test func retryAfterIsReadAsSecondsOrDate() {
        let now = Date(timeIntervalSince1970: 1_700_000_000)
        #expect(WebhookOutcome.retryAfter("120", now: now) == .seconds(120))
        #expect(WebhookOutcome.retryAfter("Tue, 14 Nov 2023 22:13:40 GMT", now: now) == .seconds(20))
        #expect(WebhookOutcome.retryAfter("soon", now: now) == nil)
        #expect(WebhookOutcome.retryAfter("-5", now: now) == nil)
        let response = WebhookResponse(status: 503, retryAfter: "3")
        #expect(WebhookOutcome.classify(response, now: now) == .retry(failure: .unavailable, status: 503, retryAfter: .seconds(3)))
    }
}
