/// Which messages a route takes, by their headers: every listed header must be
/// present with one of its listed values (`[:]` takes everything).
///
/// ```yaml
/// selector:
///   type: [payment.captured, order.shipped]
///   region: eu
/// ```
public struct WebhookSelector: Sendable, Equatable {
    /// Header name → accepted values.
    public var conditions: [String: [String]]

    /// A selector with `conditions`.
    public init(_ conditions: [String: [String]] = [:]) { self.conditions = conditions }

    /// Whether a message with `headers` is taken.
    public func matches(_ headers: [(name: String, value: String)]) -> Bool {
        for (name, accepted) in conditions {
            guard let value = headers.first(where: { $0.name == name })?.value, accepted.contains(value) else { return false }
        }
        return true
    }
}
