import NIOCore

/// Incremental UTF-8 validation (RFC 3629, as RFC 6455 §8.1 requires of text messages):
/// fed one fragment at a time, it fails at the first byte that no valid text could
/// continue with (an overlong form, a surrogate, a code point above U+10FFFF), not only
/// at the end of the message, so that a bad message can be refused early.
struct UTF8Validator {
    /// Continuation bytes still expected by the sequence in progress.
    private var remaining = 0
    /// The range the next continuation byte must be in (narrower after E0, ED, F0, F4).
    private var lower: UInt8 = 0x80
    private var upper: UInt8 = 0xBF
    /// Set at the first invalid byte; stays set.
    private(set) var failed = false

    /// Whether everything fed so far is valid and ends on a character boundary.
    var isComplete: Bool { !failed && remaining == 0 }

    /// Feeds `buffer`'s readable bytes; returns false (and stays failed) at the first
    /// byte that makes the text invalid.
    @discardableResult
    mutating func feed(_ buffer: ByteBuffer) -> Bool {
        buffer.withUnsafeReadableBytes { feed($0) }
    }

    /// Feeds `bytes`; returns false (and stays failed) at the first invalid byte.
    @discardableResult
    mutating func feed(_ bytes: UnsafeRawBufferPointer) -> Bool {
        guard !failed else { return false }
        let count = bytes.count
        var index = 0
        while index < count {
            if remaining == 0 {
                // ASCII runs eight bytes at a time.
                while index + 8 <= count, bytes.loadUnaligned(fromByteOffset: index, as: UInt64.self) & 0x8080_8080_8080_8080 == 0 {
                    index += 8
                }
                guard index < count else { break }
            }
            if !step(bytes[index]) {
                failed = true
                return false
            }
            index += 1
        }
        return true
    }

    /// Feeds a byte array (tests, close reasons).
    @discardableResult
    mutating func feed(_ bytes: [UInt8]) -> Bool {
        bytes.withUnsafeBytes { feed($0) }
    }

    /// Whether `buffer`'s readable bytes are, on their own, complete valid UTF-8.
    static func isValid(_ buffer: ByteBuffer) -> Bool {
        var validator = UTF8Validator()
        validator.feed(buffer)
        return validator.isComplete
    }

    private mutating func step(_ byte: UInt8) -> Bool {
        if remaining > 0 {
            guard byte >= lower && byte <= upper else { return false }
            remaining -= 1
            lower = 0x80
            upper = 0xBF
            return true
        }
        switch byte {
        case 0x00...0x7F:
            return true
        case 0xC2...0xDF:
            remaining = 1
        case 0xE0:
            remaining = 2
            lower = 0xA0
        case 0xE1...0xEC, 0xEE...0xEF:
            remaining = 2
        case 0xED:
            remaining = 2
            upper = 0x9F
        case 0xF0:
            remaining = 3
            lower = 0x90
        case 0xF1...0xF3:
            remaining = 3
        case 0xF4:
            remaining = 3
            upper = 0x8F
        default:
            return false
        }
        return true
    }
}
