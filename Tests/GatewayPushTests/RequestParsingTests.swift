import GatewayCore
import Testing

@testable import GatewayPush

/// What browsers send that the gateway parses: query strings, `since` / `Last-Event-ID`,
/// Origin, bearer tokens.
@Suite("Request parsing")
struct RequestParsingTests {
    @Test func queryStringsArePercentDecoded() throws {
        let parameters = try #require(QueryString.parse("destination=%2Ftopic%2Forders.42&destination=/topic/b&access_token=a+b&flag"))
        #expect(parameters.map(\.name) == ["destination", "destination", "access_token", "flag"])
        #expect(parameters.map(\.value) == ["/topic/orders.42", "/topic/b", "a b", ""])
        #expect(QueryString.parse("destination=%2") == nil)
        #expect(QueryString.parse("destination=%zz") == nil)
        #expect(QueryString.parse("destination=%FF") == nil, "invalid UTF-8")
        #expect(QueryString.parse("destination=%0D%0Ax")?.first?.value == "\r\nx", "decoded; the SSE handler refuses control characters")
    }

    @Test(arguments: [
        ("", PushHub.StartPoint.latest), ("latest", .latest), ("all", .all), ("live", .live),
    ])
    func sinceKeywords(text: String, expected: PushHub.StartPoint) {
        #expect(PushHub.StartPoint(since: text.isEmpty ? nil : text) == expected)
    }

    @Test func sincePositions() {
        #expect(PushHub.StartPoint(since: "k3f9a-17") == .after(FeedPosition(epoch: "k3f9a", sequence: 17)!))
        for bad in ["17", "k3f9a-", "-1", "k3f9a-x", "a b-1", "k3f9a-99999999999999999999", "Ω-1"] {
            #expect(PushHub.StartPoint(since: bad) == nil, "\(bad)")
        }
    }

    @Test func originPolicy() {
        let open = OriginPolicy(allowed: [])
        #expect(open.check(origin: nil, host: "gw:8080") == .noOrigin)
        #expect(open.check(origin: "http://gw:8080", host: "gw:8080") == .allowed("http://gw:8080"))
        #expect(open.check(origin: "https://evil.example", host: "gw:8080") == .denied("https://evil.example"))
        #expect(open.check(origin: "http://127.0.0.1", host: "127.0.0.1:8080") == .allowed("http://127.0.0.1"), "same host, another port")
        #expect(open.check(origin: "http://[::1]:3000", host: "[::1]:8080") == .allowed("http://[::1]:3000"))
        #expect(open.check(origin: "http://127.0.0.2", host: "127.0.0.1:8080") == .denied("http://127.0.0.2"))
        let listed = OriginPolicy(allowed: ["https://shop.example"])
        #expect(listed.check(origin: "https://shop.example", host: "gw") == .allowed("https://shop.example"))
        #expect(listed.check(origin: "https://shop.example.evil", host: "gw") == .denied("https://shop.example.evil"))
        #expect(listed.check(origin: "http://gw", host: "gw") == .denied("http://gw"), "a list replaces the same-origin default")
        #expect(OriginPolicy(allowed: ["*"]).check(origin: "https://any.example", host: nil) == .allowed("https://any.example"))
    }

    @Test func bearerTokens() {
        #expect(PushAuthenticator.bearer("Bearer abc.def") == "abc.def")
        #expect(PushAuthenticator.bearer("bearer   abc ") == "abc")
        #expect(PushAuthenticator.bearer("Basic abc") == nil)
        #expect(PushAuthenticator.bearer(nil) == nil)
    }

    @Test func connectionLimiter() {
        let limiter = ConnectionLimiter(maxTotal: 3, maxPerIP: 2)
        #expect(limiter.acquire("a") == nil)
        #expect(limiter.acquire("a") == nil)
        #expect(limiter.acquire("a") == .perIP)
        #expect(limiter.acquire("b") == nil)
        #expect(limiter.acquire("c") == .global)
        limiter.release("a")
        #expect(limiter.acquire("c") == nil)
        #expect(limiter.total == 3)
    }
}
