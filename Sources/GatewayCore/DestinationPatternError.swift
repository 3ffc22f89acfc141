/// A destination pattern that cannot be used, and why.
public struct DestinationPatternError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The pattern as given.
    public let pattern: String
    /// What is wrong with it.
    public let reason: String

    public var description: String {
        "invalid destination pattern '\(pattern)': \(reason)"
    }
}
