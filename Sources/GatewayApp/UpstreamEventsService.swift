import GatewayPush
import STOMPClient
import ServiceLifecycle

/// Watches the gateway's broker connection: when it comes back after a loss, the
/// feeds may have missed messages, so every live browser subscriber is told (a gap
/// notice of unknown size).
struct UpstreamEventsService: Service {
    let client: STOMPClient
    let hub: PushHub

    func run() async throws {
        var lost = false
        for await event in client.events.cancelOnGracefulShutdown() {
            switch event.kind {
            case .disconnected: lost = true
            case .resubscribed:
                if lost {
                    lost = false
                    hub.reportUpstreamGap()
                }
            case .closed: return
            default: break
            }
        }
    }
}
