import NIOCore

/// Header escaping as each STOMP version defines it.
///
/// Threat: a header value that carries a raw LF would end the header line early and
/// let a peer (for example a browser whose SEND is relayed) inject headers such as a
/// second `destination` or a forged `subscription` into a frame that other clients
/// receive. STOMP 1.1 and 1.2 escape LF (and `:`, `\`, and in 1.2 CR); where a frame
/// or version has no escaping (STOMP 1.0, and `CONNECT`/`CONNECTED` in every version)
/// the encoder replaces CR and LF with a space, so that no value can ever span lines,
/// and a colon in a header *name* with a space, so that no name can carry a second
/// `name:value` (found by fuzzing: a name `content-length:x` became a content-length).
enum STOMPHeaderEscaping {
    /// Decodes header bytes, applying the escapes of `version` when `escaped` is true.
    /// STOMP 1.0 defines no escapes, so its bytes are taken as they are.
    static func decode(_ bytes: UnsafeRawBufferPointer, escaped: Bool, version: STOMPVersion) throws -> String {
        guard escaped, version >= .v1_1, bytes.firstOffset(of: ASCII.backslash) != nil else {
            return String(decoding: bytes, as: UTF8.self)
        }
        var output = [UInt8]()
        output.reserveCapacity(bytes.count)
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            guard byte == ASCII.backslash else {
                output.append(byte)
                index += 1
                continue
            }
            guard index + 1 < bytes.count else {
                throw STOMPParseError.invalidEscape("\\")
            }
            let next = bytes[index + 1]
            switch next {
            case UInt8(ascii: "n"): output.append(ASCII.lf)
            case UInt8(ascii: "c"): output.append(ASCII.colon)
            case ASCII.backslash: output.append(ASCII.backslash)
            case UInt8(ascii: "r") where version >= .v1_2: output.append(ASCII.cr)
            default:
                let shown = next >= 0x20 && next < 0x7F ? String(UnicodeScalar(next)) : "?"
                throw STOMPParseError.invalidEscape("\\" + shown)
            }
            index += 2
        }
        return String(decoding: output, as: UTF8.self)
    }

    /// The header names STOMP defines and brokers commonly send, as constant strings:
    /// a name among them costs no decoding and no allocation. Names containing a
    /// backslash never match, so escaping is unaffected.
    @inline(__always)
    static func knownName(_ bytes: UnsafeRawBufferPointer) -> String? {
        @inline(__always) func matches(_ literal: StaticString) -> Bool { bytes.equals(literal) }
        switch bytes.count {
        case 2: if matches("id") { return STOMPHeaderName.id }
        case 3: if matches("ack") { return STOMPHeaderName.ack }
        case 4: if matches("host") { return STOMPHeaderName.host }
        case 5: if matches("login") { return STOMPHeaderName.login }
        case 6: if matches("server") { return STOMPHeaderName.server }
        case 7:
            if matches("receipt") { return STOMPHeaderName.receipt }
            if matches("message") { return STOMPHeaderName.message }
            if matches("version") { return STOMPHeaderName.version }
            if matches("session") { return STOMPHeaderName.session }
        case 8:
            if matches("passcode") { return STOMPHeaderName.passcode }
            if matches("reply-to") { return STOMPHeaderName.replyTo }
        case 10:
            if matches("message-id") { return STOMPHeaderName.messageID }
            if matches("receipt-id") { return STOMPHeaderName.receiptID }
            if matches("heart-beat") { return STOMPHeaderName.heartBeat }
        case 11:
            if matches("destination") { return STOMPHeaderName.destination }
            if matches("transaction") { return STOMPHeaderName.transaction }
            if matches("redelivered") { return STOMPHeaderName.redelivered }
        case 12:
            if matches("subscription") { return STOMPHeaderName.subscription }
            if matches("content-type") { return STOMPHeaderName.contentType }
        case 14:
            if matches("content-length") { return STOMPHeaderName.contentLength }
            if matches("accept-version") { return STOMPHeaderName.acceptVersion }
            if matches("correlation-id") { return STOMPHeaderName.correlationID }
        default: break
        }
        return nil
    }

    /// Writes `string` as a header name (`isName`) or value.
    @inline(__always)
    static func write(_ string: String, escaped: Bool, version: STOMPVersion, isName: Bool, into buffer: inout ByteBuffer) {
        var string = string
        let clean = string.withUTF8 { utf8 in
            for byte in utf8 where byte == ASCII.lf || byte == ASCII.cr || byte == ASCII.colon || byte == ASCII.backslash {
                return false
            }
            return true
        }
        if clean {
            buffer.writeString(string)
            return
        }
        writeSlow(string, escaped: escaped, version: version, isName: isName, into: &buffer)
    }

    private static func writeSlow(_ string: String, escaped: Bool, version: STOMPVersion, isName: Bool, into buffer: inout ByteBuffer) {
        let escapes = escaped && version >= .v1_1
        for byte in string.utf8 {
            switch byte {
            case ASCII.lf:
                if escapes { buffer.writeStaticString("\\n") } else { buffer.writeInteger(ASCII.space) }
            case ASCII.cr:
                if escapes && version >= .v1_2 {
                    buffer.writeStaticString("\\r")
                } else if escapes {
                    // STOMP 1.1 has no escape for CR; a raw CR before LF would read as CRLF.
                    buffer.writeInteger(ASCII.space)
                } else {
                    buffer.writeInteger(ASCII.space)
                }
            case ASCII.colon:
                if escapes {
                    buffer.writeStaticString("\\c")
                } else if isName {
                    // Unescaped, the parser splits the line at its first colon.
                    buffer.writeInteger(ASCII.space)
                } else {
                    buffer.writeInteger(byte)
                }
            case ASCII.backslash:
                if escapes { buffer.writeStaticString("\\\\") } else { buffer.writeInteger(byte) }
            default:
                buffer.writeInteger(byte)
            }
        }
    }
}
