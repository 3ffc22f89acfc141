/// Whether the gateway can do its job now, and why not.
///
/// `/readyz` answers 200 when ``isReady`` and 503 otherwise, with every check in a JSON
/// body, so a load balancer stops sending browsers to an instance that lost its broker.
public struct ReadinessReport: Sendable, Hashable {
    /// One named check: `broker`, `upstream-subscriptions`, ….
    public struct Check: Sendable, Hashable {
        /// The check's name.
        public var name: String
        /// Whether it passes.
        public var ok: Bool
        /// What was seen, for people (`connected to stomp://…`, `reconnecting`).
        public var detail: String

        /// Creates a check.
        public init(name: String, ok: Bool, detail: String) {
            self.name = name
            self.ok = ok
            self.detail = detail
        }
    }

    /// The checks, in order.
    public var checks: [Check]

    /// Creates a report.
    public init(checks: [Check]) {
        self.checks = checks
    }

    /// Ready when every check passes.
    public var isReady: Bool { checks.allSatisfy(\.ok) }

    /// The JSON body of `/readyz`.
    public var json: String {
        let items = checks.map { check in
            "\"\(Self.escape(check.name))\":{\"ok\":\(check.ok),\"detail\":\"\(Self.escape(check.detail))\"}"
        }
        return "{\"ready\":\(isReady),\"checks\":{\(items.joined(separator: ","))}}\n"
    }

    /// JSON string escaping (quotes, backslashes and control characters).
    static func escape(_ text: String) -> String {
        var result = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            case "\t": result += "\\t"
            default:
                if scalar.value < 0x20 {
                    let hex = String(scalar.value, radix: 16)
                    result += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    result.unicodeScalars.append(scalar)
                }
            }
        }
        return result
    }
}
