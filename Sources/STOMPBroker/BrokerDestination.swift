/// A destination name understood by the embedded broker.
///
/// - `/topic/NAME`: every subscriber present when a message is sent gets it.
/// - `/queue/NAME`: each message goes to one consumer, round robin, and is kept until
///   consumed.
/// - `/temp-queue/NAME`: a queue owned by the first connection that subscribes to it
///   and deleted (with its messages) when that connection closes; a SEND to one that
///   does not exist is dropped and counted. Use it as a `reply-to` for request–reply,
///   as on RabbitMQ and ActiveMQ.
/// - `/temp-topic/NAME`: a topic under another name, for the same purpose.
struct BrokerDestination: Hashable, Sendable {
    enum Kind: Sendable {
        case topic
        case queue
        case temporaryQueue
        case temporaryTopic
    }

    let name: String
    let kind: Kind

    var isQueue: Bool { kind == .queue || kind == .temporaryQueue }

    init(_ name: String) throws(BrokerError) {
        let kinds: [(String, Kind)] = [
            ("/topic/", .topic), ("/queue/", .queue), ("/temp-queue/", .temporaryQueue), ("/temp-topic/", .temporaryTopic),
        ]
        for (prefix, kind) in kinds where name.hasPrefix(prefix) && name.utf8.count > prefix.utf8.count {
            self.name = name
            self.kind = kind
            return
        }
        throw BrokerError.unknownDestination(name)
    }
}
