import NIOCore

/// The peer sent nothing, not even a heart-beat, for longer than allowed.
public struct STOMPHeartBeatTimeoutError: Error, Sendable, Hashable, CustomStringConvertible {
    /// How long the peer was silent.
    public var silence: TimeAmount
    /// How long silence was allowed (negotiated interval × tolerance).
    public var allowed: TimeAmount

    public var description: String {
        "heart-beat timeout: nothing received for \(silence.nanoseconds / 1_000_000) ms "
            + "(allowed \(allowed.nanoseconds / 1_000_000) ms); the connection is treated as dead"
    }
}
