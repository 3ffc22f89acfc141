import NIOCore

/// An incremental STOMP parser: feed it bytes as they arrive, take frames out.
///
/// The parser consumes each command and header line as soon as it is complete and
/// remembers how far it has searched an incomplete line or body, so no byte is
/// scanned twice however the input is split. Every limit in ``STOMPParserLimits`` is
/// checked before the bytes it concerns are waited for.
///
/// ```swift
/// var parser = STOMPParser()
/// var input = ByteBuffer(string: "SEND\ndestination:/queue/a\n\nhello\0")
/// while case .frame(let frame) = try parser.parse(&input) {
///     print(frame.command, frame.bodyString)
/// }
/// ```
///
/// Escaping depends on the version. With `version` left `nil` the parser learns it
/// from the stream: from a `CONNECTED` frame's `version` header, or from a
/// `CONNECT`/`STOMP` frame's `accept-version` (the highest version offered, which is
/// what a server supporting 1.0–1.2 picks). Until then STOMP 1.2 rules apply.
public struct STOMPParser: Sendable {
    /// What one call to ``parse(_:)`` found.
    public enum Result: Sendable, Hashable {
        /// A complete frame.
        case frame(STOMPFrame)
        /// An EOL between frames (a heart-beat).
        case heartbeat
        /// The buffer holds no complete frame yet; call again with more bytes.
        case needMoreData
    }

    private enum State: Sendable {
        case idle
        case headers
        case body(contentLength: Int?)
    }

    /// The limits in force.
    public var limits: STOMPParserLimits
    /// The version whose escaping rules apply, or `nil` to learn it from the stream.
    public var version: STOMPVersion?

    private enum ContentLength: Sendable {
        case valid(Int)
        case invalid(String)
    }

    private var state: State = .idle
    /// The frame's first `content-length`, parsed as its header line was read.
    private var contentLength: ContentLength?
    private var command: STOMPCommand = .send
    private var headers = STOMPHeaders()
    /// Bytes after the reader index already searched for the current delimiter.
    private var scanned = 0
    /// Bytes of the current frame consumed so far.
    private var frameSize = 0

    /// Creates a parser.
    public init(limits: STOMPParserLimits = .default, version: STOMPVersion? = nil) {
        self.limits = limits
        self.version = version
    }

    /// Parses at most one frame or heart-beat from the front of `buffer`, consuming
    /// the bytes it used.
    ///
    /// - Throws: ``STOMPParseError``. After an error the stream cannot be resynchronised;
    ///   close the connection.
    public mutating func parse(_ buffer: inout ByteBuffer) throws -> Result {
        while true {
            switch state {
            case .idle:
                let start = buffer.readerIndex
                guard let first = buffer.getInteger(at: start, as: UInt8.self) else { return .needMoreData }
                if first == ASCII.lf {
                    buffer.moveReaderIndex(forwardBy: 1)
                    return .heartbeat
                }
                if first == ASCII.cr {
                    guard let second = buffer.getInteger(at: start + 1, as: UInt8.self) else { return .needMoreData }
                    if second == ASCII.lf {
                        buffer.moveReaderIndex(forwardBy: 2)
                        return .heartbeat
                    }
                }
                guard let lineEnd = try findLineEnd(in: buffer) else { return .needMoreData }
                let parsed = buffer.withUnsafeReadableBytes { bytes -> STOMPCommand? in
                    STOMPCommand(bytes: UnsafeRawBufferPointer(rebasing: bytes[..<lineEnd.contentLength]))
                }
                guard let parsed else {
                    let excerpt = buffer.withUnsafeReadableBytes {
                        STOMPParseError.excerpt(UnsafeRawBufferPointer(rebasing: $0[..<lineEnd.contentLength]))
                    }
                    throw STOMPParseError.unknownCommand(excerpt)
                }
                consumeLine(lineEnd, from: &buffer)
                command = parsed
                state = .headers

            case .headers:
                guard let lineEnd = try findLineEnd(in: buffer) else { return .needMoreData }
                if lineEnd.contentLength == 0 {
                    consumeLine(lineEnd, from: &buffer)
                    try finishHeaders()
                    continue
                }
                guard headers.count < limits.maxHeaderCount else {
                    throw STOMPParseError.tooManyHeaders(limit: limits.maxHeaderCount)
                }
                let escaped = command.usesHeaderEscaping
                let effectiveVersion = version ?? .v1_2
                let firstContentLength = contentLength == nil
                let header = try buffer.withUnsafeReadableBytes { bytes -> (name: String, value: String, length: ContentLength?) in
                    let line = UnsafeRawBufferPointer(rebasing: bytes[..<lineEnd.contentLength])
                    guard let colon = line.firstOffset(of: ASCII.colon) else {
                        throw STOMPParseError.malformedHeader(STOMPParseError.excerpt(line))
                    }
                    let nameBytes = UnsafeRawBufferPointer(rebasing: line[..<colon])
                    let valueBytes = UnsafeRawBufferPointer(rebasing: line[(colon + 1)...])
                    let name =
                        try STOMPHeaderEscaping.knownName(nameBytes)
                        ?? STOMPHeaderEscaping.decode(nameBytes, escaped: escaped, version: effectiveVersion)
                    let value = try STOMPHeaderEscaping.decode(valueBytes, escaped: escaped, version: effectiveVersion)
                    // The first content-length counts; read it from the bytes, not by a search at the end.
                    var length: ContentLength?
                    if firstContentLength, name == STOMPHeaderName.contentLength {
                        // The excerpt is sanitised: a decoded value may hold CR or LF (found by fuzzing).
                        length = Self.parseContentLength(valueBytes).map { .valid($0) } ?? .invalid(STOMPParseError.excerpt(valueBytes))
                    }
                    return (name, value, length)
                }
                if let length = header.length { contentLength = length }
                consumeLine(lineEnd, from: &buffer)
                headers.add(name: header.name, value: header.value)

            case .body(let contentLength?):
                guard buffer.readableBytes > contentLength else { return .needMoreData }
                guard buffer.getInteger(at: buffer.readerIndex + contentLength, as: UInt8.self) == ASCII.nul else {
                    throw STOMPParseError.missingNULTerminator
                }
                let body = buffer.readSlice(length: contentLength)!
                buffer.moveReaderIndex(forwardBy: 1)
                return .frame(finishFrame(body: body))

            case .body(nil):
                let searchFrom = scanned
                let nul = buffer.withUnsafeReadableBytes { $0.firstOffset(of: ASCII.nul, from: searchFrom) }
                guard let nul else {
                    scanned = buffer.readableBytes
                    if scanned > limits.maxBodySize { throw STOMPParseError.bodyTooLarge(limit: limits.maxBodySize) }
                    if frameSize + scanned > limits.maxFrameSize {
                        throw STOMPParseError.frameTooLarge(limit: limits.maxFrameSize)
                    }
                    return .needMoreData
                }
                if nul > limits.maxBodySize { throw STOMPParseError.bodyTooLarge(limit: limits.maxBodySize) }
                if frameSize + nul + 1 > limits.maxFrameSize { throw STOMPParseError.frameTooLarge(limit: limits.maxFrameSize) }
                let body = buffer.readSlice(length: nul)!
                buffer.moveReaderIndex(forwardBy: 1)
                return .frame(finishFrame(body: body))
            }
        }
    }

