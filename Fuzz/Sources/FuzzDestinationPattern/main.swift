// DestinationPattern: parse a pattern and match a destination, both from the fuzz bytes
// (split at the first NUL), against a reference matcher written here from the
// documentation, on bytes (no Unicode grapheme or canonical-equivalence rules: the
// broker compares bytes). Invariants: no crash; the matcher agrees with the reference;
// a pattern without wildcards matches exactly its own text.
import FuzzSupport
import GatewayCore

enum ReferenceSegment: Equatable {
    case literal([UInt8])
    case any
    case rest
}

/// Splits at `/` and `.`, keeping the separators.
func referenceSplit(_ bytes: [UInt8]) -> (parts: [[UInt8]], separators: [UInt8]) {
    var parts: [[UInt8]] = []
    var separators: [UInt8] = []
    var current: [UInt8] = []
    for byte in bytes {
        if byte == UInt8(ascii: "/") || byte == UInt8(ascii: ".") {
            parts.append(current)
            separators.append(byte)
            current = []
        } else {
            current.append(byte)
        }
    }
    parts.append(current)
    return (parts, separators)
}

/// The documented rules: `*` is one non-empty segment, a final `**` one or more
/// non-empty segments, literals and separators equal byte for byte.
func referenceMatches(pattern: [UInt8], destination: [UInt8]) -> Bool {
    let (patternParts, patternSeparators) = referenceSplit(pattern)
    let (parts, separators) = referenceSplit(destination)
    let segments: [ReferenceSegment] = patternParts.enumerated().map { index, part in
        if part == Array("**".utf8) && index == patternParts.count - 1 { return .rest }
        if part == Array("*".utf8) { return .any }
        return .literal(part)
    }
    if case .rest = segments.last {
        guard parts.count >= segments.count else { return false }
        for index in 0..<(segments.count - 1) {
            switch segments[index] {
            case .literal(let literal): if parts[index] != literal { return false }
            case .any: if parts[index].isEmpty { return false }
            case .rest: return false
            }
            if separators[index] != patternSeparators[index] { return false }
        }
        return parts[(segments.count - 1)...].allSatisfy { !$0.isEmpty }
    }
    guard parts.count == segments.count, separators == patternSeparators else { return false }
    for (segment, part) in zip(segments, parts) {
        switch segment {
        case .literal(let literal): if part != literal { return false }
        case .any: if part.isEmpty { return false }
        case .rest: return false
        }
    }
    return true
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    var input = FuzzInput(data, size)
    let patternText = String(decoding: input.take(until: 0), as: UTF8.self)
    let destination = String(decoding: input.rest(), as: UTF8.self)
    let pattern: DestinationPattern
    do {
        pattern = try DestinationPattern(patternText)
    } catch {
        fuzzCheck(!error.description.isEmpty, "an empty pattern error")
        return 0
    }
    fuzzCheck(pattern.text == patternText, "the pattern's text changed")
    let matched = pattern.matches(destination)
    let expected = referenceMatches(pattern: Array(patternText.utf8), destination: Array(destination.utf8))
    fuzzCheck(
        matched == expected,
        "pattern \(patternText.debugDescription) on \(destination.debugDescription): matches \(matched), reference \(expected)"
    )
    if pattern.isExact {
        fuzzCheck(pattern.matches(patternText), "an exact pattern does not match its own text")
    }
    return 0
}

runFuzzer(fuzz)
