import STOMPCore
import Testing

@Suite("Versions and commands")
struct VersionTests {
    @Test("versions are ordered 1.0 < 1.1 < 1.2")
    func ordering() {
        #expect(STOMPVersion.v1_0 < .v1_1)
        #expect(STOMPVersion.v1_1 < .v1_2)
        #expect(STOMPVersion.allCases.sorted() == [.v1_0, .v1_1, .v1_2])
        #expect(STOMPVersion.allCases.map(\.description) == ["1.0", "1.1", "1.2"])
        #expect(STOMPVersion.allCases.map(\.webSocketSubprotocol) == ["v10.stomp", "v11.stomp", "v12.stomp"])
    }

    @Test(
        "negotiation picks the highest supported offered version",
        arguments: [
            (nil, STOMPVersion.v1_0), ("1.2", .v1_2), ("1.0,1.1,1.2", .v1_2), ("1.2,1.0", .v1_2), ("1.1", .v1_1),
            ("1.0, 1.1", .v1_1), ("2.0,1.1", .v1_1), ("1.0", .v1_0),
        ] as [(String?, STOMPVersion)]
    )
    func negotiate(acceptVersion: String?, expected: STOMPVersion) {
        #expect(STOMPVersion.negotiate(acceptVersion: acceptVersion) == expected)
    }

    @Test("negotiation fails when no offered version is supported", arguments: ["2.0", "", ",", "1.3,0.9", "v1.2"])
    func noCommonVersion(acceptVersion: String) {
        #expect(STOMPVersion.negotiate(acceptVersion: acceptVersion) == nil)
    }

    @Test("negotiation honours the supported list")
    func supportedList() {
        #expect(STOMPVersion.negotiate(acceptVersion: "1.1,1.2", supported: [.v1_1]) == .v1_1)
        #expect(STOMPVersion.negotiate(acceptVersion: "1.2", supported: [.v1_0, .v1_1]) == nil)
        #expect(STOMPVersion.negotiate(acceptVersion: nil, supported: [.v1_2]) == nil)
    }

    @Test("the accept-version header value")
    func acceptVersionHeader() {
        #expect(STOMPVersion.acceptVersionHeader() == "1.0,1.1,1.2")
        #expect(STOMPVersion.acceptVersionHeader([.v1_2]) == "1.2")
        #expect(STOMPVersion.negotiate(acceptVersion: STOMPVersion.acceptVersionHeader()) == .v1_2)
    }

    @Test("command properties", arguments: STOMPCommand.allCases)
    func commandProperties(command: STOMPCommand) {
        let bodies: Set<STOMPCommand> = [.send, .message, .error]
        let server: Set<STOMPCommand> = [.connected, .message, .receipt, .error]
        #expect(command.allowsBody == bodies.contains(command))
        #expect(command.isClientCommand == !server.contains(command))
        #expect(command.description == command.rawValue)
        #expect(command.rawValue == command.rawValue.uppercased())
    }
}
