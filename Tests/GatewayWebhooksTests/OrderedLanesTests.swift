import Testing

@testable import GatewayWebhooks

@Suite("Per-key lanes")
struct OrderedLanesTests {
    @Test func sameKeyWaitsOtherKeysGo() {
        var lanes = OrderedLanes<Int>()
        lanes.enqueue(1, key: "a")
        lanes.enqueue(2, key: "a")
        lanes.enqueue(3, key: "b")
        lanes.enqueue(4, key: nil)
        lanes.enqueue(5, key: nil)
        let first = lanes.next()
        #expect(first?.item == 1)
        #expect(lanes.next()?.item == 3)
        #expect(lanes.next()?.item == 4)
        #expect(lanes.next()?.item == 5)
        #expect(lanes.next() == nil)
        #expect(lanes.pendingCount == 1)
        lanes.release(first!.key)
        #expect(lanes.next()?.item == 2)
        #expect(lanes.pendingCount == 0)
    }

    @Test func releaseOfAnIdleLaneChangesNothing() {
        var lanes = OrderedLanes<Int>()
        let key = lanes.enqueue(1, key: "a")
        lanes.release(key)
        #expect(lanes.next()?.item == 1)
        #expect(lanes.next() == nil)
    }

    @Test func randomScheduleKeepsPerKeyOrder() {
        var lanes = OrderedLanes<(key: String, seq: Int)>()
        var generator = SystemRandomNumberGenerator()
        var published: [String: Int] = [:]
        var running: [(item: (key: String, seq: Int), key: OrderedLanes<(key: String, seq: Int)>.Key)] = []
        var seen: [String: Int] = [:]
        for step in 0..<5_000 {
            if step < 4_000, Bool.random(using: &generator) {
                let key = "k\(Int.random(in: 0..<7, using: &generator))"
                let seq = (published[key] ?? 0) + 1
                published[key] = seq
                lanes.enqueue((key, seq), key: key)
            }
            if running.count < 3, let next = lanes.next() {
                #expect(!running.contains { $0.item.key == next.item.key }, "two of one key at once")
                #expect(next.item.seq == (seen[next.item.key] ?? 0) + 1, "out of order")
                seen[next.item.key] = next.item.seq
                running.append(next)
            }
            if !running.isEmpty, Bool.random(using: &generator) {
                let done = running.remove(at: Int.random(in: 0..<running.count, using: &generator))
                lanes.release(done.key)
            }
        }
    }
}
