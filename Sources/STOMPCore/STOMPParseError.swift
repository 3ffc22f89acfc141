/// Why bytes could not be parsed as a STOMP frame.
///
/// Every case says what was wrong in words a peer can act on; a server sends
/// ``description`` as the `message` header of its ERROR frame.
public enum STOMPParseError: Error, Sendable, Hashable, CustomStringConvertible {
    /// A command or header line longer than ``STOMPParserLimits/maxHeaderLineLength``.
    case headerLineTooLong(limit: Int)
    /// More header entries than ``STOMPParserLimits/maxHeaderCount``.
    case tooManyHeaders(limit: Int)
    /// A body larger than ``STOMPParserLimits/maxBodySize``.
    case bodyTooLarge(limit: Int)
    /// A frame larger than ``STOMPParserLimits/maxFrameSize``.
    case frameTooLarge(limit: Int)
    /// The command line is not a STOMP command; carries the first bytes, sanitised.
    case unknownCommand(String)
    /// A header line without a colon.
    case malformedHeader(String)
    /// A backslash followed by a character the version does not define.
    case invalidEscape(String)
    /// A `content-length` that is not a non-negative decimal number.
    case invalidContentLength(String)
    /// The byte after a `content-length` body is not NUL.
    case missingNULTerminator

    public var description: String {
        switch self {
        case .headerLineTooLong(let limit):
            "header line too long: a command or header line exceeds the limit of \(limit) bytes (maxHeaderLineLength)"
        case .tooManyHeaders(let limit):
            "too many headers: the frame has more than \(limit) headers (maxHeaderCount)"
        case .bodyTooLarge(let limit):
            "body too large: the body exceeds the limit of \(limit) bytes (maxBodySize)"
        case .frameTooLarge(let limit):
            "frame too large: the frame exceeds the limit of \(limit) bytes (maxFrameSize)"
        case .unknownCommand(let command):
            "unknown command '\(command)': expected a STOMP command such as CONNECT, SEND or SUBSCRIBE"
        case .malformedHeader(let line):
            "malformed header '\(line)': a header line must be name:value"
        case .invalidEscape(let sequence):
            "invalid escape sequence '\(sequence)' in a header: only \\n, \\c, \\\\ (and \\r in STOMP 1.2) are defined"
        case .invalidContentLength(let value):
            "invalid content-length '\(value)': it must be a non-negative decimal number of bytes"
        case .missingNULTerminator:
            "frame not terminated: the byte after content-length bytes of body must be NUL"
        }
    }

    /// A printable excerpt of untrusted bytes for an error message: at most 32
    /// characters, control characters replaced, so that it cannot inject lines into
    /// a log or a header.
    static func excerpt(_ bytes: UnsafeRawBufferPointer) -> String {
        var result = ""
        for byte in bytes.prefix(32) {
            if byte >= 0x20 && byte < 0x7F && byte != UInt8(ascii: "\\") {
                result.unicodeScalars.append(Unicode.Scalar(byte))
            } else {
                result += "?"
            }
        }
        if bytes.count > 32 { result += "…" }
        return result
    }
}
