import DequeModule
import NIOConcurrencyHelpers

/// A bounded hand-over from the connection's event loop to one consumer task.
///
/// ``push(_:)`` never blocks the event loop; it reports when the buffer is full so
/// that the client stops reading from the socket, and ``onDrained`` tells it to read
/// again once the consumer has taken half of it.
final class MessageBuffer<Element: Sendable>: Sendable {
    private struct State {
        var items = Deque<Element>()
        var waiter: CheckedContinuation<Element?, any Error>?
        var finished: (any Error)?? = nil
        var full = false
    }

    private enum NextAction {
        case element(Element, drained: Bool)
        case end((any Error)?)
        case wait
    }

    private let state = NIOLockedValueBox(State())
    private let capacity: Int
    private let onDrained: @Sendable () -> Void

    init(capacity: Int, onDrained: @escaping @Sendable () -> Void) {
        self.capacity = max(1, capacity)
        self.onDrained = onDrained
    }

    /// Adds an element; returns `true` when the buffer is now full.
    @discardableResult
    func push(_ element: Element) -> Bool {
        let (waiter, full): (CheckedContinuation<Element?, any Error>?, Bool) = state.withLockedValue { state in
            guard state.finished == nil else { return (nil, false) }
            if let waiter = state.waiter {
                state.waiter = nil
                return (waiter, false)
            }
            state.items.append(element)
            if state.items.count >= capacity { state.full = true }
            return (nil, state.full)
        }
        waiter?.resume(returning: element)
        return full
    }

    /// Ends the sequence after the buffered elements, with `error` or normally.
    func finish(throwing error: (any Error)? = nil) {
        let waiter: CheckedContinuation<Element?, any Error>? = state.withLockedValue { state in
            guard state.finished == nil else { return nil }
            state.finished = .some(error)
            defer { state.waiter = nil }
            return state.waiter
        }
        if let error { waiter?.resume(throwing: error) } else { waiter?.resume(returning: nil) }
    }

    /// The next element, `nil` at the end.
    func next() async throws -> Element? {
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Element?, any Error>) in
                let action: NextAction = state.withLockedValue { state in
                    if let element = state.items.popFirst() {
                        var drained = false
                        if state.full && state.items.count <= capacity / 2 {
                            state.full = false
                            drained = true
                        }
                        return .element(element, drained: drained)
                    }
                    if let finished = state.finished { return .end(finished) }
                    if Task.isCancelled { return .end(CancellationError()) }
                    state.waiter = continuation
                    return .wait
                }
                switch action {
                case .element(let element, let drained):
                    if drained { onDrained() }
                    continuation.resume(returning: element)
                case .end(let error?):
                    continuation.resume(throwing: error)
                case .end(nil):
                    continuation.resume(returning: nil)
                case .wait:
                    break
                }
            }
        } onCancel: {
            let waiter = state.withLockedValue { state in
                defer { state.waiter = nil }
                return state.waiter
            }
            waiter?.resume(throwing: CancellationError())
        }
    }
}
