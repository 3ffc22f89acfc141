#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// ASCII bytes the codec looks for.
enum ASCII {
    static let lf: UInt8 = 0x0A
    static let cr: UInt8 = 0x0D
    static let nul: UInt8 = 0x00
    static let colon: UInt8 = 0x3A
    static let backslash: UInt8 = 0x5C
    static let space: UInt8 = 0x20
}

extension UnsafeRawBufferPointer {
    /// The offset of the first `byte` at or after `start`, found with `memchr`.
    @inline(__always)
    func firstOffset(of byte: UInt8, from start: Int = 0) -> Int? {
        guard start < count, let base = baseAddress else { return nil }
        guard let found = memchr(base + start, Int32(byte), count - start) else { return nil }
        return UnsafeRawPointer(found) - base
    }
}

extension UnsafeRawBufferPointer {
    /// Whether these bytes are exactly the UTF-8 of `literal` (one length check, one memcmp).
    @inline(__always)
    func equals(_ literal: StaticString) -> Bool {
        guard literal.utf8CodeUnitCount == count else { return false }
        guard count > 0, let base = baseAddress else { return count == 0 }
        return memcmp(base, literal.utf8Start, count) == 0
    }
}
