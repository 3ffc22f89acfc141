import NIOCore

/// Writes STOMP frames as bytes.
///
/// The encoder escapes headers as `version` requires (see `STOMPHeaderEscaping`; where
/// a frame has no escaping, CR and LF become spaces, and so does a colon in a name),
/// drops any `content-length` the frame carries and writes the true one for a
/// non-empty body, so a body may contain NUL bytes.
///
/// ```swift
/// var out = ByteBuffer()
/// STOMPEncoder.encode(STOMPFrame(.send, headers: ["destination": "/queue/a"], body: "hi"), version: .v1_2, into: &out)
/// ```
public enum STOMPEncoder {
    /// Appends `frame` to `buffer`.
    public static func encode(_ frame: STOMPFrame, version: STOMPVersion, into buffer: inout ByteBuffer) {
        encodeHead(frame.command, headers: frame.headers, bodyLength: frame.body.readableBytes, version: version, into: &buffer)
        var body = frame.body
        buffer.writeBuffer(&body)
        buffer.writeInteger(ASCII.nul)
    }

    /// Returns `frame` as bytes.
    public static func encode(
        _ frame: STOMPFrame,
        version: STOMPVersion,
        allocator: ByteBufferAllocator = ByteBufferAllocator()
    )
        -> ByteBuffer
    {
        var buffer = allocator.buffer(capacity: estimatedSize(of: frame))
        encode(frame, version: version, into: &buffer)
        return buffer
    }

    /// Writes the command line and the headers, ending with the blank line; the body and
    /// the NUL follow. `content-length` is written when `bodyLength` is not zero.
    public static func encodeHead(
        _ command: STOMPCommand,
        headers: STOMPHeaders,
        bodyLength: Int,
        version: STOMPVersion,
        into buffer: inout ByteBuffer
    ) {
        buffer.writeString(command.rawValue)
        buffer.writeInteger(ASCII.lf)
        let escaped = command.usesHeaderEscaping
        for header in headers where header.name != STOMPHeaderName.contentLength {
            encodeHeader(name: header.name, value: header.value, escaped: escaped, version: version, into: &buffer)
        }
        if bodyLength > 0 {
            buffer.writeStaticString("content-length:")
            buffer.writeString(String(bodyLength))
            buffer.writeInteger(ASCII.lf)
        }
        buffer.writeInteger(ASCII.lf)
    }

    /// Writes one `name:value` line, escaped for `version`.
    @inlinable
    public static func encodeHeader(name: String, value: String, escaped: Bool, version: STOMPVersion, into buffer: inout ByteBuffer) {
        writeEscaped(name, escaped: escaped, version: version, isName: true, into: &buffer)
        buffer.writeInteger(UInt8(ascii: ":"))
        writeEscaped(value, escaped: escaped, version: version, isName: false, into: &buffer)
        buffer.writeInteger(UInt8(ascii: "\n"))
    }

    @usableFromInline
    static func writeEscaped(_ string: String, escaped: Bool, version: STOMPVersion, isName: Bool, into buffer: inout ByteBuffer) {
        STOMPHeaderEscaping.write(string, escaped: escaped, version: version, isName: isName, into: &buffer)
    }

    /// A size estimate for a buffer that will hold `frame`.
    public static func estimatedSize(of frame: STOMPFrame) -> Int {
        var size = 32 + frame.body.readableBytes
        for header in frame.headers { size += header.name.utf8.count + header.value.utf8.count + 2 }
        return size
    }
}
