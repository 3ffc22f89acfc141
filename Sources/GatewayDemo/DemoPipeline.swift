import Foundation
import Logging
import NIOCore
import STOMPClient
import STOMPCore
import ServiceLifecycle

/// The shop's background services, each a STOMP consumer of its own queue on its own
/// connection: payment → stock → shipping, each publishing the order's statuses to
/// `/topic/orders.<id>` (and an event to `/queue/demo.order-events` for the webhook
/// route) after a realistic random delay; plus the services the shop backend asks over
/// request–reply (a personal note, recommendations that are sometimes late, and the
/// order history).
public struct DemoPipeline: Service {
    let client: STOMPClientConfiguration
    let delayScale: Double
    let store: DemoOrderStore
    let logger: Logger

    /// Queues and topics the demo uses.
    enum Names {
        static let payment = "/queue/demo.payment"
        static let stock = "/queue/demo.stock"
        static let shipping = "/queue/demo.shipping"
        static let note = "/queue/demo.note"
        static let recommendations = "/queue/demo.recommendations"
        static let history = "/queue/demo.order-history"
        static let events = "/queue/demo.order-events"
        static func topic(_ order: String) -> String { "/topic/orders.\(order)" }
    }

    struct Step {
        let queue: String
        let statuses: [(step: String, status: String, delay: ClosedRange<Double>)]
        let next: String?
    }

    static let steps: [Step] = [
        Step(queue: Names.payment, statuses: [("payment", "Payment authorised", 0.4...1.6)], next: Names.stock),
        Step(queue: Names.stock, statuses: [("stock", "Items reserved in the warehouse", 0.5...1.8)], next: Names.shipping),
        Step(
            queue: Names.shipping,
            statuses: [("shipping", "Shipping label created", 0.5...1.5), ("shipping", "Handed to the carrier", 0.8...2.0)],
            next: nil
        ),
    ]

    /// The statuses of a complete order, the first one included.
    static let statusCount = 1 + steps.map(\.statuses.count).reduce(0, +)

    init(client: STOMPClientConfiguration, delayScale: Double, store: DemoOrderStore, logger: Logger) {
        self.client = client
        self.delayScale = delayScale
        self.store = store
        self.logger = logger
    }

    public func run() async throws {
        await withTaskGroup(of: Void.self) { group in
            for step in Self.steps {
                group.addTask { await self.keep(name: step.queue) { client in try await self.work(step, client) } }
            }
            group.addTask { await self.keep(name: Names.note) { client in try await self.answerNotes(client) } }
            group.addTask { await self.keep(name: Names.recommendations) { client in try await self.answerRecommendations(client) } }
            group.addTask { await self.keep(name: Names.history) { client in try await self.answerHistory(client) } }
            try? await gracefulShutdown()
            group.cancelAll()
        }
    }

    /// Runs `body` on a connection of its own, again after a failure, until cancelled.
    private func keep(name: String, _ body: @escaping @Sendable (STOMPClient) async throws -> Void) async {
        while !Task.isCancelled {
            do {
                let connection = try STOMPClient(configuration: client, logger: logger)
                try await connection.connect()
                defer { Task { try? await connection.disconnect() } }
                try await body(connection)
            } catch {
                if Task.isCancelled { return }
                logger.debug("demo service restarting", metadata: ["service": "\(name)", "error": "\(error)"])
            }
            try? await Task.sleep(for: .milliseconds(500))
        }
    }

    private func pause(_ range: ClosedRange<Double>) async throws {
        try await Task.sleep(for: .milliseconds(Int64(Double.random(in: range) * delayScale * 1000)))
    }

    private func work(_ step: Step, _ client: STOMPClient) async throws {
        let orders = try await client.subscribe(to: step.queue, ack: .clientIndividual, headers: ["prefetch-count": "50"])
        for try await message in orders {
            let order = message.headers["order-id"] ?? ""
            let name = message.headers["customer"] ?? ""
            if step.queue == Names.payment, let at = message.headers["received-at"].flatMap({ Int64($0) }) {
                // The shop backend published the first status; the history keeps it too.
                store.record(.init(order: order, seq: 1, step: "order", status: "Order received", at: at, final: false))
            }
            // Orders are handled side by side; each is acknowledged once passed on.
            Task {
                do {
                    var seq = Int(message.headers["seq"] ?? "1") ?? 1
                    for status in step.statuses {
                        try await pause(status.delay)
                        seq += 1
                        let final = step.next == nil && status.status == step.statuses.last?.status
                        try await Self.publish(
                            DemoOrderStore.Status(order: order, seq: seq, step: status.step, status: status.status, at: Self.now(), final: final),
                            client: client,
                            store: store
                        )
                    }
                    if let next = step.next {
                        try await client.send(
                            to: next,
                            body: "",
                            headers: ["order-id": order, "seq": String(seq), "customer": name, "persistent": "true"],
                            receipt: true
                        )
                    }
                    try await client.ack(message)
                } catch {
                    logger.warning("demo step failed", metadata: ["queue": "\(step.queue)", "error": "\(error)"])
                }
            }
        }
    }

    /// Publishes a status to the order's topic and its event to the webhook queue, both
    /// confirmed by receipts, and records it.
    static func publish(_ status: DemoOrderStore.Status, client: STOMPClient, store: DemoOrderStore) async throws {
        store.record(status)
        let body = try JSONEncoder().encode(status)
        try await client.send(
            to: Names.topic(status.order),
            body: ByteBuffer(bytes: body),
            headers: ["content-type": "application/json", "seq": String(status.seq)],
            receipt: true
        )
        try await client.send(
            to: Names.events,
            body: ByteBuffer(bytes: body),
            headers: [
                "content-type": "application/json", "order-id": status.order, "event-id": "\(status.order)-\(status.seq)", "persistent": "true",
            ],
            receipt: true
        )
    }

    static func now() -> Int64 { Int64(Date().timeIntervalSince1970 * 1000) }

    private func answerNotes(_ client: STOMPClient) async throws {
        try await STOMPResponder.serve(client: client, queue: Names.note) { request in
            let name = request.headers["customer"].flatMap { $0.isEmpty ? nil : $0 } ?? "friend"
            return .init("Thank you, \(name)! We are packing your order with care.")
        }
    }

    private func answerRecommendations(_ client: STOMPClient) async throws {
        let catalogue = ["Espresso cups (set of 2)", "Burr grinder", "Milk jug", "Single-origin beans, 250 g", "Descaler", "Tamper"]
        let requests = try await client.subscribe(to: Names.recommendations, ack: .auto)
        for try await request in requests {
            guard let replyTo = request.headers[STOMPHeaderName.replyTo] else { continue }
            let correlation = request.headers[STOMPHeaderName.correlationID] ?? ""
            // Sometimes late: the shop answers with its defaults then.
            Task {
                try? await pause(0.05...0.7)
                let picks = Array(catalogue.shuffled().prefix(3))
                let body = (try? JSONEncoder().encode(picks)) ?? Data("[]".utf8)
                try? await client.send(to: replyTo, body: ByteBuffer(bytes: body), headers: ["correlation-id": correlation])
            }
        }
    }

    private func answerHistory(_ client: STOMPClient) async throws {
        try await STOMPResponder.serve(client: client, queue: Names.history) { request in
            let order = request.headers["order-id"] ?? ""
            let body = try JSONEncoder().encode(store.statuses(of: order))
            return .init(body: ByteBuffer(bytes: body), headers: ["content-type": "application/json"])
        }
    }
}
