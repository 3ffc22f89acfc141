import GatewayCore
import Testing

@Suite("Upstream subscriptions")
struct UpstreamSubscriptionsTests {
    let start = ContinuousClock.now

    @Test func oneUpstreamSubscriptionForAThousandWatchers() {
        var table = UpstreamSubscriptions(grace: .seconds(30))
        var actions: [UpstreamSubscriptions.Action] = []
        for _ in 0..<1000 { if let action = table.acquire("/topic/orders.42") { actions.append(action) } }
        #expect(actions == [.subscribe("/topic/orders.42")])
        #expect(table.watchers(of: "/topic/orders.42") == 1000)
        #expect(table.count == 1)
    }

    @Test func releasedAfterTheGracePeriodUnlessSomeoneReturns() {
        var table = UpstreamSubscriptions(grace: .seconds(30))
        _ = table.acquire("/topic/a")
        _ = table.acquire("/topic/b")
        table.release("/topic/a", at: start)
        table.release("/topic/b", at: start)
        #expect(table.expire(at: start + .seconds(10)).isEmpty)
        // A reload within the grace period keeps the subscription, with no new SUBSCRIBE.
        #expect(table.acquire("/topic/a") == nil)
        #expect(table.expire(at: start + .seconds(31)) == [.unsubscribe("/topic/b")])
        #expect(table.destinations == ["/topic/a"])
        // Extra releases are ignored.
        table.release("/topic/a", at: start + .seconds(40))
        table.release("/topic/a", at: start + .seconds(41))
        #expect(table.watchers(of: "/topic/a") == 0)
        #expect(table.expire(at: start + .seconds(70)) == [.unsubscribe("/topic/a")])
        #expect(table.count == 0)
    }
}
