/// The token settings cannot be used: a secret too short, a key that does not parse,
/// an unknown algorithm. Raised at start, naming what is wrong.
public struct JWTSetupError: Error, Sendable, CustomStringConvertible {
    /// What is wrong.
    public let description: String

    init(_ description: String) {
        self.description = description
    }
}
