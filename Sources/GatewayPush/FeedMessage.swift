import NIOCore
import STOMPCore

/// One numbered message of a destination's feed, encoded once for every subscriber:
/// the bytes each transport writes are built here, when the message arrives, and
/// shared (server-to-client WebSocket frames are not masked, so the same bytes go to
/// every socket).
///
/// - STOMP over WebSocket: a subscriber writes its own small first fragment
///   (`MESSAGE\nsubscription:ID\n`, kept per subscription) and then ``webSocketTail``,
///   a final continuation fragment holding the rest of the frame. No bytes are built
///   per delivery.
/// - SSE: ``sseEventWithID`` is one HTTP chunk holding the whole event; streams with
///   several destinations write their own `id:` chunk, then ``sseEventWithoutID``.
public final class FeedMessage: Sendable {
    /// The destination.
    public let destination: String
    /// Its sequence number in the destination's feed.
    public let sequence: UInt64
    /// `EPOCH-SEQUENCE`.
    public let position: String
    /// Whether the STOMP frame goes in a text WebSocket message (UTF-8 body) or binary.
    public let isText: Bool
    /// The final WebSocket fragment: continuation header, then the STOMP frame after
    /// the `subscription` header, ending with NUL.
    public let webSocketTail: ByteBuffer
    /// The SSE event with its `id:` line, chunk-framed.
    public let sseEventWithID: ByteBuffer
    /// The SSE event without `id:`, chunk-framed.
    public let sseEventWithoutID: ByteBuffer
    /// Bytes retained for it (for the history's byte bound).
    public let retainedSize: Int
    /// When the gateway received it (for the publish→write latency histogram).
    public let receivedAt: NIODeadline

    init(
        destination: String,
        sequence: UInt64,
        position: String,
        isText: Bool,
        webSocketTail: ByteBuffer,
        sseEventWithID: ByteBuffer,
        sseEventWithoutID: ByteBuffer,
        receivedAt: NIODeadline
    ) {
        self.destination = destination
        self.sequence = sequence
        self.position = position
        self.isText = isText
        self.webSocketTail = webSocketTail
        self.sseEventWithID = sseEventWithID
        self.sseEventWithoutID = sseEventWithoutID
        self.retainedSize = webSocketTail.readableBytes + sseEventWithID.readableBytes + sseEventWithoutID.readableBytes + 128
        self.receivedAt = receivedAt
    }

    /// STOMP headers that are the gateway's to write, not copied from the broker's message.
    static let bookkeepingHeaders: Set<String> = [
        STOMPHeaderName.destination, STOMPHeaderName.subscription, STOMPHeaderName.messageID,
        STOMPHeaderName.ack, STOMPHeaderName.contentLength, STOMPHeaderName.receipt, "receipt-id", STOMPHeaderName.redelivered,
    ]

    /// Whether a header's name or value holds a NUL byte.
    static func containsNUL(_ header: (name: String, value: String)) -> Bool {
        header.name.utf8.contains(0) || header.value.utf8.contains(0)
    }

    /// Encodes `message` as the feed's message number `sequence`.
    static func encode(
        _ message: PushUpstreamMessage,
        sequence: UInt64,
        epoch: String,
        receivedAt: NIODeadline,
        allocator: ByteBufferAllocator
    ) -> FeedMessage {
        let position = "\(epoch)-\(sequence)"
        var body = message.body
        let bodyBytes = body.readableBytes
        let bodyText: String? =
            body.readableBytesView.withContiguousStorageIfAvailable { bytes in
                String(validating: bytes, as: UTF8.self)
            } ?? String(validating: Array(body.readableBytesView), as: UTF8.self)

        // STOMP: everything after "MESSAGE\nsubscription:ID\n".
        var stomp = allocator.buffer(capacity: bodyBytes + 256)
        STOMPEncoder.encodeHeader(name: "destination", value: message.destination, escaped: true, version: .v1_2, into: &stomp)
        stomp.writeStaticString("message-id:")
        stomp.writeString(position)
        stomp.writeStaticString("\nack:")
        stomp.writeString(position)
        stomp.writeInteger(UInt8(ascii: "\n"))
        // A NUL ends a STOMP frame for clients that split on it (stomp.js does), so a broker
        // header carrying one is not passed on: it could forge a frame in the browser.
        for header in message.headers where !bookkeepingHeaders.contains(header.name) && !containsNUL(header) {
            STOMPEncoder.encodeHeader(name: header.name, value: header.value, escaped: true, version: .v1_2, into: &stomp)
        }
        stomp.writeStaticString("content-length:")
        stomp.writeString(String(bodyBytes))
        stomp.writeStaticString("\n\n")
        stomp.writeBuffer(&body)
        stomp.writeInteger(UInt8(0))
        var tail = allocator.buffer(capacity: stomp.readableBytes + 10)
        WebSocketWire.writeFrameHeader(opcode: WebSocketWire.continuation, fin: true, length: stomp.readableBytes, into: &tail)
        tail.writeBuffer(&stomp)

        // SSE: one JSON object on one data line.
        var data = allocator.buffer(capacity: bodyBytes + 192)
        data.writeStaticString("event: message\ndata: {\"destination\":")
        JSONText.writeString(message.destination, into: &data)
        data.writeStaticString(",\"position\":\"")
        data.writeString(position)
        data.writeStaticString("\",\"headers\":{")
        var first = true
        for header in message.headers where !bookkeepingHeaders.contains(header.name) {
            if !first { data.writeInteger(UInt8(ascii: ",")) }
            first = false
            JSONText.writeString(header.name, into: &data)
            data.writeInteger(UInt8(ascii: ":"))
            JSONText.writeString(header.value, into: &data)
        }
        data.writeStaticString("},\"body\":")
        if let bodyText {
            JSONText.writeString(bodyText, into: &data)
        } else {
            data.writeInteger(UInt8(ascii: "\""))
            data.writeString(Base64.encode(message.body.readableBytesView))
            data.writeStaticString("\",\"bodyEncoding\":\"base64\"")
        }
        data.writeStaticString("}\n\n")
        let idLine = "id: \(position)\n"
        let withID = SSEWire.chunk(parts: [ByteBuffer(string: idLine), data], allocator: allocator)
        let withoutID = SSEWire.chunk(parts: [data], allocator: allocator)

        return FeedMessage(
            destination: message.destination,
            sequence: sequence,
            position: position,
            isText: bodyText != nil,
            webSocketTail: tail,
            sseEventWithID: withID,
            sseEventWithoutID: withoutID,
            receivedAt: receivedAt
        )
    }
}
