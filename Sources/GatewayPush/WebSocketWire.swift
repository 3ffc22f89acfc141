import NIOCore

/// Server-side WebSocket frame bytes (RFC 6455 §5.2): unmasked, written straight to
/// the socket, so that shared frames need no per-connection encoding.
enum WebSocketWire {
    static let continuation: UInt8 = 0x0
    static let text: UInt8 = 0x1
    static let binary: UInt8 = 0x2
    static let close: UInt8 = 0x8
    static let ping: UInt8 = 0x9
    static let pong: UInt8 = 0xA

    /// Writes a frame header for a payload of `length` bytes.
    static func writeFrameHeader(opcode: UInt8, fin: Bool, length: Int, into buffer: inout ByteBuffer) {
        buffer.writeInteger((fin ? 0x80 : 0) | opcode)
        if length < 126 {
            buffer.writeInteger(UInt8(length))
        } else if length <= Int(UInt16.max) {
            buffer.writeInteger(UInt8(126))
            buffer.writeInteger(UInt16(length))
        } else {
            buffer.writeInteger(UInt8(127))
            buffer.writeInteger(UInt64(length))
        }
    }

    /// A whole single-frame message.
    static func frame(opcode: UInt8, payload: ByteBuffer, allocator: ByteBufferAllocator) -> ByteBuffer {
        var payload = payload
        var buffer = allocator.buffer(capacity: payload.readableBytes + 10)
        writeFrameHeader(opcode: opcode, fin: true, length: payload.readableBytes, into: &buffer)
        buffer.writeBuffer(&payload)
        return buffer
    }

    /// A close frame with `code` and a reason (cut to fit the 125-byte control frame limit).
    static func closeFrame(code: UInt16, reason: String, allocator: ByteBufferAllocator) -> ByteBuffer {
        var payload = allocator.buffer(capacity: 125)
        payload.writeInteger(code)
        var reasonBytes = Array(reason.utf8.prefix(120))
        while String(validating: reasonBytes, as: UTF8.self) == nil && !reasonBytes.isEmpty { reasonBytes.removeLast() }
        payload.writeBytes(reasonBytes)
        return frame(opcode: close, payload: payload, allocator: allocator)
    }

    /// A STOMP heart-beat: a text message holding one LF.
    static let heartbeat = ByteBuffer(bytes: [0x81, 0x01, 0x0A])
}
