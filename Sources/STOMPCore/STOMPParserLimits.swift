/// Limits the parser enforces on every frame, checked before bytes are buffered.
///
/// | limit | default | what happens at the bound |
/// |---|---|---|
/// | ``maxHeaderLineLength`` | 16 KiB | ``STOMPParseError/headerLineTooLong(limit:)`` |
/// | ``maxHeaderCount`` | 128 | ``STOMPParseError/tooManyHeaders(limit:)`` |
/// | ``maxBodySize`` | 8 MiB | ``STOMPParseError/bodyTooLarge(limit:)`` |
/// | ``maxFrameSize`` | 8 MiB + 64 KiB | ``STOMPParseError/frameTooLarge(limit:)`` |
///
/// The command line counts as a header line. A `content-length` beyond a limit is
/// refused as soon as the header is read, before any body byte is buffered; a body
/// without `content-length` is refused once the bytes scanned for its NUL exceed the
/// limit.
public struct STOMPParserLimits: Sendable, Hashable {
    /// The longest command or header line, in bytes, EOL excluded. Default 16 KiB.
    public var maxHeaderLineLength: Int
    /// The most header entries in one frame, repeats included. Default 128.
    public var maxHeaderCount: Int
    /// The largest body, in bytes. Default 8 MiB.
    public var maxBodySize: Int
    /// The largest frame, in bytes: command, headers, body and terminator.
    /// Default 8 MiB + 64 KiB.
    public var maxFrameSize: Int

    /// Creates limits; every argument has the documented default.
    public init(
        maxHeaderLineLength: Int = 16 * 1024,
        maxHeaderCount: Int = 128,
        maxBodySize: Int = 8 * 1024 * 1024,
        maxFrameSize: Int = 8 * 1024 * 1024 + 64 * 1024
    ) {
        self.maxHeaderLineLength = maxHeaderLineLength
        self.maxHeaderCount = maxHeaderCount
        self.maxBodySize = maxBodySize
        self.maxFrameSize = maxFrameSize
    }

    /// The defaults.
    public static let `default` = STOMPParserLimits()
}
