import Testing

@testable import GatewayCore

@Suite("Sparse numbering (stream offsets shared by instances)")
struct SparseHistoryTests {
    let now = ContinuousClock.now

    func sequences(_ replay: RetainedHistory<String>.Replay) -> (gap: UInt64?, sequences: [UInt64]) {
        switch replay {
        case .messages(let entries): (nil, entries.map(\.sequence))
        case .gap(let missed, let entries): (missed, entries.map(\.sequence))
        }
    }

    @Test func resumeIsExactAcrossHolesInTheNumbering() {
        // Offsets 10, 14, 30 belong to this destination; the others to other ones.
        var history = RetainedHistory<String>(limits: .init(maxMessages: 10), floor: 5)
        for offset: UInt64 in [10, 14, 30] { history.append("m\(offset)", size: 1, at: now, sequence: offset) }
        #expect(sequences(history.replay(after: 14, at: now)) == (nil, [30]))
        #expect(sequences(history.replay(after: 20, at: now)) == (nil, [30]), "a position between messages is exact")
        #expect(sequences(history.replay(after: 5, at: now)) == (nil, [10, 14, 30]), "from the floor: everything")
        #expect(sequences(history.replay(after: 30, at: now)) == (nil, []))
        #expect(sequences(history.replay(after: 45, at: now)) == (nil, []), "another instance read further: not a gap")
        #expect(sequences(history.replay(after: 2, at: now)) == (0, [10, 14, 30]), "before the floor: unknown gap")
    }

    @Test func evictionTurnsOldPositionsIntoGaps() {
        var history = RetainedHistory<String>(limits: .init(maxMessages: 2), floor: 0)
        for offset: UInt64 in [3, 7, 9] { history.append("m\(offset)", size: 1, at: now, sequence: offset) }
        #expect(sequences(history.replay(after: 7, at: now)) == (nil, [9]))
        #expect(sequences(history.replay(after: 3, at: now)) == (nil, [7, 9]), "the oldest kept message's predecessor is known")
        #expect(sequences(history.replay(after: 1, at: now)) == (0, [7, 9]))
    }

    @Test func messagesReadAgainAreIgnored() {
        var history = RetainedHistory<String>(floor: 0)
        #expect(history.append("a", size: 1, at: now, sequence: 4) == 4)
        #expect(history.append("a again", size: 1, at: now, sequence: 4) == nil)
        #expect(history.append("older", size: 1, at: now, sequence: 2) == nil)
        #expect(history.count == 1)
    }

    @Test func contiguousNumberingKeepsItsExactCounts() {
        var history = RetainedHistory<String>(limits: .init(maxMessages: 2))
        for status in ["a", "b", "c", "d"] { history.append(status, size: 1, at: now) }
        #expect(sequences(history.replay(after: 0, at: now)) == (2, [3, 4]))
        #expect(sequences(history.replay(after: 9, at: now)) == (0, [3, 4]))
    }

    @Test func feedsFromTheSameStreamAgreeOnPositions() {
        // Two instances: A read from offset 0, B joined later at offset 12.
        var a = DestinationFeed<String>(epoch: "sshared", floor: 0)
        var b = DestinationFeed<String>(epoch: "sshared", floor: 11)
        for offset: UInt64 in [4, 12, 20] { a.publish("m\(offset)", size: 1, at: now, sequence: offset) }
        for offset: UInt64 in [12, 20, 25] { b.publish("m\(offset)", size: 1, at: now, sequence: offset) }
        let seenOnA = FeedPosition(epoch: "sshared", sequence: 12)
        guard case .messages(let missed) = b.start(from: seenOnA, at: now) else {
            Issue.record("a position from instance A must resume exactly on B")
            return
        }
        #expect(missed.map(\.sequence) == [20, 25])
        guard case .gap = b.start(from: FeedPosition(epoch: "sshared", sequence: 4), at: now) else {
            Issue.record("a position before B's floor is a gap")
            return
        }
    }
}
