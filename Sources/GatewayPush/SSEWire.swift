import NIOCore

/// Server-Sent Events bytes inside HTTP/1.1 chunked transfer coding: every write is a
/// complete chunk, so shared events are written as they are.
enum SSEWire {
    /// One chunk holding `parts`.
    static func chunk(parts: [ByteBuffer], allocator: ByteBufferAllocator) -> ByteBuffer {
        let length = parts.reduce(0) { $0 + $1.readableBytes }
        var buffer = allocator.buffer(capacity: length + 16)
        buffer.writeString(String(length, radix: 16))
        buffer.writeStaticString("\r\n")
        for var part in parts { buffer.writeBuffer(&part) }
        buffer.writeStaticString("\r\n")
        return buffer
    }

    /// One chunk holding `text`.
    static func chunk(_ text: String, allocator: ByteBufferAllocator) -> ByteBuffer {
        chunk(parts: [ByteBuffer(string: text)], allocator: allocator)
    }

    /// The heartbeat comment.
    static let heartbeat = chunk(": heartbeat\n\n", allocator: ByteBufferAllocator())
    /// The heartbeat as an event (`?heartbeat=event`), which page scripts can see.
    static let heartbeatEvent = chunk("event: heartbeat\ndata: {}\n\n", allocator: ByteBufferAllocator())
    /// The last chunk: the response ends.
    static let end = ByteBuffer(string: "0\r\n\r\n")
}
