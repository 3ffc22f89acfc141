import GatewayCore
import Testing

@Suite("Slow-consumer policies")
struct SlowConsumerPoliciesTests {
    @Test func firstMatchingRuleWinsElseTheDefault() throws {
        let policies = SlowConsumerPolicies(rules: [
            (try DestinationPattern("/topic/audit.**"), .disconnect),
            (try DestinationPattern("/topic/**"), .dropOldest),
        ])
        #expect(policies.policy(for: "/topic/audit.orders") == .disconnect)
        #expect(policies.policy(for: "/topic/orders.42") == .dropOldest)
        #expect(policies.policy(for: "/queue/work") == .dropOldest)
        let strict = SlowConsumerPolicies(default: .disconnect)
        #expect(strict.policy(for: "/topic/anything") == .disconnect)
    }

    @Test func policiesHaveStableNames() {
        #expect(SlowConsumerPolicy(rawValue: "drop-oldest") == .dropOldest)
        #expect(SlowConsumerPolicy(rawValue: "disconnect") == .disconnect)
        #expect(SlowConsumerPolicy(rawValue: "block") == nil)
    }
}
