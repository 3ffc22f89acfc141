/// Slow-consumer policies by destination pattern: the first rule whose pattern matches
/// wins; destinations no rule matches get the default (``SlowConsumerPolicy/dropOldest``
/// unless set).
///
/// ```swift
/// let policies = SlowConsumerPolicies(rules: [(try DestinationPattern("/topic/audit.**"), .disconnect)])
/// policies.policy(for: "/topic/audit.orders")  // .disconnect
/// policies.policy(for: "/topic/orders.42")     // .dropOldest
/// ```
public struct SlowConsumerPolicies: Sendable {
    /// The rules, in order.
    public let rules: [(pattern: DestinationPattern, policy: SlowConsumerPolicy)]
    /// The policy where no rule matches.
    public let defaultPolicy: SlowConsumerPolicy

    /// Creates a table.
    public init(rules: [(DestinationPattern, SlowConsumerPolicy)] = [], default defaultPolicy: SlowConsumerPolicy = .dropOldest) {
        self.rules = rules.map { (pattern: $0.0, policy: $0.1) }
        self.defaultPolicy = defaultPolicy
    }

    /// The policy for `destination`.
    public func policy(for destination: String) -> SlowConsumerPolicy {
        rules.first { $0.pattern.matches(destination) }?.policy ?? defaultPolicy
    }
}
