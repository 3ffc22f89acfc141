import GatewayCore
import Testing

@Suite("Destination grants")
struct DestinationGrantsTests {
    @Test func exactAndWildcardGrants() throws {
        let grants = try DestinationGrants(subscribe: ["/topic/orders.42", "/topic/public.*"], publish: ["/queue/requests"])
        #expect(grants.check(.subscribe, "/topic/orders.42") == nil)
        #expect(grants.check(.subscribe, "/topic/public.news") == nil)
        #expect(grants.check(.publish, "/queue/requests") == nil)
        let denied = try #require(grants.check(.subscribe, "/topic/orders.43"))
        #expect(denied.description.contains("/topic/orders.43"))
        // Subscribe grants do not allow publishing, and the reverse.
        #expect(grants.check(.publish, "/topic/orders.42") != nil)
        #expect(grants.check(.subscribe, "/queue/requests") != nil)
    }

    @Test func nothingIsAllowedByDefault() {
        #expect(DestinationGrants.none.check(.subscribe, "/topic/anything") != nil)
        #expect(DestinationGrants.none.check(.publish, "/topic/anything") != nil)
    }

    @Test func unionAddsPublicGrants() throws {
        let token = try DestinationGrants(subscribe: ["/topic/orders.42"], publish: [])
        let publicGrants = try DestinationGrants(subscribe: ["/topic/news"], publish: [])
        let both = token.union(publicGrants)
        #expect(both.check(.subscribe, "/topic/news") == nil)
        #expect(both.check(.subscribe, "/topic/orders.42") == nil)
        #expect(both.check(.subscribe, "/topic/orders.7") != nil)
    }

    @Test func invalidPatternsAreRefused() {
        #expect(throws: DestinationPatternError.self) { try DestinationGrants(subscribe: ["/topic/ord*"], publish: []) }
    }
}
