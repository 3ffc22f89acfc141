/// Where a subscriber stands in a destination's feed: the `id` of an SSE event, the
/// `since` of a STOMP-over-WebSocket SUBSCRIBE.
///
/// Written `EPOCH-SEQUENCE`, e.g. `k3f9a-42`. The epoch names one life of a
/// destination's numbering (it changes when the numbering restarts, e.g. after a
/// gateway restart with in-memory history), so a position from another life is
/// recognised and answered with a gap notice rather than with the wrong messages.
///
/// Threat: the text comes from browsers (`Last-Event-ID`, query parameters). Parsing
/// accepts only `[A-Za-z0-9_]{1,32}-[0-9]{1,19}`, so nothing from it can reach a log
/// line, a header or an SSE field unescaped.
public struct FeedPosition: Sendable, Hashable, CustomStringConvertible {
    /// The life of the numbering.
    public let epoch: String
    /// The last sequence number seen (0: nothing yet).
    public let sequence: UInt64

    /// Creates a position; `epoch` must be 1–32 ASCII letters, digits or `_`.
    public init?(epoch: String, sequence: UInt64) {
        guard Self.isValidEpoch(epoch) else { return nil }
        self.epoch = epoch
        self.sequence = sequence
    }

    /// Parses `EPOCH-SEQUENCE`; `nil` for anything else.
    public init?(_ text: String) {
        guard text.utf8.count <= 52, let dash = text.lastIndex(of: "-") else { return nil }
        let epoch = String(text[..<dash])
        let digits = text[text.index(after: dash)...]
        guard !digits.isEmpty, digits.utf8.count <= 19, digits.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }),
            let sequence = UInt64(digits)
        else { return nil }
        self.init(epoch: epoch, sequence: sequence)
    }

    public var description: String { "\(epoch)-\(sequence)" }

    static func isValidEpoch(_ epoch: String) -> Bool {
        let utf8 = epoch.utf8
        guard (1...32).contains(utf8.count) else { return false }
        return utf8.allSatisfy { byte in
            (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A) || byte == 0x5F
        }
    }
}
