import NIOConcurrencyHelpers
import NIOCore
import STOMPCore

/// One connected client as the router sees it: where to write, in which version.
///
/// The router stages frames with ``enqueue(_:accounted:)`` while it holds its lock, so
/// a session's frames keep the order the router decided; ``scheduleDrain(router:)``
/// then hops once to the connection's event loop, which encodes and writes everything
/// staged so far and flushes once.
final class BrokerSession: @unchecked Sendable {
    let id: Int
    let channel: any Channel
    let version: STOMPVersion

    private let outboxLock = NIOLock()
    private var outbox: [(frame: STOMPFrame, accounted: Int)] = []
    private var drainScheduled = false

    init(id: Int, channel: any Channel, version: STOMPVersion) {
        self.id = id
        self.channel = channel
        self.version = version
    }

    /// Stages `frame`; returns `true` when the caller must schedule a drain.
    func enqueue(_ frame: STOMPFrame, accounted: Int) -> Bool {
        outboxLock.withLock {
            outbox.append((frame, accounted))
            if drainScheduled { return false }
            drainScheduled = true
            return true
        }
    }

    func scheduleDrain(router: BrokerRouter) {
        channel.eventLoop.execute { self.drain(router: router) }
    }

    /// On the event loop: writes what is staged, one flush; when the last write
    /// completes, the staged bytes are returned to the router's count.
    private func drain(router: BrokerRouter) {
        let batch = outboxLock.withLock {
            drainScheduled = false
            defer { outbox.removeAll(keepingCapacity: true) }
            return outbox
        }
        guard !batch.isEmpty else { return }
        var accounted = 0
        for (index, item) in batch.enumerated() {
            accounted += item.accounted
            let bytes = STOMPEncoder.encode(item.frame, version: version, allocator: channel.allocator)
            if index == batch.count - 1 {
                let id = self.id
                let total = accounted
                let count = batch.count
                let promise = channel.eventLoop.makePromise(of: Void.self)
                promise.futureResult.whenComplete { _ in router.writeCompleted(sessionID: id, bytes: total, messages: count) }
                channel.write(bytes, promise: promise)
            } else {
                channel.write(bytes, promise: nil)
            }
        }
        channel.flush()
    }
}
