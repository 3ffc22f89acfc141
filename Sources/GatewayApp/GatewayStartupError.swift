/// The gateway could not start; the description says why and what to do.
public struct GatewayStartupError: Error, Sendable, CustomStringConvertible {
    /// What went wrong.
    public let description: String

    /// Creates an error.
    public init(_ description: String) {
        self.description = description
    }
}
