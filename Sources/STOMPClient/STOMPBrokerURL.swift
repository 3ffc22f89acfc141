/// Where a STOMP broker listens: `stomp://[login:passcode@]host[:port][?host=VHOST]`.
///
/// Schemes: `stomp` and `tcp` (plain TCP), `stomp+ssl`, `stomp+tls`, `ssl` and `tls`
/// (TLS). The default port is 61613 (61614 with TLS). The query parameter `host` (or
/// `vhost`) sets the CONNECT frame's `host` header, which RabbitMQ reads as its
/// virtual host; the default is `/`, RabbitMQ's default virtual host, which ActiveMQ
/// and Artemis ignore.
///
/// ```swift
/// let url = try STOMPBrokerURL("stomp://guest:guest@127.0.0.1:61613?host=/")
/// ```
public struct STOMPBrokerURL: Sendable, Hashable, CustomStringConvertible {
    /// The broker's host name or address.
    public var host: String
    /// The TCP port.
    public var port: Int
    /// Whether to speak TLS.
    public var useTLS: Bool
    /// The login, if the URL names one.
    public var login: String?
    /// The passcode, if the URL names one.
    public var passcode: String?
    /// The `host` header (virtual host) to send, if the URL names one.
    public var virtualHost: String?

    /// Creates a URL from parts.
    public init(host: String, port: Int = 61613, useTLS: Bool = false, login: String? = nil, passcode: String? = nil, virtualHost: String? = nil) {
        self.host = host
        self.port = port
        self.useTLS = useTLS
        self.login = login
        self.passcode = passcode
        self.virtualHost = virtualHost
    }

    /// Parses a broker URL.
    ///
    /// - Throws: ``STOMPClientError`` naming what is wrong with the URL.
    public init(_ string: String) throws {
        let parts = string.split(separator: "://", maxSplits: 1, omittingEmptySubsequences: false)
        guard parts.count == 2 else {
            throw STOMPClientError.invalidURL(string, reason: "expected scheme://host:port, as in stomp://127.0.0.1:61613")
        }
        let scheme = parts[0].lowercased()
        switch scheme {
        case "stomp", "tcp": useTLS = false
        case "stomp+ssl", "stomp+tls", "ssl", "tls", "stomps": useTLS = true
        default:
            throw STOMPClientError.invalidURL(string, reason: "unknown scheme '\(scheme)': use stomp:// or stomp+ssl://")
        }
        var rest = parts[1]
        var query: Substring = ""
        if let questionMark = rest.firstIndex(of: "?") {
            query = rest[rest.index(after: questionMark)...]
            rest = rest[..<questionMark]
        }
        if rest.hasSuffix("/") { rest = rest.dropLast() }
        if let at = rest.lastIndex(of: "@") {
            let userInfo = rest[..<at]
            rest = rest[rest.index(after: at)...]
            if let colon = userInfo.firstIndex(of: ":") {
                login = Self.percentDecoded(userInfo[..<colon])
                passcode = Self.percentDecoded(userInfo[userInfo.index(after: colon)...])
            } else {
                login = Self.percentDecoded(userInfo)
            }
        }
        var hostPart = rest
        var portValue = useTLS ? 61614 : 61613
        if hostPart.hasPrefix("[") {
            // [IPv6]:port
            guard let close = hostPart.firstIndex(of: "]") else {
                throw STOMPClientError.invalidURL(string, reason: "unterminated IPv6 address")
            }
            let after = hostPart[hostPart.index(after: close)...]
            hostPart = hostPart[hostPart.index(after: hostPart.startIndex)..<close]
            if after.hasPrefix(":") {
                guard let parsed = Int(after.dropFirst()), (1...65535).contains(parsed) else {
                    throw STOMPClientError.invalidURL(string, reason: "invalid port '\(after.dropFirst())'")
                }
                portValue = parsed
            }
        } else if let colon = hostPart.lastIndex(of: ":") {
            let portText = hostPart[hostPart.index(after: colon)...]
            guard let parsed = Int(portText), (1...65535).contains(parsed) else {
                throw STOMPClientError.invalidURL(string, reason: "invalid port '\(portText)': expected 1–65535")
            }
            portValue = parsed
            hostPart = hostPart[..<colon]
        }
        guard !hostPart.isEmpty else { throw STOMPClientError.invalidURL(string, reason: "missing host") }
        host = String(hostPart)
        port = portValue
        for item in query.split(separator: "&") {
            let pair = item.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let key = pair[0]
            let value = pair.count > 1 ? Self.percentDecoded(pair[1]) : ""
            if key == "host" || key == "vhost" { virtualHost = value }
        }
    }

    /// Parses a comma-separated failover list, as in `stomp://a:61613,stomp://b:61613`.
    public static func list(_ string: String) throws -> [STOMPBrokerURL] {
        try string.split(separator: ",").map { try STOMPBrokerURL(String($0.trimmingCharacters(in: " "))) }
    }

    public var description: String {
        let scheme = useTLS ? "stomp+ssl" : "stomp"
        let user = login.map { "\($0)@" } ?? ""
        let hostText = host.contains(":") ? "[\(host)]" : host
        return "\(scheme)://\(user)\(hostText):\(port)"
    }

    private static func percentDecoded(_ text: Substring) -> String {
        var bytes: [UInt8] = []
        var iterator = text.utf8.makeIterator()
        while let byte = iterator.next() {
            if byte == UInt8(ascii: "%"), let high = iterator.next(), let low = iterator.next(),
                let value = UInt8(String(decoding: [high, low], as: UTF8.self), radix: 16)
            {
                bytes.append(value)
            } else {
                bytes.append(byte)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}

extension Substring {
    fileprivate func trimmingCharacters(in set: Character) -> Substring {
        var result = self
        while result.first == set { result = result.dropFirst() }
        while result.last == set { result = result.dropLast() }
        return result
    }
}
