import NIOCore

/// A `MessageToByteEncoder` that writes ``STOMPFrame``s for a fixed version.
public struct STOMPFrameEncoder: MessageToByteEncoder {
    public typealias OutboundIn = STOMPFrame

    /// The version whose escaping applies.
    public var version: STOMPVersion

    /// Creates an encoder.
    public init(version: STOMPVersion = .v1_2) {
        self.version = version
    }

    public func encode(data: STOMPFrame, out: inout ByteBuffer) throws {
        STOMPEncoder.encode(data, version: version, into: &out)
    }
}
