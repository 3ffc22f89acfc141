/// A pattern over destination names, as used in grants, public destinations and
/// slow-consumer policies.
///
/// Syntax: a destination name whose segments (separated by `/` or `.`) may be
///
/// - a literal: matches itself (`/topic/orders.42`);
/// - `*`: matches exactly one segment of one or more characters (`/topic/orders.*`
///   matches `/topic/orders.42` but not `/topic/orders` nor `/topic/orders.42.items`);
/// - `**`, only as the last segment: matches one or more further segments
///   (`/topic/**` matches `/topic/a` and `/topic/a/b.c`, not `/topic/`).
///
/// A `*` inside a segment (`/topic/ord*`) is refused with ``DestinationPatternError``:
/// partial wildcards make grants hard to read and easy to get wrong.
///
/// Threat: a grant is an authorisation boundary, so matching is exact — separators must
/// line up, a wildcard never crosses a separator (except a final `**`), and no
/// normalisation (case, percent-decoding, `..`, Unicode) is applied to either side.
/// Names are compared and split as UTF-8 bytes, as the broker compares them, never as
/// Swift `Character`s: `String ==` would treat `café` and `cafe\u{301}` (two broker
/// destinations) as equal, and a combining mark after `/` would hide the separator
/// (both found by fuzzing against a byte-level reference matcher).
public struct DestinationPattern: Sendable, Hashable, CustomStringConvertible {
    enum Segment: Sendable, Hashable {
        case literal(String)
        case any
        case rest
    }

    /// The pattern as written.
    public let text: String
    let segments: [Segment]
    /// The separator bytes (`/` or `.`) between the segments.
    let separators: [UInt8]

    /// Parses a pattern.
    ///
    /// - Throws: ``DestinationPatternError`` naming what is wrong.
    public init(_ text: String) throws(DestinationPatternError) {
        guard !text.isEmpty else { throw DestinationPatternError(pattern: text, reason: "the pattern is empty") }
        guard text.utf8.count <= 1024 else { throw DestinationPatternError(pattern: String(text.prefix(64)), reason: "longer than 1024 bytes") }
        if let bad = text.unicodeScalars.first(where: { $0.value < 0x20 || $0.value == 0x7F }) {
            throw DestinationPatternError(pattern: text, reason: "control character U+\(String(bad.value, radix: 16)) is not allowed")
        }
        let (parts, separators) = Self.split(text)
        var segments: [Segment] = []
        for (index, part) in parts.enumerated() {
            if part.utf8.elementsEqual("**".utf8) {
                guard index == parts.count - 1 else {
                    throw DestinationPatternError(pattern: text, reason: "'**' may only be the last segment")
                }
                segments.append(.rest)
            } else if part.utf8.elementsEqual("*".utf8) {
                segments.append(.any)
            } else {
                if part.utf8.contains(UInt8(ascii: "*")) {
                    throw DestinationPatternError(pattern: text, reason: "'*' must be a whole segment, as in /topic/orders.*")
                }
                segments.append(.literal(String(part)))
            }
        }
        self.text = text
        self.segments = segments
        self.separators = separators
    }

    /// Whether the pattern has no wildcard.
    public var isExact: Bool { segments.allSatisfy { if case .literal = $0 { true } else { false } } }

    /// Whether `destination` matches.
    public func matches(_ destination: String) -> Bool {
        if isExact { return destination.utf8.elementsEqual(text.utf8) }
        let (parts, destinationSeparators) = Self.split(destination)
        var index = 0
        for (position, segment) in segments.enumerated() {
            switch segment {
            case .rest:
                // One or more further segments, and the separator before them must agree.
                guard parts.count > index, !parts[index...].contains(where: \.isEmpty) else { return false }
                return position == 0 || destinationSeparators[position - 1] == separators[position - 1]
            case .any:
                guard index < parts.count, !parts[index].isEmpty else { return false }
            case .literal(let literal):
                guard index < parts.count, parts[index].utf8.elementsEqual(literal.utf8) else { return false }
            }
            if position > 0 {
                guard destinationSeparators.count >= position, destinationSeparators[position - 1] == separators[position - 1] else {
                    return false
                }
            }
            index += 1
        }
        return index == parts.count
    }

    public var description: String { text }

    /// Splits at the bytes `/` and `.`, keeping which separator came where.
    static func split(_ text: String) -> (parts: [Substring], separators: [UInt8]) {
        var parts: [Substring] = []
        var separators: [UInt8] = []
        let utf8 = text.utf8
        var start = utf8.startIndex
        var index = start
        while index != utf8.endIndex {
            let byte = utf8[index]
            if byte == UInt8(ascii: "/") || byte == UInt8(ascii: ".") {
                // An ASCII byte is always a scalar boundary, so the slices are valid.
                parts.append(Substring(utf8[start..<index]))
                separators.append(byte)
                start = utf8.index(after: index)
            }
            index = utf8.index(after: index)
        }
        parts.append(Substring(utf8[start..<utf8.endIndex]))
        return (parts, separators)
    }
}
