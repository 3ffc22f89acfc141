import NIOCore

/// One STOMP frame: a command, ordered headers and a body.
///
/// ```swift
/// let frame = STOMPFrame(.send, headers: ["destination": "/topic/orders.42"], body: "paid")
/// var bytes = ByteBuffer()
/// STOMPEncoder.encode(frame, version: .v1_2, into: &bytes)
/// ```
///
/// The body is binary; the encoder writes a correct `content-length` for a non-empty
/// body, so bodies may contain NUL bytes.
public struct STOMPFrame: Sendable, Hashable {
    /// The command.
    public var command: STOMPCommand
    /// The headers, in wire order, unescaped.
    public var headers: STOMPHeaders
    /// The body (empty for frames that carry none).
    public var body: ByteBuffer

    /// Creates a frame.
    @inlinable
    public init(_ command: STOMPCommand, headers: STOMPHeaders = [:], body: ByteBuffer = ByteBuffer()) {
        self.command = command
        self.headers = headers
        self.body = body
    }

    /// Creates a frame whose body is the UTF-8 bytes of `body`.
    @inlinable
    public init(_ command: STOMPCommand, headers: STOMPHeaders = [:], body: String) {
        self.init(command, headers: headers, body: ByteBuffer(string: body))
    }

    /// The body decoded as UTF-8 (invalid sequences replaced).
    public var bodyString: String {
        String(buffer: body)
    }
}

extension STOMPFrame: CustomStringConvertible {
    public var description: String {
        "\(command) \(headers) (\(body.readableBytes) body bytes)"
    }
}
