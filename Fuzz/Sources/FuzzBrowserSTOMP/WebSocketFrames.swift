import NIOCore

/// A client's WebSocket frame, masked as RFC 6455 requires.
func clientFrame(opcode: UInt8, fin: Bool = true, payload: some Collection<UInt8>) -> [UInt8] {
    var bytes: [UInt8] = [(fin ? 0x80 : 0) | opcode]
    let count = payload.count
    if count < 126 {
        bytes.append(0x80 | UInt8(count))
    } else if count <= 0xFFFF {
        bytes.append(0x80 | 126)
        bytes += [UInt8(count >> 8), UInt8(count & 0xFF)]
    } else {
        bytes.append(0x80 | 127)
        for shift in stride(from: 56, through: 0, by: -8) { bytes.append(UInt8((count >> shift) & 0xFF)) }
    }
    let mask: [UInt8] = [0x37, 0xFA, 0x21, 0x3D]
    bytes += mask
    for (index, byte) in payload.enumerated() { bytes.append(byte ^ mask[index & 3]) }
    return bytes
}

/// A frame the server wrote.
struct ServerFrame {
    var fin: Bool
    var opcode: UInt8
    var payload: [UInt8]
}

/// Splits what the server wrote into frames; `nil` if the bytes are not well-formed
/// server frames (masked, reserved bits, bad lengths, truncated).
func serverFrames(_ bytes: [UInt8]) -> [ServerFrame]? {
    var frames: [ServerFrame] = []
    var index = 0
    while index < bytes.count {
        guard index + 2 <= bytes.count else { return nil }
        let first = bytes[index]
        let second = bytes[index + 1]
        guard first & 0x70 == 0, second & 0x80 == 0 else { return nil }
        var length = Int(second & 0x7F)
        index += 2
        if length == 126 {
            guard index + 2 <= bytes.count else { return nil }
            length = Int(bytes[index]) << 8 | Int(bytes[index + 1])
            guard length >= 126 else { return nil }
            index += 2
        } else if length == 127 {
            guard index + 8 <= bytes.count else { return nil }
            length = 0
            for offset in 0..<8 { length = length << 8 | Int(bytes[index + offset]) }
            guard length > 0xFFFF else { return nil }
            index += 8
        }
        guard length >= 0, index + length <= bytes.count else { return nil }
        frames.append(ServerFrame(fin: first & 0x80 != 0, opcode: first & 0x0F, payload: Array(bytes[index..<index + length])))
        index += length
    }
    return frames
}
