import NIOCore

/// A `ByteToMessageDecoder` that turns bytes into ``STOMPPacket``s with a ``STOMPParser``.
///
/// ```swift
/// try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(STOMPFrameDecoder()))
/// ```
public struct STOMPFrameDecoder: ByteToMessageDecoder {
    public typealias InboundOut = STOMPPacket

    /// The parser; its version is learnt from the stream unless set.
    public var parser: STOMPParser

    /// Creates a decoder with `limits`, learning the version from the stream.
    public init(limits: STOMPParserLimits = .default, version: STOMPVersion? = nil) {
        parser = STOMPParser(limits: limits, version: version)
    }

    public mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        switch try parser.parse(&buffer) {
        case .frame(let frame):
            context.fireChannelRead(Self.wrapInboundOut(.frame(frame)))
            return .continue
        case .heartbeat:
            context.fireChannelRead(Self.wrapInboundOut(.heartbeat))
            return .continue
        case .needMoreData:
            return .needMoreData
        }
    }

    public mutating func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws -> DecodingState {
        // A partial frame at EOF is dropped: the peer never finished it.
        while try decode(context: context, buffer: &buffer) == .continue {}
        return .needMoreData
    }
}
