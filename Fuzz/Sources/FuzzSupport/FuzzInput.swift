/// Reads structured values from fuzz bytes; past the end every read gives zeros.
public struct FuzzInput: Sendable {
    /// All the bytes.
    public let bytes: [UInt8]
    /// The next byte to read.
    public private(set) var position = 0

    /// Wraps libFuzzer's input.
    public init(_ data: UnsafePointer<UInt8>?, _ size: Int) {
        bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    }

    /// Wraps bytes.
    public init(_ bytes: [UInt8]) {
        self.bytes = bytes
    }

    /// Whether every byte has been read.
    public var isAtEnd: Bool { position >= bytes.count }

    /// The bytes not read yet.
    public var remaining: ArraySlice<UInt8> { bytes[min(position, bytes.count)...] }

    /// One byte.
    public mutating func byte() -> UInt8 {
        guard position < bytes.count else { return 0 }
        defer { position += 1 }
        return bytes[position]
    }

    /// A number in `0..<bound` (bound > 0).
    public mutating func int(below bound: Int) -> Int {
        Int(byte()) % bound
    }

    /// `count` bytes (fewer at the end).
    public mutating func take(_ count: Int) -> ArraySlice<UInt8> {
        let start = min(position, bytes.count)
        let end = min(start + count, bytes.count)
        position = end
        return bytes[start..<end]
    }

    /// Bytes up to the next `separator` (not included) or the end.
    public mutating func take(until separator: UInt8) -> ArraySlice<UInt8> {
        let start = min(position, bytes.count)
        let end = bytes[start...].firstIndex(of: separator) ?? bytes.count
        position = min(end + 1, bytes.count)
        if end == bytes.count { position = bytes.count }
        return bytes[start..<end]
    }

    /// Everything left.
    public mutating func rest() -> ArraySlice<UInt8> {
        take(bytes.count)
    }
}

/// A small deterministic generator (SplitMix64) seeded from fuzz bytes.
public struct FuzzRandom: RandomNumberGenerator {
    private var state: UInt64

    /// Seeds the generator.
    public init(seed: UInt64) {
        state = seed
    }

    /// The next value.
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
