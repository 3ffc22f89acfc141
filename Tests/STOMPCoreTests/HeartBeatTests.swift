import STOMPCore
import Testing

@Suite("Heart-beat header and negotiation")
struct HeartBeatTests {
    struct NegotiationCase: Sendable, CustomTestStringConvertible {
        var client: (Int, Int)
        var server: (Int, Int)
        /// How often the client sends, and how often it expects to hear from the server.
        var clientSend: Int?
        var clientReceive: Int?

        var testDescription: String { "client \(client) server \(server)" }
    }

    // The specification's rule: the client sends every max(cx, sy) ms unless cx or sy is 0,
    // and the server every max(sx, cy) ms unless sx or cy is 0.
    static let negotiationCases: [NegotiationCase] = [
        NegotiationCase(client: (0, 0), server: (0, 0), clientSend: nil, clientReceive: nil),
        NegotiationCase(client: (10_000, 10_000), server: (5_000, 20_000), clientSend: 20_000, clientReceive: 10_000),
        NegotiationCase(client: (4_000, 0), server: (0, 6_000), clientSend: 6_000, clientReceive: nil),
        NegotiationCase(client: (0, 4_000), server: (3_000, 0), clientSend: nil, clientReceive: 4_000),
        NegotiationCase(client: (100, 0), server: (0, 0), clientSend: nil, clientReceive: nil),
        NegotiationCase(client: (0, 0), server: (100, 100), clientSend: nil, clientReceive: nil),
        NegotiationCase(client: (100, 100), server: (0, 0), clientSend: nil, clientReceive: nil),
        NegotiationCase(client: (1, 1), server: (1, 1), clientSend: 1, clientReceive: 1),
        NegotiationCase(client: (5_000, 5_000), server: (1_000, 1_000), clientSend: 5_000, clientReceive: 5_000),
        NegotiationCase(client: (1_000, 1_000), server: (5_000, 5_000), clientSend: 5_000, clientReceive: 5_000),
        NegotiationCase(client: (2_000, 0), server: (3_000, 1_000), clientSend: 2_000, clientReceive: nil),
        NegotiationCase(client: (0, 500), server: (3_000, 1_000), clientSend: nil, clientReceive: 3_000),
    ]

    @Test("negotiation table", arguments: negotiationCases)
    func negotiation(_ testCase: NegotiationCase) {
        let client = STOMPHeartBeat(outgoing: testCase.client.0, incoming: testCase.client.1)
        let server = STOMPHeartBeat(outgoing: testCase.server.0, incoming: testCase.server.1)
        let clientView = STOMPHeartBeat.negotiate(local: client, remote: server)
        #expect(clientView.send == testCase.clientSend)
        #expect(clientView.receive == testCase.clientReceive)
        // The server's view is the mirror image.
        let serverView = STOMPHeartBeat.negotiate(local: server, remote: client)
        #expect(serverView.send == testCase.clientReceive)
        #expect(serverView.receive == testCase.clientSend)
    }

    @Test("the documented example")
    func documentedExample() throws {
        let client = STOMPHeartBeat(outgoing: 10_000, incoming: 10_000)
        let server = try #require(STOMPHeartBeat(headerValue: "5000,20000"))
        let intervals = STOMPHeartBeat.negotiate(local: client, remote: server)
        #expect(intervals.send == 20_000)
        #expect(intervals.receive == 10_000)
    }

