import GatewayCore
import Testing

@Suite("Retained history")
struct RetainedHistoryTests {
    let start = ContinuousClock.now

    private func sequences(_ entries: [RetainedHistory<String>.Entry]) -> [UInt64] { entries.map(\.sequence) }

    @Test func numbersMessagesAndReplaysExactlyWhatWasMissed() {
        var history = RetainedHistory<String>()
        for index in 1...8 { history.append("status \(index)", size: 8, at: start) }
        guard case .messages(let missed) = history.replay(after: 3, at: start) else {
            Issue.record("unexpected gap")
            return
        }
        #expect(sequences(missed) == [4, 5, 6, 7, 8])
        #expect(missed.map(\.message) == ["status 4", "status 5", "status 6", "status 7", "status 8"])
        guard case .messages(let nothing) = history.replay(after: 8, at: start) else {
            Issue.record("unexpected gap")
            return
        }
        #expect(nothing.isEmpty)
    }

    @Test func countBoundGivesAGapNotice() {
        var history = RetainedHistory<String>(limits: .init(maxMessages: 3))
        for index in 1...10 { history.append("m\(index)", size: 1, at: start) }
        #expect(history.count == 3)
        #expect(history.evictedCount == 7)
        guard case .gap(let missed, let then) = history.replay(after: 2, at: start) else {
            Issue.record("expected a gap")
            return
        }
        #expect(missed == 5)  // 3…7 are gone
        #expect(sequences(then) == [8, 9, 10])
    }

    @Test func byteAndAgeBoundsKeepTheNewestMessage() {
        var history = RetainedHistory<String>(limits: .init(maxMessages: 100, maxBytes: 10, maxAge: .seconds(60)))
        history.append("big", size: 50, at: start)
        #expect(history.count == 1, "the newest message is kept even beyond maxBytes")
        history.append("next", size: 4, at: start + .seconds(1))
        #expect(sequences(history.latest(10, at: start + .seconds(1))) == [2])
        // Long after maxAge the current status is still there.
        #expect(sequences(history.latest(10, at: start + .seconds(7200))) == [2])
        history.append("a", size: 1, at: start + .seconds(10))
        history.append("b", size: 1, at: start + .seconds(20))
        #expect(sequences(history.latest(10, at: start + .seconds(65))) == [3, 4])
    }

    @Test func positionsFromTheFutureResetTheClient() {
        var history = RetainedHistory<String>()
        history.append("only", size: 4, at: start)
        guard case .gap(let missed, let then) = history.replay(after: 99, at: start) else {
            Issue.record("expected a reset")
            return
        }
        #expect(missed == 0)
        #expect(sequences(then) == [1])
    }

    @Test func emptyHistoryHasNothingToReplay() {
        let history = RetainedHistory<String>()
        guard case .messages(let entries) = history.replay(after: 0, at: start) else {
            Issue.record("unexpected gap")
            return
        }
        #expect(entries.isEmpty)
        #expect(history.lastSequence == 0)
    }
}
