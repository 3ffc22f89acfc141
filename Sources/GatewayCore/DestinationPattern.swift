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
/// normalisation (case, percent-decoding, `..`) is applied to either side.
public struct DestinationPattern: Sendable, Hashable, CustomStringConvertible {
    enum Segment: Sendable, Hashable {
        case literal(String)
        case any
        case rest
    }

    /// The pattern as written.
    public let text: String
    let segments: [Segment]
    let separators: [Character]

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
            switch part {
            case "**":
                guard index == parts.count - 1 else {
                    throw DestinationPatternError(pattern: text, reason: "'**' may only be the last segment")
                }
                segments.append(.rest)
            case "*":
                segments.append(.any)
            default:
                if part.contains("*") {
                    throw DestinationPatternError(pattern: text, reason: "'*' must be a whole segment, as in /topic/orders.*")
                }
                segments.append(.literal(part))
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
        if isExact { return destination == text }
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
                guard index < parts.count, parts[index] == literal else { return false }
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

    /// Splits at `/` and `.`, keeping which separator came where.
    static func split(_ text: String) -> (parts: [String], separators: [Character]) {
        var parts: [String] = []
        var separators: [Character] = []
        var current = ""
        for character in text {
            if character == "/" || character == "." {
                parts.append(current)
                separators.append(character)
                current = ""
            } else {
                current.append(character)
            }
        }
        parts.append(current)
        return (parts, separators)
    }
}
