import NIOCore
import STOMPCore

/// A message held by the broker: the SEND's headers and body, and its id.
struct BrokerMessage: Sendable {
    let id: String
    let destination: String
    /// The SEND's headers, less those the broker sets itself.
    let headers: STOMPHeaders
    let body: ByteBuffer
    var redelivered = false

    /// What the message costs against queue and connection limits.
    var size: Int { body.readableBytes + 64 + headers.count * 32 }

    /// Headers a SEND may not pass on to MESSAGE frames: the broker sets these itself,
    /// so a producer cannot forge a subscription or message id for a consumer.
    static let reservedHeaders: Set<String> = [
        STOMPHeaderName.destination, STOMPHeaderName.receipt, STOMPHeaderName.transaction,
        STOMPHeaderName.contentLength, STOMPHeaderName.messageID, STOMPHeaderName.subscription,
        STOMPHeaderName.ack, STOMPHeaderName.redelivered,
    ]

    init(id: String, send frame: STOMPFrame, destination: String) {
        self.id = id
        self.destination = destination
        var headers = STOMPHeaders()
        headers.reserveCapacity(frame.headers.count)
        for header in frame.headers where !Self.reservedHeaders.contains(header.name) {
            headers.add(name: header.name, value: header.value)
        }
        self.headers = headers
        self.body = frame.body
    }

    /// The MESSAGE frame for one subscription.
    func messageFrame(subscriptionID: String, ackMode: STOMPAckMode, version: STOMPVersion) -> STOMPFrame {
        var out = STOMPHeaders()
        out.reserveCapacity(headers.count + 5)
        out.add(name: STOMPHeaderName.destination, value: destination)
        out.add(name: STOMPHeaderName.messageID, value: id)
        out.add(name: STOMPHeaderName.subscription, value: subscriptionID)
        if ackMode != .auto && version >= .v1_2 {
            out.add(name: STOMPHeaderName.ack, value: id)
        }
        if redelivered {
            out.add(name: STOMPHeaderName.redelivered, value: "true")
        }
        for header in headers { out.add(name: header.name, value: header.value) }
        return STOMPFrame(.message, headers: out, body: body)
    }
}