    @Test("negotiation is symmetric and never yields 0 for random settings")
    func randomNegotiation() {
        var generator = SeededGenerator(seed: 3)
        for _ in 0..<1_000 {
            let a = STOMPHeartBeat(
                outgoing: Int.random(in: 0...3, using: &generator) * 1_000,
                incoming: Int.random(in: 0...3, using: &generator) * 1_000
            )
            let b = STOMPHeartBeat(
                outgoing: Int.random(in: 0...3, using: &generator) * 1_000,
                incoming: Int.random(in: 0...3, using: &generator) * 1_000
            )
            let ab = STOMPHeartBeat.negotiate(local: a, remote: b)
            let ba = STOMPHeartBeat.negotiate(local: b, remote: a)
            #expect(ab.send == ba.receive)
            #expect(ab.receive == ba.send)
            #expect(ab.send != 0 && ab.receive != 0)
            if let send = ab.send { #expect(send == max(a.outgoing, b.incoming)) }
            #expect((ab.send == nil) == (a.outgoing == 0 || b.incoming == 0))
        }
    }

    @Test("no heart-beats at all: .none")
    func none() {
        #expect(STOMPHeartBeat.none == STOMPHeartBeat(outgoing: 0, incoming: 0))
        #expect(STOMPHeartBeat.none.headerValue == "0,0")
        let intervals = STOMPHeartBeat.negotiate(local: .none, remote: STOMPHeartBeat(outgoing: 10, incoming: 10))
        #expect(intervals.send == nil && intervals.receive == nil)
    }

    @Test(
        "valid header values",
        arguments: [
            ("0,0", 0, 0), ("10000,5000", 10_000, 5_000), ("1,0", 1, 0), ("0,1", 0, 1),
            (" 10 , 20 ", 10, 20), ("007,08", 7, 8), ("86400000,86400000", 86_400_000, 86_400_000),
        ]
    )
    func parse(value: String, outgoing: Int, incoming: Int) throws {
        let heartBeat = try #require(STOMPHeartBeat(headerValue: value))
        #expect(heartBeat.outgoing == outgoing)
        #expect(heartBeat.incoming == incoming)
    }

    @Test(
        "invalid header values are refused",
        arguments: [
            "", ",", "1", "1,", ",1", "1,2,3", "a,b", "1;2", "1.5,2", "-1,0", "0,-1", "+5,0", "0,+5", "-0,0",
            "1 0,0", "0x10,0", "\u{661},0",
        ]
    )
    func invalid(value: String) {
        #expect(STOMPHeartBeat(headerValue: value) == nil)
    }

    @Test(
        "values above the maximum are read as the maximum, so no interval overflows",
        arguments: [
            ("1000,10033333333333330", 1_000, STOMPHeartBeat.maximumMilliseconds),
            ("99999999999999999999,0", STOMPHeartBeat.maximumMilliseconds, 0),
            ("2147483647,2147483648", STOMPHeartBeat.maximumMilliseconds, STOMPHeartBeat.maximumMilliseconds),
            ("9223372036854775807,9223372036854775808", STOMPHeartBeat.maximumMilliseconds, STOMPHeartBeat.maximumMilliseconds),
            ("00000000000000000000000000000005,0", 5, 0),
        ]
    )
    func clamped(value: String, outgoing: Int, incoming: Int) throws {
        let heartBeat = try #require(STOMPHeartBeat(headerValue: value))
        #expect(heartBeat.outgoing == outgoing)
        #expect(heartBeat.incoming == incoming)
        let local = STOMPHeartBeat(outgoing: Int.max, incoming: 1)
        #expect(local.outgoing == STOMPHeartBeat.maximumMilliseconds)
        let intervals = STOMPHeartBeat.negotiate(local: local, remote: heartBeat)
        // What the heart-beat handlers do with an interval: nanoseconds, doubled.
        for interval in [intervals.send, intervals.receive].compactMap({ $0 }) {
            #expect(Int64(interval).multipliedReportingOverflow(by: 2_000_000).overflow == false)
        }
    }

    @Test("format: the header value is cx,cy and parses back")
    func format() {
        let heartBeat = STOMPHeartBeat(outgoing: 4_000, incoming: 250)
        #expect(heartBeat.headerValue == "4000,250")
        #expect(heartBeat.description == "4000,250")
        #expect(STOMPHeartBeat(headerValue: heartBeat.headerValue) == heartBeat)
        var generator = SeededGenerator(seed: 5)
        for _ in 0..<200 {
            let random = STOMPHeartBeat(
                outgoing: Int.random(in: 0...1_000_000, using: &generator),
                incoming: Int.random(in: 0...1_000_000, using: &generator)
            )
            #expect(STOMPHeartBeat(headerValue: random.headerValue) == random)
        }
    }

    @Test("negative settings are treated as 0")
    func negativeClamped() {
        let heartBeat = STOMPHeartBeat(outgoing: -5, incoming: -1)
        #expect(heartBeat == .none)
        #expect(heartBeat.headerValue == "0,0")
    }

    @Test("a heart-beat header read from a parsed CONNECT frame")
    func fromParsedFrame() throws {
        let run = feed([bytes("CONNECT\naccept-version:1.2\nheart-beat:5000,0\n\n\0")])
        guard case .frame(let connect)? = run.packets.first else {
            Issue.record("expected a frame")
            return
        }
        let value = try #require(connect.headers[STOMPHeaderName.heartBeat])
        #expect(STOMPHeartBeat(headerValue: value) == STOMPHeartBeat(outgoing: 5_000, incoming: 0))
    }
}
