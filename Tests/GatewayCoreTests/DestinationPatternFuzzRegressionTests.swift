import GatewayCore
import Testing

/// Inputs FuzzDestinationPattern (Fuzz/) found disagreeing with the byte-level reference
/// matcher; the same inputs are under Fuzz/Regressions/FuzzDestinationPattern/.
@Suite("Destination patterns: fuzz regressions")
struct DestinationPatternFuzzRegressionTests {
    /// `String ==` treats canonically equivalent strings as equal, but the broker
    /// compares bytes: a grant for `/topic/café` (U+00E9) must not open
    /// `/topic/cafe\u{301}` (e + combining acute), another destination.
    @Test func canonicallyEquivalentDestinationIsAnotherDestination() throws {
        let exact = try DestinationPattern("/topic/caf\u{E9}")
        #expect(!exact.matches("/topic/cafe\u{301}"))
        #expect(exact.matches("/topic/caf\u{E9}"))
        let wildcard = try DestinationPattern("/topic/caf\u{E9}.*")
        #expect(!wildcard.matches("/topic/cafe\u{301}.1"))
        #expect(wildcard.matches("/topic/caf\u{E9}.1"))
    }

    /// A combining mark after a separator makes one `Character` with it; splitting by
    /// `Character` hid the separator. Bytes are split instead.
    @Test func combiningMarkAfterSeparator() throws {
        let pattern = try DestinationPattern("/topic/a.*")
        #expect(pattern.matches("/topic/a.\u{301}x"), "the segment after '.' is \\u{301}x")
        #expect(!pattern.matches("/topic/a\u{301}.x"))
        #expect(throws: DestinationPatternError.self) { try DestinationPattern("/topic/*\u{301}") }
    }
}
