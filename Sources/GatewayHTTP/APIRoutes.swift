import Foundation
import GatewayCore
import GatewayPush
import HTTPTypes
import Hummingbird
import Metrics
import NIOCore

/// The HTTP front door (docs/HTTP-API.md): publish, request–reply and scatter–gather
/// for front ends without a STOMP library.
///
/// - `POST /api/publish` → 202 `{"id": …}` once the broker has the message (its receipt).
/// - `POST /api/request` → 200 with the reply, or 504 at the deadline.
/// - `POST /api/gather` → 200 with every reply that came within the deadline and the
///   given default, marked `timeout`, for the rest.
///
/// Authorised by a token whose `publish` grant covers each destination, or by an API
/// key (`X-API-Key`, from `api.keys`) which may publish anywhere.
public enum APIRoutes {
    /// The settings the routes need.
    public struct Settings: Sendable {
        /// Tokens and public grants.
        public var authenticator: PushAuthenticator
        /// API keys that may publish to any destination.
        public var apiKeys: [String]
        /// The default request timeout. Default 5 s.
        public var defaultTimeout: Duration = .seconds(5)
        /// The longest timeout a caller may ask for. Default 60 s.
        public var maxTimeout: Duration = .seconds(60)
        /// Requests in one gather, at most. Default 32.
        public var maxGather = 32
        /// The largest message body. Default 1 MiB.
        public var maxBodyBytes = 1 << 20

        /// Creates settings.
        public init(authenticator: PushAuthenticator, apiKeys: [String] = []) {
            self.authenticator = authenticator
            self.apiKeys = apiKeys
        }
    }

    /// Destination forms accepted (the broker's own rules apply after these).
    public static let destinationPrefixes = ["/queue/", "/topic/", "/exchange/", "/amq/queue/"]

    /// Adds the routes.
    public static func add<Context: RequestContext>(to router: Router<Context>, settings: Settings, messaging: any GatewayMessaging) {
        router.post("/api/publish") { request, _ in
            await handle("publish") { try await publish(request, settings: settings, messaging: messaging) }
        }
        router.post("/api/request") { request, _ in
            await handle("request") { try await requestReply(request, settings: settings, messaging: messaging) }
        }
        router.post("/api/gather") { request, _ in
            await handle("gather") { try await gather(request, settings: settings, messaging: messaging) }
        }
    }

    // MARK: Errors

    struct Failure: Error {
        let status: HTTPResponse.Status
        let code: String
        let message: String
        var headers: HTTPFields = [:]
    }

    /// Runs a route, turns its errors into JSON answers, and counts it
    /// (`gateway_api_requests_total{route,status}`, `gateway_api_duration_seconds{route}`).
    static func handle(_ route: String, _ body: () async throws -> Response) async -> Response {
        let started = ContinuousClock.now
        let response = await answer(body)
        Counter(label: "gateway_api_requests_total", dimensions: [("route", route), ("status", String(response.status.code))]).increment()
        Metrics.Timer(label: "gateway_api_duration_seconds", dimensions: [("route", route)]).recordNanoseconds(
            (ContinuousClock.now - started).totalNanoseconds
        )
        return response
    }

    static func answer(_ body: () async throws -> Response) async -> Response {
        do {
            return try await body()
        } catch let failure as Failure {
            var headers = failure.headers
            headers[.contentType] = "application/json"
            headers[.cacheControl] = "no-store"
            return Response(
                status: failure.status,
                headers: headers,
                body: ResponseBody(byteBuffer: ByteBuffer(string: errorJSON(failure.code, failure.message)))
            )
        } catch let error as GatewayMessagingError {
            return Response(
                status: error.isUnavailable ? .serviceUnavailable : .badGateway,
                headers: [.contentType: "application/json", .retryAfter: "2"],
                body: ResponseBody(
                    byteBuffer: ByteBuffer(string: errorJSON(error.isUnavailable ? "broker_unavailable" : "broker_refused", error.description))
                )
            )
        } catch {
            return Response(
                status: .internalServerError,
                headers: [.contentType: "application/json"],
                body: ResponseBody(byteBuffer: ByteBuffer(string: errorJSON("internal_error", "\(error)")))
            )
        }
    }

    static func errorJSON(_ code: String, _ message: String) -> String {
        json(["error": code, "message": message])
    }

