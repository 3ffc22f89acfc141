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

    /// Parses a command from the bytes of a command line (without its EOL).
    init?(bytes: UnsafeRawBufferPointer) {
        // Commands are short ASCII words; a string of up to 15 bytes is stored inline.
        guard bytes.count >= 3, bytes.count <= 11 else { return nil }
        self.init(rawValue: String(decoding: bytes, as: UTF8.self))
    }
}
