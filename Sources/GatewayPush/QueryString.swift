/// `application/x-www-form-urlencoded` query parameters, in order, percent-decoded
/// (invalid escapes and invalid UTF-8 make the whole query invalid: `nil`).
///
/// The query is split at the bytes `&` and `=`, as browsers write it, never at Swift
/// `Character`s: a combining mark after `&` or `=` (one grapheme with it) must not hide
/// the separator (found by fuzzing: `a=1&\u{301}b=2` read as one parameter).
enum QueryString {
    static func parse(_ query: Substring) -> [(name: String, value: String)]? {
        var result: [(String, String)] = []
        for pair in query.utf8.split(separator: UInt8(ascii: "&"), omittingEmptySubsequences: true) {
            let equals = pair.firstIndex(of: UInt8(ascii: "="))
            guard let name = decode(pair[..<(equals ?? pair.endIndex)]) else { return nil }
            let value = equals.map { decode(pair[pair.index(after: $0)...]) } ?? ""
            guard let value else { return nil }
            result.append((name, value))
        }
        return result
    }

    static func decode(_ text: Substring.UTF8View.SubSequence) -> String? {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.count)
        var iterator = text.makeIterator()
        while let byte = iterator.next() {
            switch byte {
            case UInt8(ascii: "+"): bytes.append(UInt8(ascii: " "))
            case UInt8(ascii: "%"):
                guard let high = iterator.next().flatMap(hexValue), let low = iterator.next().flatMap(hexValue) else { return nil }
                bytes.append(high << 4 | low)
            default: bytes.append(byte)
            }
        }
        return String(validating: bytes, as: UTF8.self)
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
