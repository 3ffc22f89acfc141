/// Which browser origins may use the transports and the HTTP API.
///
/// Threat: a page on another site opening a user's feed with the user's cookie. With
/// no list configured, only pages from the same host name as the request's Host (any
/// port) and clients that send no Origin (curl, servers) are let in; `*` lets in
/// every origin.
struct OriginPolicy: Sendable {
    let allowed: [String]

    enum Decision: Equatable {
        /// No Origin header: not a browser's cross-site request; no CORS headers.
        case noOrigin
        /// Allowed; echo it in `Access-Control-Allow-Origin`.
        case allowed(String)
        /// Refused.
        case denied(String)
    }

    func check(origin: String?, host: String?) -> Decision {
        guard let origin, !origin.isEmpty else { return .noOrigin }
        if allowed.contains("*") { return .allowed(origin) }
        if allowed.contains(where: { $0.lowercased() == origin.lowercased() }) { return .allowed(origin) }
        // No list: the page must come from the same host name (any port: a shop on
        // :443 and the gateway on :8080 of one host are one site).
        if allowed.isEmpty, let host, let authority = Self.authority(of: origin),
            Self.hostName(of: authority) == Self.hostName(of: host)
        {
            return .allowed(origin)
        }
        return .denied(origin)
    }

    /// `host` of `host:port` or `[v6]:port`, lowercased.
    static func hostName(of authority: String) -> String {
        let text = authority.lowercased()
        if text.hasPrefix("["), let end = text.firstIndex(of: "]") { return String(text[...end]) }
        if let colon = text.lastIndex(of: ":") { return String(text[..<colon]) }
        return text
    }

    /// `host:port` of `scheme://host:port`.
    static func authority(of origin: String) -> String? {
        let utf8 = Array(origin.utf8)
        guard utf8.count > 3 else { return nil }
        for index in 0..<(utf8.count - 2)
        where utf8[index] == UInt8(ascii: ":") && utf8[index + 1] == UInt8(ascii: "/") && utf8[index + 2] == UInt8(ascii: "/") {
            return String(decoding: utf8[(index + 3)...], as: UTF8.self)
        }
        return nil
    }
}
