import Crypto
import Foundation
import GatewayAuth
import GatewayWebhooks
import Hummingbird
import Logging
import NIOConcurrencyHelpers
import NIOCore
import STOMPClient

/// The demo shop's backend: the "Buy now" handler that answers with the thank-you page
/// at once (the order number, a personal note and recommendations gathered over STOMP
/// request–reply with a deadline, defaults for whatever is late), a token endpoint for
/// the page's refreshes, the order history after a gap, and the webhook receiver whose
/// log the admin page shows.
final class DemoShop: Sendable {
    let client: STOMPClient
    let requestor: STOMPRequestor
    let hmacSecret: [UInt8]
    let webhookSecret: WebhookSecret
    let logger: Logger
    private let nextOrder = NIOLockedValueBox(Int.random(in: 1000...8999))

    /// How long the thank-you page waits for the note and the recommendations.
    static let gatherDeadline = Duration.milliseconds(400)
    /// Recommendations shown when the service is late.
    static let defaultRecommendations = ["Gift card", "Coffee filters (100)", "Cleaning brush"]
    /// Lifetime of the page's tokens.
    static let tokenLifetime = 600.0

    init(client: STOMPClient, hmacSecret: [UInt8], webhookSecret: WebhookSecret, logger: Logger) {
        self.client = client
        self.requestor = STOMPRequestor(client: client, logger: logger)
        self.hmacSecret = hmacSecret
        self.webhookSecret = webhookSecret
        self.logger = logger
    }

    func addRoutes(to router: Router<BasicRequestContext>) {
        router.get("/") { _, _ in Response(status: .found, headers: [.location: "/web/demo/"]) }
        router.post("/demo/buy") { request, _ in try await self.buy(request) }
        router.get("/demo/thank-you") { request, _ in try await self.thankYouAgain(request) }
        router.get("/demo/token") { request, _ in try await self.token(request) }
        router.get("/demo/orders/:order") { request, context in try await self.history(request, order: context.parameters.get("order") ?? "") }
        router.post("/demo/webhook-receiver") { request, _ in try await self.receiveWebhook(request) }
    }

    // MARK: Buying

    private func buy(_ request: Request) async throws -> Response {
        let form = try await request.body.collect(upTo: 64 * 1024)
        let fields = Self.formFields(String(buffer: form))
        let name = String((fields["name"] ?? "").prefix(40))
        let order = String(
            nextOrder.withLockedValue { value -> Int in
                value += Int.random(in: 1...9)
                return value
            }
        )
        // The first status is published before the page exists: the page shows it from
        // the gateway's retained history.
        let receivedAt = try await DemoPipelineStatus.received(order: order, client: client)
        try await client.send(
            to: DemoPipeline.Names.payment,
            body: "",
            headers: ["order-id": order, "seq": "1", "customer": name, "received-at": String(receivedAt), "persistent": "true"],
            receipt: true
        )
        async let note = ask(DemoPipeline.Names.note, customer: name)
        async let recommendations = ask(DemoPipeline.Names.recommendations, customer: name)
        let (noteReply, recommendationsReply) = await (note, recommendations)
        let picks: [String]
        var late: [String] = []
        if let body = recommendationsReply, let list = try? JSONDecoder().decode([String].self, from: Data(body.utf8)) {
            picks = list
        } else {
            picks = Self.defaultRecommendations
            late.append("recommendations")
        }
        if noteReply == nil { late.append("note") }
        let page = DemoPages.thankYou(
            order: order,
            note: noteReply ?? "Thank you for your order!",
            recommendations: picks,
            late: late,
            token: try await mintToken(order: order),
            proof: proof(order: order)
        )
        return Self.html(page)
    }

    private func thankYouAgain(_ request: Request) async throws -> Response {
        let order = request.uri.queryParameters["order"].map(String.init) ?? ""
        guard Self.isOrderNumber(order), request.uri.queryParameters["proof"].map(String.init) == proof(order: order) else {
            throw HTTPError(.forbidden, message: "unknown order or proof")
        }
        let page = DemoPages.thankYou(
            order: order,
            note: "Welcome back.",
            recommendations: Self.defaultRecommendations,
            late: [],
            token: try await mintToken(order: order),
            proof: proof(order: order)
        )
        return Self.html(page)
    }

    /// A reply within the deadline, or `nil`.
    private func ask(_ destination: String, customer: String) async -> String? {
        do {
            let reply = try await requestor.request(
                to: destination,
                body: ByteBuffer(),
                headers: ["customer": customer],
                timeout: Self.gatherDeadline
            )
            return reply.map { String(buffer: $0.body) }
        } catch {
            logger.debug("demo request failed", metadata: ["destination": "\(destination)", "error": "\(error)"])
            return nil
        }
    }

    // MARK: Tokens and history

