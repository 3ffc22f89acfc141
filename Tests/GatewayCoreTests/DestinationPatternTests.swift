import GatewayCore
import Testing

@Suite("Destination patterns")
struct DestinationPatternTests {
    struct Case: Sendable, CustomTestStringConvertible {
        let pattern: String
        let destination: String
        let matches: Bool
        var testDescription: String { "\(pattern) ~ \(destination) → \(matches)" }
    }

    static let cases: [Case] = [
        Case(pattern: "/topic/orders.42", destination: "/topic/orders.42", matches: true),
        Case(pattern: "/topic/orders.42", destination: "/topic/orders.420", matches: false),
        Case(pattern: "/topic/orders.42", destination: "/topic/orders.4", matches: false),
        Case(pattern: "/topic/orders.*", destination: "/topic/orders.42", matches: true),
        Case(pattern: "/topic/orders.*", destination: "/topic/orders", matches: false),
        Case(pattern: "/topic/orders.*", destination: "/topic/orders.", matches: false),
        Case(pattern: "/topic/orders.*", destination: "/topic/orders.42.items", matches: false),
        Case(pattern: "/topic/orders.*", destination: "/topic/orders/42", matches: false),
        Case(pattern: "/topic/*.42", destination: "/topic/orders.42", matches: true),
        Case(pattern: "/topic/*.42", destination: "/topic/orders.43", matches: false),
        Case(pattern: "/topic/**", destination: "/topic/a", matches: true),
        Case(pattern: "/topic/**", destination: "/topic/a/b.c", matches: true),
        Case(pattern: "/topic/**", destination: "/topic/", matches: false),
        Case(pattern: "/topic/**", destination: "/topic", matches: false),
        Case(pattern: "/topic/**", destination: "/queue/a", matches: false),
        Case(pattern: "/topic/orders.**", destination: "/topic/orders.42.items", matches: true),
        Case(pattern: "/topic/orders.**", destination: "/topic/orders/42", matches: false),
        Case(pattern: "/topic/orders.**", destination: "/topic/orders..x", matches: false),
        Case(pattern: "/topic/Orders.42", destination: "/topic/orders.42", matches: false),
        Case(pattern: "/topic/orders.%34%32", destination: "/topic/orders.42", matches: false),
        Case(pattern: "/topic/../queue/a", destination: "/queue/a", matches: false),
    ]

    @Test(arguments: cases)
    func matching(testCase: Case) throws {
        let pattern = try DestinationPattern(testCase.pattern)
        #expect(pattern.matches(testCase.destination) == testCase.matches)
    }

    @Test(arguments: ["", "/topic/ord*", "/topic/**/x", "/topic/a\nb", "/topic/**x"])
    func invalidPatternsAreRefusedWithAReason(text: String) {
        #expect(throws: DestinationPatternError.self) { try DestinationPattern(text) }
    }

    @Test func errorsSayWhatIsWrong() {
        do {
            _ = try DestinationPattern("/topic/ord*")
            Issue.record("accepted a partial wildcard")
        } catch {
            #expect(error.description.contains("whole segment"))
        }
    }

    @Test func exactness() throws {
        #expect(try DestinationPattern("/topic/orders.42").isExact)
        #expect(!(try DestinationPattern("/topic/orders.*").isExact))
    }
}
