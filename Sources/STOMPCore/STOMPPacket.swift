/// What a STOMP byte stream carries: a frame, or an end-of-line that is a heart-beat.
public enum STOMPPacket: Sendable, Hashable {
    /// A complete frame.
    case frame(STOMPFrame)
    /// An EOL between frames: a heart-beat.
    case heartbeat
}
