import Foundation
import NIOConcurrencyHelpers
import NIOCore
import STOMPBroker
import STOMPClient
import STOMPCore
import STOMPTestSupport
import Testing

extension BrokerKind: CustomTestStringConvertible {
    public var testDescription: String { rawValue }
}

/// Runs `body` with a started broker, or returns quietly when an external broker is
/// not configured (and not required).
func withBroker(
    _ kind: BrokerKind,
    configure: (inout EmbeddedBrokerConfiguration) -> Void = { _ in },
    _ body: (BrokerUnderTest) async throws -> Void
) async throws {
    guard let broker = try await kind.start(configure: configure) else { return }
    do {
        try await body(broker)
    } catch {
        await broker.stop()
        throw error
    }
    await broker.stop()
}

/// The next message of a subscription, or `nil` after `timeout`.
func nextMessage(_ subscription: STOMPSubscription, timeout: Duration = .seconds(10)) async throws -> STOMPMessage? {
    try await withThrowingTaskGroup(of: STOMPMessage?.self) { group in
        group.addTask {
            var iterator = subscription.makeAsyncIterator()
            return try await iterator.next()
        }
        group.addTask {
            try await Task.sleep(for: timeout)
            return nil
        }
        let first = try await group.next() ?? nil
        group.cancelAll()
        return first
    }
}

/// Collects `count` messages, failing after `timeout`.
func collect(_ count: Int, from subscription: STOMPSubscription, timeout: Duration = .seconds(15)) async throws -> [STOMPMessage] {
    var messages: [STOMPMessage] = []
    let deadline = ContinuousClock.now + timeout
    while messages.count < count {
        let remaining = deadline - ContinuousClock.now
        guard remaining > .zero, let message = try await nextMessage(subscription, timeout: remaining) else { break }
        messages.append(message)
    }
    return messages
}

/// Records a client's events from a background task, for tests to wait on.
final class EventRecorder: Sendable {
    private let events = NIOLockedValueBox<[STOMPClientEvent]>([])
    private let task: Task<Void, Never>

    init(_ client: STOMPClient) {
        let events = self.events
        task = Task {
            for await event in client.events { events.withLockedValue { $0.append(event) } }
        }
    }

    deinit { task.cancel() }

    var all: [STOMPClientEvent] { events.withLockedValue { $0 } }

    /// How many events were recorded so far: a mark for ``wait(since:timeout:where:)``.
    var count: Int { events.withLockedValue { $0.count } }

    /// Waits for an event at or after position `since` that matches; returns it.
    func wait(since: Int = 0, timeout: Duration, where predicate: (STOMPClientEvent) -> Bool) async -> STOMPClientEvent? {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            let snapshot = all
            if snapshot.count > since, let match = snapshot[since...].first(where: predicate) { return match }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return nil
    }
}
