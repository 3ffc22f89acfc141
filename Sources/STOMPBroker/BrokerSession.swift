import NIOCore
import STOMPCore

/// One connected client as the router sees it: where to write, in which version.
///
/// The router calls ``deliver(_:accounted:)`` from any thread; the frame is encoded
/// and written on the connection's event loop.
final class BrokerSession: Sendable {
    let id: Int
    let channel: any Channel
    let version: STOMPVersion

    init(id: Int, channel: any Channel, version: STOMPVersion) {
        self.id = id
        self.channel = channel
        self.version = version
    }

    /// Writes `frame`; when the write completes, `accounted` bytes are returned to the
    /// router's count of this connection's pending output.
    func deliver(_ frame: STOMPFrame, accounted: Int, router: BrokerRouter) {
        let channel = self.channel
        let version = self.version
        let id = self.id
        let write: @Sendable () -> Void = {
            let bytes = STOMPEncoder.encode(frame, version: version, allocator: channel.allocator)
            channel.writeAndFlush(bytes).whenComplete { _ in
                router.writeCompleted(sessionID: id, bytes: accounted)
            }
        }
        if channel.eventLoop.inEventLoop {
            write()
        } else {
            channel.eventLoop.execute(write)
        }
    }
}
