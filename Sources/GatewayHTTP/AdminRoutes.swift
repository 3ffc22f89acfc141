import Foundation
import GatewayWebhooks
import HTTPTypes
import Hummingbird
import NIOCore

/// The admin API (docs/WEBHOOKS.md): webhook endpoint states, recent failures, dead
/// letters, replay, enable and disable. Every route needs one of `admin.keys`, as
/// `Authorization: Bearer <key>` or `X-Admin-Key: <key>`; with no keys configured the
/// admin API answers 403.
///
/// | method and path | answer |
/// |---|---|
/// | `GET /admin` | 302 to the admin page, `/web/admin/` |
/// | `GET /admin/api/webhooks` | `{"routes": [route status]}` |
/// | `GET /admin/api/webhooks/dead-letters` | `{"routes": [{"route", "dead_letter", "recent": [...]}]}` |
/// | `POST /admin/api/webhooks/{route}/replay?endpoint=&limit=` | 202 `{"replay": {...}}` |
/// | `POST /admin/api/webhooks/{route}/endpoints/{endpoint}/enable` | 200 endpoint status |
/// | `POST /admin/api/webhooks/{route}/endpoints/{endpoint}/disable` | 200 endpoint status |
public enum AdminRoutes {
    /// The largest replay in one call. Default limit 1,000.
    public static let maxReplay = 100_000

    /// Adds the routes.
    public static func add<Context: RequestContext>(to router: Router<Context>, keys: [String], webhooks: [WebhookRouteEngine]) {
        let byName = Dictionary(webhooks.map { ($0.settings.name, $0) }, uniquingKeysWith: { first, _ in first })
        // The admin page (web/admin/, served under /web/) reads the admin feed itself.
        router.get("/admin") { _, _ in
            Response(status: .found, headers: [.location: "/web/admin/", .cacheControl: "no-store"])
        }
        router.get("/admin/api/webhooks") { request, _ in
            await APIRoutes.handle("admin") {
                try authorize(request, keys: keys)
                var routes: [WebhookRouteStatus] = []
                for engine in webhooks { routes.append(await engine.status()) }
                return try encoded(.ok, ["routes": routes])
            }
        }
        router.get("/admin/api/webhooks/dead-letters") { request, _ in
            await APIRoutes.handle("admin") {
                try authorize(request, keys: keys)
                var routes: [DeadLetters] = []
                for engine in webhooks {
                    let status = await engine.status()
                    routes.append(DeadLetters(route: status.name, deadLetter: status.deadLetter, recent: status.recentDeadLetters))
                }
                return try encoded(.ok, ["routes": routes])
            }
        }
        router.post("/admin/api/webhooks/:route/replay") { request, context in
            await APIRoutes.handle("admin") {
                try authorize(request, keys: keys)
                let engine = try find(context, byName)
                let endpoint = request.uri.queryParameters["endpoint"].map(String.init)
                let limitText = request.uri.queryParameters["limit"].map(String.init)
                let limit = limitText.flatMap(Int.init) ?? 1_000
                guard (1...maxReplay).contains(limit), limitText == nil || Int(limitText!) != nil else {
                    throw APIRoutes.Failure(status: .badRequest, code: "bad_request", message: "limit must be a whole number from 1 to \(maxReplay)")
                }
                do {
                    let replay = try await engine.replay(endpoint: endpoint, limit: limit)
                    return try encoded(.accepted, ["replay": replay])
                } catch let error as WebhookReplayError {
                    switch error {
                    case .unknownEndpoint: throw APIRoutes.Failure(status: .notFound, code: "not_found", message: error.description)
                    case .endpointDisabled: throw APIRoutes.Failure(status: .conflict, code: "endpoint_disabled", message: error.description)
                    }
                } catch {
                    throw APIRoutes.Failure(
                        status: .serviceUnavailable,
                        code: "broker_unavailable",
                        message: "cannot read the dead letters: \(error)"
                    )
                }
            }
        }
        for (action, enabled) in [("enable", true), ("disable", false)] {
            router.post("/admin/api/webhooks/:route/endpoints/:endpoint/\(action)") { request, context in
                await APIRoutes.handle("admin") {
                    try authorize(request, keys: keys)
                    let engine = try find(context, byName)
                    let name = context.parameters.get("endpoint") ?? ""
                    guard await engine.setEnabled(enabled, endpoint: name) else {
                        throw APIRoutes.Failure(
                            status: .notFound,
                            code: "not_found",
                            message: "no endpoint '\(name)' in route '\(engine.settings.name)'"
                        )
                    }
                    let status = await engine.status().endpoints.first { $0.name == name }
                    return try encoded(.ok, ["endpoint": status])
                }
            }
        }
    }

    struct DeadLetters: Codable {
        var route: String
        var deadLetter: String
        var recent: [WebhookDeadLetterRecord]
    }

    static func find(_ context: some RequestContext, _ engines: [String: WebhookRouteEngine]) throws -> WebhookRouteEngine {
        let name = context.parameters.get("route") ?? ""
        guard let engine = engines[name] else {
            throw APIRoutes.Failure(status: .notFound, code: "not_found", message: "no webhook route '\(name)'")
        }
        return engine
    }

    static func authorize(_ request: Request, keys: [String]) throws {
        guard !keys.isEmpty else {
            throw APIRoutes.Failure(status: .forbidden, code: "admin_disabled", message: "the admin API is off: set admin.keys to use it")
        }
        var given = request.headers[HTTPField.Name("X-Admin-Key")!]
        if given == nil, let authorization = request.headers[.authorization], authorization.lowercased().hasPrefix("bearer ") {
            given = String(authorization.dropFirst(7)).trimmingCharacters(in: .whitespaces)
        }
        guard let given else {
            throw APIRoutes.Failure(
                status: .unauthorized,
                code: "unauthorized",
                message: "an admin key is required (Authorization: Bearer <key> or X-Admin-Key)",
                headers: [.wwwAuthenticate: "Bearer"]
            )
        }
        guard keys.contains(where: { APIRoutes.constantTimeEquals($0, given) }) else {
            throw APIRoutes.Failure(status: .unauthorized, code: "invalid_admin_key", message: "the key is not one of admin.keys")
        }
    }

    static func encoded(_ status: HTTPResponse.Status, _ value: some Encodable) throws -> Response {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        var data = try encoder.encode(value)
        data.append(UInt8(ascii: "\n"))
        return Response(
            status: status,
            headers: [.contentType: "application/json", .cacheControl: "no-store"],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: data))
        )
    }
}
