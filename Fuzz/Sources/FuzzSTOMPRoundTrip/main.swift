// Frame → STOMPEncoder / STOMPFrameEncoder → STOMPParser. The frame is built from the
// fuzz bytes: any command and version, headers whose names and values hold any bytes
// (CR, LF, colon, backslash, NUL, invalid UTF-8), any body. Invariants: both encoders
// write the same bytes; the parser reads back one frame equal to the expected one (see
// `expectedAfterRoundTrip`) and nothing else; a decoded value never spans lines.
import FuzzSupport
import NIOCore
import STOMPCore

func string(_ bytes: ArraySlice<UInt8>) -> String {
    String(decoding: bytes, as: UTF8.self)
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    var input = FuzzInput(data, size)
    let command = STOMPCommand.allCases[input.int(below: STOMPCommand.allCases.count)]
    let version = STOMPVersion.allCases[input.int(below: STOMPVersion.allCases.count)]
    let headerCount = input.int(below: 9)
    var headers = STOMPHeaders()
    for _ in 0..<headerCount {
        let name = string(input.take(input.int(below: 24)))
        let value = string(input.take(input.int(below: 48)))
        headers.add(name: name, value: value)
    }
    let frame = STOMPFrame(command, headers: headers, body: ByteBuffer(bytes: input.rest()))

    let bytes = STOMPEncoder.encode(frame, version: version)
    var viaHandler = ByteBuffer()
    do {
        try STOMPFrameEncoder(version: version).encode(data: frame, out: &viaHandler)
    } catch {
        fuzzCheck(false, "STOMPFrameEncoder threw \(error)")
    }
    fuzzCheck(viaHandler == bytes, "STOMPFrameEncoder and STOMPEncoder differ")

    // The head (everything before the body) has exactly one line per header, plus the
    // command line, the content-length line and the blank line.
    var buffer = bytes
    var parser = STOMPParser(version: version)
    let expected = expectedAfterRoundTrip(frame, version: version)
    do {
        guard case .frame(let decoded) = try parser.parse(&buffer) else {
            fuzzCheck(false, "\(frame) encoded as \(String(buffer: bytes).debugDescription) did not parse to a frame")
            return 0
        }
        fuzzCheck(decoded == expected, "\(frame) came back as \(decoded), expected \(expected)")
        fuzzCheck(buffer.readableBytes == 0, "\(buffer.readableBytes) bytes left after the frame")
    } catch {
        fuzzCheck(false, "\(frame) encoded as \(String(buffer: bytes).debugDescription) did not parse: \(error)")
    }
    return 0
}

runFuzzer(fuzz)
