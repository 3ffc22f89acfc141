import GatewayCore
import Testing

@Suite("Feed positions")
struct FeedPositionTests {
    @Test func roundTrips() throws {
        let position = try #require(FeedPosition(epoch: "k3f9a", sequence: 42))
        #expect(position.description == "k3f9a-42")
        #expect(FeedPosition("k3f9a-42") == position)
        #expect(FeedPosition("a_b-0")?.sequence == 0)
    }

    @Test(arguments: [
        "", "-", "42", "abc-", "-42", "abc-4x", "abc-+4", "abc- 4", "a\r\nb-4", "a b-4", "ä-4", "abc-99999999999999999999",
        String(repeating: "a", count: 33) + "-1", "abc-1\n",
    ])
    func refusesAnythingElse(text: String) {
        #expect(FeedPosition(text) == nil)
    }
}
