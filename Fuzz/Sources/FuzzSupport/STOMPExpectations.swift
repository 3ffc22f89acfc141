import STOMPCore

/// What a frame must look like after `STOMPEncoder` wrote it for `version` and
/// `STOMPParser` read it back: `content-length` headers replaced by the true length of a
/// non-empty body; where the frame has no escaping (STOMP 1.0, CONNECT, STOMP,
/// CONNECTED) CR and LF become spaces, and so does a colon in a name; in STOMP 1.1 (no
/// `\r` escape) CR becomes a space.
public func expectedAfterRoundTrip(_ frame: STOMPFrame, version: STOMPVersion) -> STOMPFrame {
    let escapes = frame.command.usesHeaderEscaping && version >= .v1_1
    func clean(_ text: String) -> String {
        var bytes: [UInt8] = []
        for byte in text.utf8 {
            switch byte {
            case 0x0A: bytes.append(escapes ? byte : 0x20)
            case 0x0D: bytes.append(escapes && version >= .v1_2 ? byte : 0x20)
            default: bytes.append(byte)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
    var headers = STOMPHeaders()
    for header in frame.headers where header.name != STOMPHeaderName.contentLength {
        var name = clean(header.name)
        if !escapes {
            // Unescaped, a colon in a name would split the line early: written as a space.
            name = String(decoding: name.utf8.map { $0 == UInt8(ascii: ":") ? 0x20 : $0 }, as: UTF8.self)
        }
        headers.add(name: name, value: clean(header.value))
    }
    if frame.body.readableBytes > 0 {
        headers.add(name: STOMPHeaderName.contentLength, value: String(frame.body.readableBytes))
    }
    return STOMPFrame(frame.command, headers: headers, body: frame.body)
}