    func mintToken(order: String) async throws -> String {
        let now = Date().timeIntervalSince1970
        return try await JWTTokenMinter.mint(
            secret: hmacSecret,
            claims: GatewayClaims(sub: "customer-\(order)", exp: now + Self.tokenLifetime, iat: now, subscribe: [DemoPipeline.Names.topic(order)])
        )
    }

    /// What the page presents to refresh its token: an HMAC of the order number (a real
    /// shop would use the customer's session instead).
    func proof(order: String) -> String {
        let mac = HMAC<SHA256>.authenticationCode(for: Data("order:\(order)".utf8), using: SymmetricKey(data: hmacSecret))
        return mac.map { String(format: "%02x", $0) }.joined()
    }

    private func token(_ request: Request) async throws -> Response {
        let order = request.uri.queryParameters["order"].map(String.init) ?? ""
        guard Self.isOrderNumber(order), request.uri.queryParameters["proof"].map(String.init) == proof(order: order) else {
            throw HTTPError(.forbidden, message: "unknown order or proof")
        }
        let token = try await mintToken(order: order)
        return Response(
            status: .ok,
            headers: [.contentType: "application/json", .cacheControl: "no-store"],
            body: .init(byteBuffer: ByteBuffer(string: "{\"token\":\"\(token)\"}"))
        )
    }

    private func history(_ request: Request, order: String) async throws -> Response {
        guard Self.isOrderNumber(order), request.uri.queryParameters["proof"].map(String.init) == proof(order: order) else {
            throw HTTPError(.forbidden, message: "unknown order or proof")
        }
        let reply = try await requestor.request(
            to: DemoPipeline.Names.history,
            body: ByteBuffer(),
            headers: ["order-id": order],
            timeout: .seconds(2)
        )
        guard let reply else { throw HTTPError(.gatewayTimeout, message: "the order service did not answer in time") }
        return Response(status: .ok, headers: [.contentType: "application/json", .cacheControl: "no-store"], body: .init(byteBuffer: reply.body))
    }

    // MARK: The webhook receiver

    private func receiveWebhook(_ request: Request) async throws -> Response {
        let body = try await request.body.collect(upTo: 1 << 20)
        let id = request.headers[.init("webhook-id")!] ?? ""
        let timestamp = Int64(request.headers[.init("webhook-timestamp")!] ?? "") ?? 0
        let signatures = (request.headers[.init("webhook-signature")!] ?? "").split(separator: " ").map(String.init)
        let expected = WebhookSigner(secrets: [webhookSecret]).signature(id: id, timestamp: timestamp, body: body)
        let valid = signatures.contains(expected) && abs(Date().timeIntervalSince1970 - Double(timestamp)) < 300
        let status = try? JSONDecoder().decode(DemoOrderStore.Status.self, from: Data(buffer: body))
        let summary = status.map { "order \($0.order) #\($0.seq): \($0.status)" } ?? "\(body.readableBytes) bytes"
        let entry: [String: Any] = ["at": DemoPipeline.now(), "webhook_id": id, "valid": valid, "summary": summary]
        let json = try JSONSerialization.data(withJSONObject: entry, options: [.sortedKeys])
        try? await client.send(
            to: "/topic/stomp-gateway.admin.webhook-receiver",
            body: ByteBuffer(bytes: json),
            headers: ["content-type": "application/json"]
        )
        return Response(status: valid ? .noContent : .unauthorized)
    }

    // MARK: Helpers

    static func isOrderNumber(_ text: String) -> Bool { !text.isEmpty && text.count <= 12 && text.allSatisfy(\.isNumber) }

    static func html(_ page: String) -> Response {
        Response(
            status: .ok,
            headers: [.contentType: "text/html; charset=utf-8", .cacheControl: "no-store"],
            body: .init(byteBuffer: ByteBuffer(string: page))
        )
    }

    static func formFields(_ text: String) -> [String: String] {
        var fields: [String: String] = [:]
        for pair in text.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1).map {
                String($0).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? ""
            }
            if let key = parts.first { fields[key] = parts.count > 1 ? parts[1] : "" }
        }
        return fields
    }
}

/// The first status of an order, published by the shop backend itself.
enum DemoPipelineStatus {
    static func received(order: String, client: STOMPClient) async throws -> Int64 {
        let status = DemoOrderStore.Status(order: order, seq: 1, step: "order", status: "Order received", at: DemoPipeline.now(), final: false)
        let body = try JSONEncoder().encode(status)
        try await client.send(
            to: DemoPipeline.Names.topic(order),
            body: ByteBuffer(bytes: body),
            headers: ["content-type": "application/json", "seq": "1"],
            receipt: true
        )
        try await client.send(
            to: DemoPipeline.Names.events,
            body: ByteBuffer(bytes: body),
            headers: ["content-type": "application/json", "order-id": order, "event-id": "\(order)-1", "persistent": "true"],
            receipt: true
        )
        return status.at
    }
}
