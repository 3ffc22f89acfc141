/// A reason the embedded broker refuses a frame; it becomes an ERROR frame's message,
/// and the connection is closed after it, as STOMP requires.
struct BrokerError: Error, Sendable, CustomStringConvertible {
    private enum Reason: Sendable {
        case unknownDestination(String)
        case missingHeader(String, command: String)
        case invalidHeader(String, value: String, expected: String)
        case duplicateSubscription(String)
        case unknownSubscription(String)
        case tooManySubscriptions(Int)
        case queueFull(String, limit: String)
        case unknownTransaction(String)
        case duplicateTransaction(String)
        case transactionTooLarge(Int)
        case unexpectedFrame(String)
    }

    private let reason: Reason

    static func unknownDestination(_ name: String) -> BrokerError { .init(reason: .unknownDestination(name)) }
    static func missingHeader(_ name: String, command: String) -> BrokerError { .init(reason: .missingHeader(name, command: command)) }
    static func invalidHeader(_ name: String, value: String, expected: String) -> BrokerError {
        .init(reason: .invalidHeader(name, value: value, expected: expected))
    }
    static func duplicateSubscription(_ id: String) -> BrokerError { .init(reason: .duplicateSubscription(id)) }
    static func unknownSubscription(_ id: String) -> BrokerError { .init(reason: .unknownSubscription(id)) }
    static func tooManySubscriptions(_ limit: Int) -> BrokerError { .init(reason: .tooManySubscriptions(limit)) }
    static func queueFull(_ name: String, limit: String) -> BrokerError { .init(reason: .queueFull(name, limit: limit)) }
    static func unknownTransaction(_ id: String) -> BrokerError { .init(reason: .unknownTransaction(id)) }
    static func duplicateTransaction(_ id: String) -> BrokerError { .init(reason: .duplicateTransaction(id)) }
    static func transactionTooLarge(_ limit: Int) -> BrokerError { .init(reason: .transactionTooLarge(limit)) }
    static func unexpectedFrame(_ command: String) -> BrokerError { .init(reason: .unexpectedFrame(command)) }

    var description: String {
        switch reason {
        case .unknownDestination(let name):
            "unknown destination '\(name)': use /topic/NAME, /queue/NAME, /temp-queue/NAME or /temp-topic/NAME"
        case .missingHeader(let name, let command):
            "missing header '\(name)': \(command) requires it"
        case .invalidHeader(let name, let value, let expected):
            "invalid \(name) '\(value)': expected \(expected)"
        case .duplicateSubscription(let id):
            "subscription id '\(id)' is already in use on this connection"
        case .unknownSubscription(let id):
            "no subscription with id '\(id)' on this connection"
        case .tooManySubscriptions(let limit):
            "too many subscriptions: at most \(limit) per connection (maxSubscriptionsPerConnection)"
        case .queueFull(let name, let limit):
            "queue \(name) is full (\(limit)); the message was not accepted, retry later"
        case .unknownTransaction(let id):
            "unknown transaction '\(id)': BEGIN it first"
        case .duplicateTransaction(let id):
            "transaction '\(id)' is already open"
        case .transactionTooLarge(let limit):
            "transaction too large: at most \(limit) frames (maxTransactionFrames)"
        case .unexpectedFrame(let command):
            "unexpected \(command) frame: a client may not send it"
        }
    }
}
