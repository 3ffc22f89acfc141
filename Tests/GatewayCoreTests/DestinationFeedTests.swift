import GatewayCore
import Testing

@Suite("Destination feeds: start and resume")
struct DestinationFeedTests {
    let now = ContinuousClock.now

    private func sequences(_ start: DestinationFeed<String>.Start) -> (gap: UInt64?, sequences: [UInt64]) {
        switch start {
        case .messages(let entries): (nil, entries.map(\.sequence))
        case .gap(let missed, let entries): (missed, entries.map(\.sequence))
        }
    }

    @Test func aNewSubscriberGetsTheCurrentStatus() {
        var feed = DestinationFeed<String>(epoch: "e1")
        #expect(sequences(feed.start(from: nil, at: now)).sequences.isEmpty)
        feed.publish("paid", size: 4, at: now)
        feed.publish("packed", size: 6, at: now)
        let start = sequences(feed.start(from: nil, at: now))
        #expect(start.gap == nil)
        #expect(start.sequences == [2])
    }

    @Test func resumeGetsExactlyWhatWasMissed() {
        var feed = DestinationFeed<String>(epoch: "e1")
        var positions: [FeedPosition] = []
        for index in 1...3 { positions.append(feed.publish("s\(index)", size: 2, at: now)) }
        for index in 4...8 { feed.publish("s\(index)", size: 2, at: now) }
        let start = sequences(feed.start(from: positions[2], at: now))
        #expect(start.gap == nil)
        #expect(start.sequences == [4, 5, 6, 7, 8])
        #expect(feed.position.description == "e1-8")
    }

    @Test func beyondTheWindowIsAGapNotice() {
        var feed = DestinationFeed<String>(epoch: "e1", limits: .init(maxMessages: 4))
        let first = feed.publish("s1", size: 2, at: now)
        for index in 2...10 { feed.publish("s\(index)", size: 2, at: now) }
        let start = sequences(feed.start(from: first, at: now))
        #expect(start.gap == 5)  // 2…6 are gone
        #expect(start.sequences == [7, 8, 9, 10])
    }

    @Test func aPositionFromAnotherEpochResetsTheSubscriber() throws {
        var feed = DestinationFeed<String>(epoch: "e2")
        feed.publish("a", size: 1, at: now)
        feed.publish("b", size: 1, at: now)
        let stale = try #require(FeedPosition("e1-1"))
        let start = sequences(feed.start(from: stale, at: now))
        #expect(start.gap == 0)
        #expect(start.sequences == [1, 2])
    }
}
