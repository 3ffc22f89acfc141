/// A `heart-beat` header value and the rule that turns two of them into intervals.
///
/// Each side says how often it can send (`outgoing`) and how often it wants to
/// receive (`incoming`), in milliseconds, 0 meaning never. The specification's rule:
/// a side sends every `max(local.outgoing, remote.incoming)` ms unless either is 0,
/// and expects to receive every `max(remote.outgoing, local.incoming)` ms unless either
/// is 0.
///
/// ```swift
/// let client = STOMPHeartBeat(outgoing: 10_000, incoming: 10_000)
/// let server = STOMPHeartBeat(headerValue: "5000,20000")!
/// let intervals = STOMPHeartBeat.negotiate(local: client, remote: server)
/// // intervals.send == 20_000, intervals.receive == 10_000
/// ```
public struct STOMPHeartBeat: Sendable, Hashable, CustomStringConvertible {
    /// Milliseconds between beats this side can send; 0 for none.
    public var outgoing: Int
    /// Milliseconds between beats this side wants to receive; 0 for none.
    public var incoming: Int

    /// The longest interval kept, in milliseconds (`Int32.max`, about 24.8 days): a
    /// larger value, from a configuration or a peer's header, is treated as this one.
    ///
    /// The bound keeps every interval convertible to nanoseconds, doubled and scaled by
    /// a tolerance without overflow; a peer's `heart-beat:0,10000000000000000` once
    /// trapped the gateway's negotiation (found by FuzzBrowserSTOMP).
    public static let maximumMilliseconds = Int(Int32.max)

    /// Creates a heart-beat setting; negative values are treated as 0 and values above
    /// ``maximumMilliseconds`` as ``maximumMilliseconds``.
    public init(outgoing: Int, incoming: Int) {
        self.outgoing = min(max(0, outgoing), Self.maximumMilliseconds)
        self.incoming = min(max(0, incoming), Self.maximumMilliseconds)
    }

    /// No heart-beats either way (`0,0`), which is also what a missing header means.
    public static let none = STOMPHeartBeat(outgoing: 0, incoming: 0)

    /// Parses `"cx,cy"`, two decimal numbers (spaces around each tolerated, no sign);
    /// returns `nil` for anything else. A number above ``maximumMilliseconds``, however
    /// many digits it has, is read as ``maximumMilliseconds``.
    public init?(headerValue: String) {
        let parts = headerValue.split(separator: ",", omittingEmptySubsequences: false)
        guard parts.count == 2,
            let outgoing = Self.milliseconds(parts[0]),
            let incoming = Self.milliseconds(parts[1])
        else { return nil }
        self.init(outgoing: outgoing, incoming: incoming)
    }

    /// One side of the header: ASCII digits only, so that `+5` or `-0` is refused.
    private static func milliseconds(_ part: Substring) -> Int? {
        let digits = part.trimmingSpaces()
        guard !digits.isEmpty, digits.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) else { return nil }
        var value = 0
        for digit in digits.utf8 {
            value = min(value * 10 + Int(digit - UInt8(ascii: "0")), maximumMilliseconds)
        }
        return value
    }

    /// The header value, `"cx,cy"`.
    public var headerValue: String { "\(outgoing),\(incoming)" }

    public var description: String { headerValue }

    /// The intervals agreed between two sides, in milliseconds; `nil` means none.
    public struct Intervals: Sendable, Hashable {
        /// How often this side must send something.
        public var send: Int?
        /// How often this side should hear from the other.
        public var receive: Int?
    }

    /// Applies the specification's negotiation rule from `local`'s point of view.
    public static func negotiate(local: STOMPHeartBeat, remote: STOMPHeartBeat) -> Intervals {
        let send = local.outgoing != 0 && remote.incoming != 0 ? max(local.outgoing, remote.incoming) : nil
        let receive = remote.outgoing != 0 && local.incoming != 0 ? max(remote.outgoing, local.incoming) : nil
        return Intervals(send: send, receive: receive)
    }
}