    private struct LineEnd {
        /// Bytes of the line without its EOL.
        var contentLength: Int
        /// Bytes of the line with its EOL.
        var totalLength: Int
    }

    /// Finds the LF that ends the line at the reader index, enforcing the line and
    /// frame limits on what has been seen so far.
    private mutating func findLineEnd(in buffer: ByteBuffer) throws -> LineEnd? {
        let searchFrom = scanned
        // One access to the buffer's bytes for the LF and the CR before it.
        let found = buffer.withUnsafeReadableBytes { bytes -> (lf: Int, cr: Bool)? in
            guard let lf = bytes.firstOffset(of: ASCII.lf, from: searchFrom) else { return nil }
            return (lf, lf > 0 && bytes[lf - 1] == ASCII.cr)
        }
        guard let (lf, cr) = found else {
            scanned = buffer.readableBytes
            // A CR may still turn out to be part of a CRLF, hence the + 1.
            if scanned > limits.maxHeaderLineLength + 1 {
                throw STOMPParseError.headerLineTooLong(limit: limits.maxHeaderLineLength)
            }
            if frameSize + scanned > limits.maxFrameSize { throw STOMPParseError.frameTooLarge(limit: limits.maxFrameSize) }
            return nil
        }
        let contentLength = cr ? lf - 1 : lf
        if contentLength > limits.maxHeaderLineLength {
            throw STOMPParseError.headerLineTooLong(limit: limits.maxHeaderLineLength)
        }
        if frameSize + lf + 1 > limits.maxFrameSize { throw STOMPParseError.frameTooLarge(limit: limits.maxFrameSize) }
        return LineEnd(contentLength: contentLength, totalLength: lf + 1)
    }

    private mutating func consumeLine(_ line: LineEnd, from buffer: inout ByteBuffer) {
        buffer.moveReaderIndex(forwardBy: line.totalLength)
        frameSize += line.totalLength
        scanned = 0
    }

    private mutating func finishHeaders() throws {
        learnVersion()
        switch contentLength {
        case nil:
            state = .body(contentLength: nil)
        case .invalid(let text):
            throw STOMPParseError.invalidContentLength(text)
        case .valid(let length):
            if length > limits.maxBodySize { throw STOMPParseError.bodyTooLarge(limit: limits.maxBodySize) }
            if frameSize + length + 1 > limits.maxFrameSize { throw STOMPParseError.frameTooLarge(limit: limits.maxFrameSize) }
            state = .body(contentLength: length)
        }
    }

    private static func parseContentLength(_ bytes: UnsafeRawBufferPointer) -> Int? {
        var start = 0
        var end = bytes.count
        // Tolerate surrounding spaces, which some 1.0 clients send.
        while start < end, bytes[start] == ASCII.space { start += 1 }
        while end > start, bytes[end - 1] == ASCII.space { end -= 1 }
        guard start < end, end - start <= 18 else { return nil }
        var result = 0
        for index in start..<end {
            let byte = bytes[index]
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
            result = result * 10 + Int(byte - UInt8(ascii: "0"))
        }
        return result
    }

    private mutating func learnVersion() {
        switch command {
        case .connected where version == nil:
            version = headers.first(name: STOMPHeaderName.version).flatMap(STOMPVersion.init(rawValue:)) ?? .v1_0
        case .connect where version == nil, .stomp where version == nil:
            version = STOMPVersion.negotiate(acceptVersion: headers.first(name: STOMPHeaderName.acceptVersion)) ?? .v1_0
        default:
            break
        }
    }

    private mutating func finishFrame(body: ByteBuffer) -> STOMPFrame {
        let frame = STOMPFrame(command, headers: headers, body: body)
        headers = STOMPHeaders()
        headers.reserveCapacity(8)
        contentLength = nil
        state = .idle
        scanned = 0
        frameSize = 0
        return frame
    }
}
