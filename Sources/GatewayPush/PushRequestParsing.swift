import GatewayCore

/// The parsers that read what a browser puts in a request, callable from outside the
/// module: by the fuzz targets in `Fuzz/`, and by tools that want to check a URL the
/// way the gateway reads it.
///
/// ```swift
/// let parameters = PushRequestParsing.queryParameters("destination=%2Ftopic%2Fa&since=k3f9a-17")
/// let start = PushRequestParsing.startPoint(since: "k3f9a-17")  // "after k3f9a-17"
/// ```
///
/// Threat: every input here comes from a browser; the functions only parse, never
/// throw, and return `nil` for anything they refuse.
public enum PushRequestParsing {
    /// The query string of `/events` or `/stomp`, as `application/x-www-form-urlencoded`
    /// parameters in order, percent-decoded; `nil` when an escape or the UTF-8 is invalid.
    public static func queryParameters(_ query: Substring) -> [(name: String, value: String)]? {
        QueryString.parse(query)
    }

    /// Where a subscriber starts for a `since` parameter, a `Last-Event-ID` part or a
    /// STOMP `since` header: `latest` (also for `nil`), `all`, `live`, or `after
    /// EPOCH-SEQUENCE`; `nil` when the text is refused.
    public static func startPoint(since: String?) -> String? {
        switch PushHub.StartPoint(since: since) {
        case nil: nil
        case .latest: "latest"
        case .all: "all"
        case .live: "live"
        case .after(let position): "after \(position)"
        }
    }
}
