import Testing

@testable import GatewayPush

/// Inputs FuzzSSEResume (Fuzz/) found disagreeing with the browsers' form decoding; the
/// same input is under Fuzz/Regressions/FuzzSSEResume/.
@Suite("Query strings: fuzz regressions")
struct QueryStringFuzzRegressionTests {
    /// A combining mark after `=` (or `&`) forms one `Character` with it; splitting by
    /// `Character` missed the separator, so `0Ainintao=\u{6DA}D` became a name.
    @Test func combiningMarkAfterSeparators() throws {
        let parameters = try #require(QueryString.parse("dest=%0D&0Ainintao=\u{6DA}D&0Ax"))
        #expect(parameters.map(\.name) == ["dest", "0Ainintao", "0Ax"])
        #expect(parameters.map(\.value) == ["\r", "\u{6DA}D", ""])
        let split = try #require(QueryString.parse("destination=/topic/a&\u{301}since=all"))
        #expect(split.map(\.name) == ["destination", "\u{301}since"])
    }
}