    static func json(_ object: Any) -> String {
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self) + "\n"
    }

    static func jsonResponse(_ status: HTTPResponse.Status, _ object: Any) -> Response {
        Response(
            status: status,
            headers: [.contentType: "application/json", .cacheControl: "no-store"],
            body: ResponseBody(byteBuffer: ByteBuffer(string: json(object)))
        )
    }

    // MARK: Input

    /// One message to send, from JSON `{"destination", "body", "headers", "timeout", "default"}`.
    struct Outgoing {
        var destination: String
        var body: ByteBuffer
        var headers: [(name: String, value: String)]
        var timeout: Duration?
        var defaultValue: Any?
    }

    static func readJSON(_ request: Request, settings: Settings) async throws -> [String: Any] {
        let buffer: ByteBuffer
        do {
            buffer = try await request.body.collect(upTo: settings.maxBodyBytes + 64 * 1024)
        } catch {
            throw Failure(status: .contentTooLarge, code: "too_large", message: "the request body is larger than \(settings.maxBodyBytes) bytes")
        }
        guard let object = try? JSONSerialization.jsonObject(with: Data(buffer.readableBytesView)), let dictionary = object as? [String: Any] else {
            throw Failure(status: .badRequest, code: "bad_request", message: "the body must be a JSON object (see docs/HTTP-API.md)")
        }
        return dictionary
    }

    static func outgoing(_ object: [String: Any], settings: Settings, field: String = "") throws -> Outgoing {
        guard let destination = object["destination"] as? String, !destination.isEmpty else {
            throw Failure(status: .badRequest, code: "bad_request", message: "\(field)destination is required (a string such as /queue/orders)")
        }
        guard destinationPrefixes.contains(where: { destination.hasPrefix($0) && destination.count > $0.count }),
            !destination.utf8.contains(where: { $0 < 0x20 || $0 == 0x7F }), destination.utf8.count <= 1024
        else {
            throw Failure(
                status: .badRequest,
                code: "bad_destination",
                message:
                    "\(field)destination \(destination.debugDescription) is not a destination form the gateway sends to: use \(destinationPrefixes.map { $0 + "NAME" }.joined(separator: ", "))"
            )
        }
        var body = ByteBuffer()
        switch object["body"] {
        case nil, is NSNull: break
        case let text as String: body = ByteBuffer(string: text)
        case let other?:
            guard JSONSerialization.isValidJSONObject(other) else {
                throw Failure(status: .badRequest, code: "bad_request", message: "\(field)body must be a string or JSON")
            }
            body = ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: other, options: [.sortedKeys]))
        }
        if body.readableBytes > settings.maxBodyBytes {
            throw Failure(status: .contentTooLarge, code: "too_large", message: "\(field)body is larger than \(settings.maxBodyBytes) bytes")
        }
        var headers: [(name: String, value: String)] = []
        if let given = object["headers"] {
            guard let dictionary = given as? [String: Any] else {
                throw Failure(status: .badRequest, code: "bad_request", message: "\(field)headers must be an object of strings")
            }
            for (name, value) in dictionary.sorted(by: { $0.key < $1.key }) {
                guard let text = value as? String ?? (value as? NSNumber)?.stringValue else {
                    throw Failure(status: .badRequest, code: "bad_request", message: "\(field)headers.\(name) must be a string")
                }
                let reserved = [
                    "destination", "reply-to", "correlation-id", "receipt", "content-length", "transaction", "ack", "subscription", "message-id",
                ]
                guard !reserved.contains(name.lowercased()) else {
                    throw Failure(
                        status: .badRequest,
                        code: "bad_request",
                        message: "\(field)headers.\(name) is set by the gateway and cannot be given"
                    )
                }
                guard !name.isEmpty, !(name + text).utf8.contains(where: { $0 < 0x20 && $0 != 0x09 }) else {
                    throw Failure(status: .badRequest, code: "bad_request", message: "\(field)headers.\(name) holds a control character")
                }
                headers.append((name, text))
            }
        }
        if object["body"] != nil, !(object["body"] is String), !headers.contains(where: { $0.name.lowercased() == "content-type" }) {
            headers.append(("content-type", "application/json"))
        }
        var timeout: Duration?
        if let seconds = object["timeout"] {
            timeout = try Self.timeout(seconds, field: "\(field)timeout", settings: settings)
        }
        return Outgoing(destination: destination, body: body, headers: headers, timeout: timeout, defaultValue: object["default"])
    }

    /// A request's `timeout` (seconds, a JSON number greater than 0), at most
    /// `settings.maxTimeout`. The bound is applied before the conversion, so that a
    /// `1e300` is the maximum rather than an overflow (which trapped the process).
    static func timeout(_ value: Any, field: String, settings: Settings) throws -> Duration {
        guard let number = value as? NSNumber, number.doubleValue > 0, number.doubleValue.isFinite else {
            throw Failure(status: .badRequest, code: "bad_request", message: "\(field) must be a number of seconds greater than 0")
        }
        let (seconds, attoseconds) = settings.maxTimeout.components
        let maximum = Double(seconds) + Double(attoseconds) / 1e18
        return number.doubleValue >= maximum ? settings.maxTimeout : .milliseconds(Int64((number.doubleValue * 1000).rounded(.up)))
    }

    // MARK: Access

    static func authorize(_ request: Request, destinations: [String], settings: Settings) async throws {
        if let key = request.headers[HTTPField.Name("X-API-Key")!] {
            guard settings.apiKeys.contains(where: { constantTimeEquals($0, key) }) else {
                throw Failure(status: .unauthorized, code: "invalid_api_key", message: "the API key is not one of api.keys")
            }
            return
        }
        var token: String?
        if let authorization = request.headers[.authorization], authorization.lowercased().hasPrefix("bearer ") {
            token = String(authorization.dropFirst(7)).trimmingCharacters(in: .whitespaces)
        }
        switch await settings.authenticator.authenticate(token) {
        case .failure(let error):
            throw Failure(
                status: .unauthorized,
                code: error.code,
                message: error.message,
                headers: [.wwwAuthenticate: "Bearer error=\"invalid_token\""]
            )
        case .success(let grant):
            for destination in destinations {
                if let denial = grant.grants.check(.publish, destination) {
                    if token == nil {
                        throw Failure(
                            status: .unauthorized,
                            code: "unauthorized",
                            message:
                                "a token with a publish grant (Authorization: Bearer) or an API key (X-API-Key) is required: \(destination) is not public"
                        )
                    }
                    throw Failure(status: .forbidden, code: "forbidden", message: denial.description)
                }
            }
        }
    }

    static func constantTimeEquals(_ a: String, _ b: String) -> Bool {
        PushAuthenticator.constantTimeEquals(a, b)
    }

    // MARK: Routes

    static func publish(_ request: Request, settings: Settings, messaging: any GatewayMessaging) async throws -> Response {
        let message = try outgoing(try await readJSON(request, settings: settings), settings: settings)
        try await authorize(request, destinations: [message.destination], settings: settings)
        let id = UUID().uuidString.lowercased()
        try await messaging.publish(destination: message.destination, headers: message.headers + [("gateway-message-id", id)], body: message.body)
        return jsonResponse(.accepted, ["id": id, "destination": message.destination])
    }

    static func requestReply(_ request: Request, settings: Settings, messaging: any GatewayMessaging) async throws -> Response {
        let message = try outgoing(try await readJSON(request, settings: settings), settings: settings)
        try await authorize(request, destinations: [message.destination], settings: settings)
        let timeout = message.timeout ?? settings.defaultTimeout
        guard
            let reply = try await messaging.request(destination: message.destination, headers: message.headers, body: message.body, timeout: timeout)
        else {
            throw Failure(status: .gatewayTimeout, code: "timeout", message: "no reply from \(message.destination) within \(seconds(timeout)) s")
        }
        return jsonResponse(.ok, replyObject(reply, destination: message.destination))
    }

    static func gather(_ request: Request, settings: Settings, messaging: any GatewayMessaging) async throws -> Response {
        let object = try await readJSON(request, settings: settings)
        guard let list = object["requests"] as? [Any], !list.isEmpty else {
            throw Failure(status: .badRequest, code: "bad_request", message: "requests is required: a list of {destination, body, timeout, default}")
        }
        guard list.count <= settings.maxGather else {
            throw Failure(status: .badRequest, code: "too_many_requests", message: "at most \(settings.maxGather) requests per gather")
        }
        var messages: [Outgoing] = []
        for (index, item) in list.enumerated() {
            guard let dictionary = item as? [String: Any] else {
                throw Failure(status: .badRequest, code: "bad_request", message: "requests[\(index)] must be an object")
            }
            messages.append(try outgoing(dictionary, settings: settings, field: "requests[\(index)]."))
        }
        var overall = settings.defaultTimeout
        if let seconds = object["timeout"] {
            overall = try Self.timeout(seconds, field: "timeout", settings: settings)
        }
        try await authorize(request, destinations: messages.map(\.destination), settings: settings)
        let started = ContinuousClock.now
        let replies = try await withThrowingTaskGroup(of: (Int, GatewayReply?).self) { group in
            for (index, message) in messages.enumerated() {
                let timeout = min(message.timeout ?? overall, overall)
                let (destination, headers, body) = (message.destination, message.headers, message.body)
                group.addTask {
                    (index, try await messaging.request(destination: destination, headers: headers, body: body, timeout: timeout))
                }
            }
            var replies = [GatewayReply?](repeating: nil, count: messages.count)
            for try await (index, reply) in group { replies[index] = reply }
            return replies
        }
        var results: [[String: Any]] = []
        for (index, message) in messages.enumerated() {
            if let reply = replies[index] {
                var result = replyObject(reply, destination: message.destination)
                result["status"] = "ok"
                results.append(result)
            } else {
                results.append(["destination": message.destination, "status": "timeout", "body": message.defaultValue ?? NSNull()])
            }
        }
        let elapsed = ContinuousClock.now - started
        return jsonResponse(.ok, ["results": results, "elapsedMs": Int(seconds(elapsed) * 1000)])
    }

    static func replyObject(_ reply: GatewayReply, destination: String) -> [String: Any] {
        var headers: [String: String] = [:]
        let bookkeeping: Set<String> = ["destination", "subscription", "message-id", "ack", "content-length", "redelivered"]
        for header in reply.headers where !bookkeeping.contains(header.name) && headers[header.name] == nil {
            headers[header.name] = header.value
        }
        var object: [String: Any] = ["destination": destination, "headers": headers]
        if let text = String(validating: Array(reply.body.readableBytesView), as: UTF8.self) {
            object["body"] = text
        } else {
            object["body"] = Data(reply.body.readableBytesView).base64EncodedString()
            object["bodyEncoding"] = "base64"
        }
        return object
    }

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.totalNanoseconds) / 1e9
    }
}
