import NIOCore

/// Sends heart-beats and enforces the peer's, on the raw bytes of a connection.
///
/// Put it between the socket (or TLS) and the ``STOMPFrameDecoder`` once the
/// intervals are known (after `CONNECT`/`CONNECTED`). It writes an EOL whenever
/// nothing was written for the send interval, and closes the channel — after firing
/// ``STOMPHeartBeatTimeoutError`` — when nothing was read for `receive × tolerance`.
///
/// Silence is only held against the peer while the pipeline is asking to read: when
/// a consumer applies back-pressure and stops reading, the clock is paused, so a slow
/// consumer is not mistaken for a dead peer.
public final class STOMPHeartBeatHandler: ChannelDuplexHandler, RemovableChannelHandler {
    public typealias InboundIn = ByteBuffer
    public typealias InboundOut = ByteBuffer
    public typealias OutboundIn = ByteBuffer
    public typealias OutboundOut = ByteBuffer

    /// How much longer than the negotiated receive interval silence is tolerated by
    /// default: twice the interval.
    public static let defaultTolerance = 2.0

    private let sendInterval: TimeAmount?
    private let receiveTimeout: TimeAmount?
    private var lastRead = NIODeadline.now()
    private var lastWrite = NIODeadline.now()
    private var readRequested = true
    private var sendTask: RepeatedTask?
    private var receiveTask: RepeatedTask?

    /// Creates a handler from negotiated intervals (milliseconds, `nil` for none).
    public init(intervals: STOMPHeartBeat.Intervals, tolerance: Double = STOMPHeartBeatHandler.defaultTolerance) {
        sendInterval = intervals.send.map { .milliseconds(Int64($0)) }
        receiveTimeout = intervals.receive.map { .milliseconds(Int64(Double($0) * max(1.0, tolerance))) }
    }

    public func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { start(context: context) }
    }

    public func channelActive(context: ChannelHandlerContext) {
        start(context: context)
        context.fireChannelActive()
    }

    public func handlerRemoved(context: ChannelHandlerContext) {
        stop()
    }

    public func channelInactive(context: ChannelHandlerContext) {
        stop()
        context.fireChannelInactive()
    }

    public func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        lastRead = .now()
        context.fireChannelRead(data)
    }

    public func channelReadComplete(context: ChannelHandlerContext) {
        readRequested = false
        context.fireChannelReadComplete()
    }

    public func read(context: ChannelHandlerContext) {
        if !readRequested {
            readRequested = true
            // The peer's clock starts when we start listening again.
            lastRead = .now()
        }
        context.read()
    }

    public func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        lastWrite = .now()
        context.write(data, promise: promise)
    }

    private func start(context: ChannelHandlerContext) {
        guard sendTask == nil, receiveTask == nil else { return }
        lastRead = .now()
        lastWrite = .now()
        let loopBound = NIOLoopBound(context, eventLoop: context.eventLoop)
        let handler = NIOLoopBound(self, eventLoop: context.eventLoop)
        if let sendInterval {
            // Check at a quarter of the interval so a beat is never late by more than that.
            let period = max(TimeAmount.milliseconds(10), .nanoseconds(sendInterval.nanoseconds / 4))
            sendTask = context.eventLoop.scheduleRepeatedTask(initialDelay: period, delay: period) { _ in
                handler.value.sendIfIdle(context: loopBound.value, interval: sendInterval)
            }
        }
        if let receiveTimeout {
            let period = max(TimeAmount.milliseconds(10), .nanoseconds(receiveTimeout.nanoseconds / 8))
            receiveTask = context.eventLoop.scheduleRepeatedTask(initialDelay: period, delay: period) { _ in
                handler.value.checkReceive(context: loopBound.value, timeout: receiveTimeout)
            }
        }
    }

    private func stop() {
        sendTask?.cancel()
        sendTask = nil
        receiveTask?.cancel()
        receiveTask = nil
    }

    private func sendIfIdle(context: ChannelHandlerContext, interval: TimeAmount) {
        let idle = NIODeadline.now() - lastWrite
        // Send a little early: the peer measures from its own clock.
        guard idle.nanoseconds >= interval.nanoseconds * 3 / 4 else { return }
        lastWrite = .now()
        var beat = context.channel.allocator.buffer(capacity: 1)
        beat.writeInteger(UInt8(ascii: "\n"))
        context.writeAndFlush(wrapOutboundOut(beat), promise: nil)
    }

    private func checkReceive(context: ChannelHandlerContext, timeout: TimeAmount) {
        guard readRequested else { return }
        let silence = NIODeadline.now() - lastRead
        guard silence > timeout else { return }
        stop()
        context.fireErrorCaught(STOMPHeartBeatTimeoutError(silence: silence, allowed: timeout))
        context.close(promise: nil)
    }
}
