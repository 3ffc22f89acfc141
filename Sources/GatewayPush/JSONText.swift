import NIOCore

/// JSON string literals written straight into a buffer (RFC 8259 §7): quotes,
/// backslashes and control characters escaped, so no value can break out of its field
/// or add a line to an SSE event.
enum JSONText {
    static func writeString(_ string: String, into buffer: inout ByteBuffer) {
        buffer.writeInteger(UInt8(ascii: "\""))
        let hex: [UInt8] = Array("0123456789abcdef".utf8)
        for byte in string.utf8 {
            switch byte {
            case UInt8(ascii: "\""): buffer.writeStaticString("\\\"")
            case UInt8(ascii: "\\"): buffer.writeStaticString("\\\\")
            case 0x0A: buffer.writeStaticString("\\n")
            case 0x0D: buffer.writeStaticString("\\r")
            case 0x09: buffer.writeStaticString("\\t")
            case 0x00..<0x20, 0x7F:
                buffer.writeStaticString("\\u00")
                buffer.writeInteger(hex[Int(byte >> 4)])
                buffer.writeInteger(hex[Int(byte & 0xF)])
            default: buffer.writeInteger(byte)
            }
        }
        buffer.writeInteger(UInt8(ascii: "\""))
    }

    /// `string` as a JSON string literal.
    static func quoted(_ string: String) -> String {
        var buffer = ByteBuffer()
        writeString(string, into: &buffer)
        return String(buffer: buffer)
    }

    /// `{"error": code, "message": message}`.
    static func errorBody(_ code: String, _ message: String) -> String {
        "{\"error\":\(quoted(code)),\"message\":\(quoted(message))}\n"
    }
}
