/// What a token (or the anonymous public) may do: the destination patterns it may
/// subscribe to and publish to.
///
/// ```swift
/// let grants = try DestinationGrants(subscribe: ["/topic/orders.42"], publish: [])
/// grants.check(.subscribe, "/topic/orders.42")  // nil: allowed
/// grants.check(.subscribe, "/topic/orders.43")  // a denial that says why
/// ```
///
/// Threat: a customer must never see another's order. Grants are allow-lists only (no
/// deny rules to get wrong), matched exactly by ``DestinationPattern`` with no
/// normalisation, and an empty list allows nothing.
public struct DestinationGrants: Sendable, Hashable {
    /// What is being done to a destination.
    public enum Operation: String, Sendable, Hashable {
        case subscribe
        case publish
    }

    /// Why an operation was refused, in words for the client's ERROR frame or event.
    public struct Denial: Sendable, Hashable, CustomStringConvertible {
        /// The operation refused.
        public let operation: Operation
        /// The destination asked for.
        public let destination: String

        public var description: String {
            "not allowed to \(operation.rawValue) to \(destination): no grant matches it"
        }
    }

    /// Patterns that may be subscribed to.
    public let subscribe: [DestinationPattern]
    /// Patterns that may be published to.
    public let publish: [DestinationPattern]

    /// Nothing allowed.
    public static let none = DestinationGrants(subscribePatterns: [], publishPatterns: [])

    /// Parses grants.
    ///
    /// - Throws: ``DestinationPatternError`` for the first invalid pattern.
    public init(subscribe: [String], publish: [String]) throws(DestinationPatternError) {
        var subscribePatterns: [DestinationPattern] = []
        for text in subscribe { subscribePatterns.append(try DestinationPattern(text)) }
        var publishPatterns: [DestinationPattern] = []
        for text in publish { publishPatterns.append(try DestinationPattern(text)) }
        self.init(subscribePatterns: subscribePatterns, publishPatterns: publishPatterns)
    }

    /// Creates grants from parsed patterns.
    public init(subscribePatterns: [DestinationPattern], publishPatterns: [DestinationPattern]) {
        self.subscribe = subscribePatterns
        self.publish = publishPatterns
    }

    /// `nil` when `operation` on `destination` is allowed, else the denial.
    public func check(_ operation: Operation, _ destination: String) -> Denial? {
        let patterns = operation == .subscribe ? subscribe : publish
        return patterns.contains { $0.matches(destination) } ? nil : Denial(operation: operation, destination: destination)
    }

    /// These grants together with `other` (e.g. a token's and the public ones).
    public func union(_ other: DestinationGrants) -> DestinationGrants {
        DestinationGrants(subscribePatterns: subscribe + other.subscribe, publishPatterns: publish + other.publish)
    }
}
