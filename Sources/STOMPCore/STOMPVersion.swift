/// A version of the STOMP protocol.
///
/// The versions differ in header escaping (none in 1.0; `\n`, `\c`, `\\` in 1.1; and
/// `\r` in 1.2), in line endings (CRLF is allowed from 1.2) and in acknowledgement
/// headers (`message-id` before 1.2, `id` from 1.2).
public enum STOMPVersion: String, Sendable, Hashable, Comparable, CaseIterable, CustomStringConvertible {
    case v1_0 = "1.0"
    case v1_1 = "1.1"
    case v1_2 = "1.2"

    public var description: String { rawValue }

    public static func < (lhs: STOMPVersion, rhs: STOMPVersion) -> Bool {
        lhs.order < rhs.order
    }

    private var order: Int {
        switch self {
        case .v1_0: 0
        case .v1_1: 1
        case .v1_2: 2
        }
    }

    /// The WebSocket subprotocol name that carries this version (`v12.stomp`).
    public var webSocketSubprotocol: String {
        switch self {
        case .v1_0: "v10.stomp"
        case .v1_1: "v11.stomp"
        case .v1_2: "v12.stomp"
        }
    }

    /// The value of an `accept-version` header listing `versions`.
    public static func acceptVersionHeader(_ versions: [STOMPVersion] = STOMPVersion.allCases) -> String {
        versions.map(\.rawValue).joined(separator: ",")
    }

    /// The version a server picks: the highest version in an `accept-version` header
    /// that it supports. A missing header means 1.0, as the specification says.
    ///
    /// - Returns: `nil` if no offered version is supported.
    public static func negotiate(
        acceptVersion: String?,
        supported: [STOMPVersion] = STOMPVersion.allCases
    ) -> STOMPVersion? {
        guard let acceptVersion else {
            return supported.contains(.v1_0) ? .v1_0 : nil
        }
        var best: STOMPVersion?
        for part in acceptVersion.split(separator: ",") {
            let trimmed = part.trimmingSpaces()
            guard let version = STOMPVersion(rawValue: String(trimmed)), supported.contains(version) else { continue }
            if best == nil || version > best! { best = version }
        }
        return best
    }
}

extension Substring {
    func trimmingSpaces() -> Substring {
        var result = self
        while let first = result.first, first == " " || first == "\t" { result = result.dropFirst() }
        while let last = result.last, last == " " || last == "\t" { result = result.dropLast() }
        return result
    }
}
