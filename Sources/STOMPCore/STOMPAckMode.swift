/// How a subscription's messages are acknowledged (the `ack` header of `SUBSCRIBE`).
public enum STOMPAckMode: String, Sendable, Hashable, CaseIterable {
    /// Messages count as consumed when sent; no `ACK` is expected.
    case auto = "auto"
    /// `ACK`/`NACK` are cumulative: acknowledging a message acknowledges every
    /// earlier message of the same subscription.
    case client = "client"
    /// `ACK`/`NACK` apply to one message only.
    case clientIndividual = "client-individual"
}
