// What a browser sends to resume a feed: the `/events` query string and `Last-Event-ID`
// (one position, or one per destination separated by commas), and the positions
// themselves. Invariants: no crash; a parsed query, percent-encoded again, parses to the
// same parameters; a position is accepted exactly when it has the documented form
// `[A-Za-z0-9_]{1,32}-[0-9]{1,19}` (and fits in 64 bits), and prints back canonically.
import FuzzSupport
import GatewayCore
import GatewayPush

func percentEncode(_ text: String) -> String {
    var result = ""
    for byte in text.utf8 {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
            UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: "~"), UInt8(ascii: "/"):
            result.unicodeScalars.append(Unicode.Scalar(byte))
        default:
            let hex = Array("0123456789ABCDEF".utf8)
            result += "%" + String(decoding: [hex[Int(byte >> 4)], hex[Int(byte & 15)]], as: UTF8.self)
        }
    }
    return result
}

/// `application/x-www-form-urlencoded` as browsers write it (WHATWG URL): split at the
/// bytes `&` and `=`, `+` is a space, `%XX` a byte; `nil` for a bad escape or bad UTF-8.
func referenceQuery(_ query: String) -> [(name: String, value: String)]? {
    func decode(_ bytes: ArraySlice<UInt8>) -> String? {
        var output: [UInt8] = []
        var index = bytes.startIndex
        while index < bytes.endIndex {
            let byte = bytes[index]
            if byte == UInt8(ascii: "+") {
                output.append(0x20)
            } else if byte == UInt8(ascii: "%") {
                guard index + 2 < bytes.endIndex,
                    let high = hexValue(bytes[index + 1]), let low = hexValue(bytes[index + 2])
                else { return nil }
                output.append(high << 4 | low)
                index += 2
            } else {
                output.append(byte)
            }
            index += 1
        }
        return String(validating: output, as: UTF8.self)
    }
    var result: [(name: String, value: String)] = []
    for pair in Array(query.utf8).split(separator: UInt8(ascii: "&"), omittingEmptySubsequences: true) {
        let equals = pair.firstIndex(of: UInt8(ascii: "="))
        guard let name = decode(pair[..<(equals ?? pair.endIndex)]) else { return nil }
        guard let value = equals.map({ decode(pair[($0 + 1)...]) }) ?? "" else { return nil }
        result.append((name, value))
    }
    return result
}

func hexValue(_ byte: UInt8) -> UInt8? {
    switch byte {
    case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
    case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
    case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
    default: nil
    }
}

/// The documented position form, checked on bytes.
func referencePosition(_ text: String) -> (epoch: String, sequence: UInt64)? {
    let bytes = Array(text.utf8)
    guard let dash = bytes.lastIndex(of: UInt8(ascii: "-")) else { return nil }
    let epoch = bytes[..<dash]
    let digits = bytes[(dash + 1)...]
    let epochOK =
        (1...32).contains(epoch.count)
        && epoch.allSatisfy { byte in
            (0x30...0x39).contains(byte) || (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte) || byte == 0x5F
        }
    guard epochOK, (1...19).contains(digits.count), digits.allSatisfy({ (0x30...0x39).contains($0) }) else { return nil }
    var sequence: UInt64 = 0
    for digit in digits {
        let (times, overflow1) = sequence.multipliedReportingOverflow(by: 10)
        let (sum, overflow2) = times.addingReportingOverflow(UInt64(digit - 0x30))
        guard !overflow1, !overflow2 else { return nil }
        sequence = sum
    }
    return (String(decoding: epoch, as: UTF8.self), sequence)
}

func checkSince(_ text: String) {
    let start = PushRequestParsing.startPoint(since: text)
    let reference = referencePosition(text)
    switch text {
    case "latest", "all", "live":
        fuzzCheck(start == text, "keyword \(text) read as \(String(describing: start))")
    default:
        if let reference {
            fuzzCheck(start == "after \(reference.epoch)-\(reference.sequence)", "\(text.debugDescription) read as \(String(describing: start))")
        } else {
            fuzzCheck(start == nil, "\(text.debugDescription) accepted as \(String(describing: start))")
        }
    }
    let position = FeedPosition(text)
    fuzzCheck((position != nil) == (reference != nil), "FeedPosition(\(text.debugDescription)) disagrees with the documented form")
    if let position {
        fuzzCheck(FeedPosition(position.description) == position, "\(position) does not parse back")
        fuzzCheck(!position.description.utf8.contains(where: { $0 < 0x20 || $0 == 0x7F || $0 == UInt8(ascii: ",") }), "unsafe id")
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    var input = FuzzInput(data, size)
    let query = String(decoding: input.take(until: 0), as: UTF8.self)
    let lastEventID = String(decoding: input.rest(), as: UTF8.self)

    let parsed = PushRequestParsing.queryParameters(Substring(query))
    let reference = referenceQuery(query)
    fuzzCheck(
        parsed?.map(\.name) == reference?.map(\.name) && parsed?.map(\.value) == reference?.map(\.value),
        "query \(query.debugDescription) parsed as \(String(describing: parsed)), browsers mean \(String(describing: reference))"
    )
    if let parameters = parsed {
        let again = parameters.map { percentEncode($0.name) + "=" + percentEncode($0.value) }.joined(separator: "&")
        let reparsed = PushRequestParsing.queryParameters(Substring(again))
        fuzzCheck(reparsed != nil, "re-encoded query \(again.debugDescription) refused")
        if let reparsed {
            fuzzCheck(
                reparsed.map(\.name) == parameters.map(\.name) && reparsed.map(\.value) == parameters.map(\.value),
                "query \(query.debugDescription) does not survive re-encoding"
            )
        }
        for parameter in parameters where parameter.name == "since" {
            checkSince(parameter.value)
        }
    } else {
        // Refused: there must be a bad escape or invalid UTF-8 after decoding.
        let plain = !query.utf8.contains(UInt8(ascii: "%"))
        fuzzCheck(!plain, "a query without escapes was refused: \(query.debugDescription)")
    }
    // Last-Event-ID as one position, and as one per destination.
    checkSince(lastEventID)
    for part in lastEventID.split(separator: ",", omittingEmptySubsequences: false) {
        checkSince(String(part))
    }
    return 0
}

runFuzzer(fuzz)
