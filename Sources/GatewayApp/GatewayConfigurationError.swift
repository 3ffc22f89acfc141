/// Everything wrong with a configuration, found at once by
/// ``GatewayConfiguration/load(filePath:environment:)``: one ``Issue`` per wrong value,
/// unknown key, or unreadable file.
///
/// Its description lists the issues one per line, each naming the key and what is
/// expected, and where the value came from:
///
/// ```text
/// http.port: 'abc' is not a port number (expected 0–65535) [environment variable STOMP_GATEWAY_HTTP_PORT]
/// htpp: unknown key; did you mean 'http'? [file /etc/stomp-gateway.yaml]
/// ```
public struct GatewayConfigurationError: Error, Sendable, CustomStringConvertible {
    /// One thing wrong with the configuration.
    public struct Issue: Sendable, Hashable, CustomStringConvertible {
        /// What is wrong: a dotted key (`http.port`), an unknown key as written in the
        /// file, an environment variable's name, or the file's path.
        public let key: String
        /// What is wrong with it and what is expected instead.
        public let message: String
        /// Where the value came from (`environment variable STOMP_GATEWAY_HTTP_PORT`,
        /// `file /etc/stomp-gateway.yaml`), if that helps to find it.
        public let origin: String?

        init(key: String, message: String, origin: String? = nil) {
            self.key = key
            self.message = message
            self.origin = origin
        }

        /// `key: message [origin]`.
        public var description: String {
            if let origin { return "\(key): \(message) [\(origin)]" }
            return "\(key): \(message)"
        }
    }

    /// The issues, in the order keys are documented; never empty.
    public let issues: [Issue]

    init(issues: [Issue]) {
        self.issues = issues
    }

    init(key: String, message: String, origin: String? = nil) {
        self.issues = [Issue(key: key, message: message, origin: origin)]
    }

    /// The keys (or file paths, or variable names) the issues are about.
    public var keys: [String] { issues.map(\.key) }

    /// The issues, one per line.
    public var description: String {
        issues.map(\.description).joined(separator: "\n")
    }
}
