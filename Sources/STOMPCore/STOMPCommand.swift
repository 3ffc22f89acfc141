/// A STOMP frame command, as named by the STOMP 1.0, 1.1 and 1.2 specifications.
///
/// Client frames: `CONNECT`, `STOMP`, `SEND`, `SUBSCRIBE`, `UNSUBSCRIBE`, `ACK`, `NACK`,
/// `BEGIN`, `COMMIT`, `ABORT`, `DISCONNECT`. Server frames: `CONNECTED`, `MESSAGE`,
/// `RECEIPT`, `ERROR`.
public enum STOMPCommand: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    case connect = "CONNECT"
    case stomp = "STOMP"
    case connected = "CONNECTED"
    case send = "SEND"
    case subscribe = "SUBSCRIBE"
    case unsubscribe = "UNSUBSCRIBE"
    case ack = "ACK"
    case nack = "NACK"
    case begin = "BEGIN"
    case commit = "COMMIT"
    case abort = "ABORT"
    case disconnect = "DISCONNECT"
    case message = "MESSAGE"
    case receipt = "RECEIPT"
    case error = "ERROR"

    public var description: String { rawValue }

    /// Whether this frame may carry a body (`SEND`, `MESSAGE` and `ERROR`).
    public var allowsBody: Bool {
        switch self {
        case .send, .message, .error: true
        default: false
        }
    }

    /// Whether header values of this frame are escaped (STOMP 1.1 and later escape
    /// every frame except `CONNECT`, `STOMP` and `CONNECTED`).
    public var usesHeaderEscaping: Bool {
        switch self {
        case .connect, .stomp, .connected: false
        default: true
        }
    }

    /// Whether a client sends this command (as opposed to a server).
    public var isClientCommand: Bool {
        switch self {
        case .connected, .message, .receipt, .error: false
        default: true
        }
    }

    /// Parses a command from the bytes of a command line (without its EOL), comparing
    /// bytes: no String is made for the commands of every frame.
    init?(bytes: UnsafeRawBufferPointer) {
        guard bytes.count >= 3, bytes.count <= 11 else { return nil }
        @inline(__always) func matches(_ literal: StaticString) -> Bool { bytes.equals(literal) }
        switch bytes[0] {
        case UInt8(ascii: "M") where matches("MESSAGE"): self = .message
        case UInt8(ascii: "S") where matches("SEND"): self = .send
        case UInt8(ascii: "S") where matches("SUBSCRIBE"): self = .subscribe
        case UInt8(ascii: "S") where matches("STOMP"): self = .stomp
        case UInt8(ascii: "A") where matches("ACK"): self = .ack
        case UInt8(ascii: "A") where matches("ABORT"): self = .abort
        case UInt8(ascii: "N") where matches("NACK"): self = .nack
        case UInt8(ascii: "R") where matches("RECEIPT"): self = .receipt
        case UInt8(ascii: "C") where matches("CONNECT"): self = .connect
        case UInt8(ascii: "C") where matches("CONNECTED"): self = .connected
        case UInt8(ascii: "C") where matches("COMMIT"): self = .commit
        case UInt8(ascii: "B") where matches("BEGIN"): self = .begin
        case UInt8(ascii: "U") where matches("UNSUBSCRIBE"): self = .unsubscribe
        case UInt8(ascii: "D") where matches("DISCONNECT"): self = .disconnect
        case UInt8(ascii: "E") where matches("ERROR"): self = .error
        default: return nil
        }
    }
}
