import Foundation
import NIOCore
import STOMPBroker
import STOMPClient
import STOMPCore
import STOMPTestSupport
import Testing

/// Request–reply with one reply destination per requestor, against every broker.
@Suite("Request–reply against real brokers", .timeLimit(.minutes(2)))
struct RequestReplyTests {
    /// 1,000 requests in flight at once through one requestor: each caller gets the
    /// reply to its own request.
    @Test(arguments: BrokerKind.allCases)
    func repliesReachTheRightCallerUnderLoad(kind: BrokerKind) async throws {
        try await withBroker(kind) { broker in
            let service = try await broker.connectClient()
            let caller = try await broker.connectClient()
            let queue = TestEnvironment.unique("/queue/echo-")
            let responder = Task {
                try await STOMPResponder.serve(client: service, queue: queue) { request in
                    .init("echo:" + request.bodyString, headers: ["content-type": "text/plain"])
                }
            }
            defer { responder.cancel() }
            let requestor = STOMPRequestor(client: caller)
            try await requestor.start()
            // Let the responder's subscription reach the broker.
            _ = try await requestor.request(to: queue, body: ByteBuffer(string: "warm-up"), timeout: .seconds(10))
            let mismatches = try await withThrowingTaskGroup(of: Bool.self) { group in
                for index in 0..<1000 {
                    group.addTask {
                        let reply = try await requestor.request(to: queue, body: ByteBuffer(string: "r\(index)"), timeout: .seconds(30))
                        return reply.map { String(buffer: $0.body) } == "echo:r\(index)"
                    }
                }
                var mismatches = 0
                for try await matched in group where !matched { mismatches += 1 }
                return mismatches
            }
            #expect(mismatches == 0)
            #expect(requestor.pendingCount == 0)
            await requestor.stop()
            try await caller.disconnect()
            try await service.disconnect()
        }
    }

    /// A reply after the deadline is dropped and counted; the caller got `nil` in time.
    @Test(arguments: BrokerKind.allCases)
    func lateRepliesAreDroppedAndCounted(kind: BrokerKind) async throws {
        try await withBroker(kind) { broker in
            let service = try await broker.connectClient()
            let caller = try await broker.connectClient()
            let queue = TestEnvironment.unique("/queue/slow-")
            let responder = Task {
                try await STOMPResponder.serve(client: service, queue: queue) { request in
                    if request.bodyString == "slow" { try await Task.sleep(for: .milliseconds(800)) }
                    return .init("done")
                }
            }
            defer { responder.cancel() }
            let requestor = STOMPRequestor(client: caller)
            try await requestor.start()
            _ = try await requestor.request(to: queue, body: ByteBuffer(string: "warm-up"), timeout: .seconds(10))
            let started = ContinuousClock.now
            let reply = try await requestor.request(to: queue, body: ByteBuffer(string: "slow"), timeout: .milliseconds(300))
            #expect(reply == nil)
            #expect(ContinuousClock.now - started < .milliseconds(700))
            let deadline = ContinuousClock.now + .seconds(5)
            while requestor.lateReplies == 0 && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(50)) }
            #expect(requestor.lateReplies == 1)
            await requestor.stop()
            try await caller.disconnect()
            try await service.disconnect()
        }
    }

    /// The seed's world: a service written with Debian's ruby-stomp answers our request.
    @Test(arguments: BrokerKind.allCases)
    func rubyStompResponderAnswers(kind: BrokerKind) async throws {
        try await withBroker(kind) { broker in
            let queue = TestEnvironment.unique("/queue/ruby-")
            let script = TestEnvironment.repositoryRoot.appendingPathComponent("scripts/interop/ruby_responder.rb").path
            var environment = ["STOMP_HOST": broker.url.host, "STOMP_PORT": String(broker.url.port), "STOMP_TIMEOUT": "30"]
            if let login = broker.url.login { environment["STOMP_LOGIN"] = login }
            if let passcode = broker.url.passcode { environment["STOMP_PASSCODE"] = passcode }
            let ruby = Task { try await TestEnvironment.runInBackground("ruby", [script, queue, "3"], environment: environment) }
            let caller = try await broker.connectClient()
            let requestor = STOMPRequestor(client: caller)
            try await requestor.start()
            var bodies: [String] = []
            for index in 1...3 {
                // The responder may still be subscribing: retry the first request briefly.
                var reply: STOMPRequestor.Reply?
                for _ in 0..<20 where reply == nil {
                    reply = try await requestor.request(to: queue, body: ByteBuffer(string: "order \(index)"), timeout: .seconds(1))
                }
                bodies.append(reply.map { String(buffer: $0.body) } ?? "(none)")
            }
            #expect(bodies.first == "ruby says: order 1")
            #expect(bodies.last == "ruby says: order 3")
            let result = try await ruby.value
            #expect(result.status == 0, "\(result.output)")
            await requestor.stop()
            try await caller.disconnect()
        }
    }
}
