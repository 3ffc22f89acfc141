import Crypto
import GatewayCore
import NIOCore
import NIOHTTP1
import NIOSSL
import NIOWebSocket

/// The first handler of every connection after NIO's HTTP/1.1 codec: routes `/stomp`
/// (WebSocket upgrade), `/events` (SSE), `/diagnostics/echo` (a WebSocket echo, only
/// with ``PushSettings/webSocketEcho``) and CORS preflights itself, and hands every
/// other request to the ``PushHTTPResponder``. Enforces the handshake and idle timeouts.
///
/// A WebSocket or SSE connection is taken over by its own handler, inserted at the head
/// of the pipeline (so it reads and writes raw bytes); the HTTP handlers then leave.
final class PushHTTPHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    struct HTTPHandlers {
        let decoder: any RemovableChannelHandler
        let encoder: HTTPResponseEncoder
        let pipelining: HTTPServerPipelineHandler
    }

    private let hub: PushHub
    private let settings: PushSettings
    private let origins: OriginPolicy
    private let responder: PushHTTPResponder
    private let httpHandlers: HTTPHandlers
    private var head: HTTPRequestHead?
    private var body: ByteBuffer?
    private var bodyTooLarge = false
    private var timer: Scheduled<Void>?
    private var takenOver = false
    private var inFlight = false

    init(hub: PushHub, origins: OriginPolicy, responder: @escaping PushHTTPResponder, httpHandlers: HTTPHandlers) {
        self.hub = hub
        self.settings = hub.settings
        self.origins = origins
        self.responder = responder
        self.httpHandlers = httpHandlers
    }

    func handlerAdded(context: ChannelHandlerContext) {
        armTimer(context: context, after: settings.handshakeTimeout, reason: "handshake_timeout")
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        timer?.cancel()
        timer = nil
    }

    private func armTimer(context: ChannelHandlerContext, after duration: Duration, reason: String) {
        timer?.cancel()
        let channel = context.channel
        let metrics = hub.metrics
        timer = context.eventLoop.scheduleTask(in: .nanoseconds(duration.totalNanoseconds)) {
            metrics.rejected(reason)
            channel.close(promise: nil)
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !takenOver else { return }
        switch unwrapInboundIn(data) {
        case .head(let requestHead):
            // The body, if any, must come within the handshake timeout too (a slowloris
            // body would otherwise hold the connection open forever).
            armTimer(context: context, after: settings.handshakeTimeout, reason: "handshake_timeout")
            head = requestHead
            body = nil
            bodyTooLarge = false
        case .body(var chunk):
            guard !bodyTooLarge else { return }
            if (body?.readableBytes ?? 0) + chunk.readableBytes > settings.maxRequestBodyBytes {
                bodyTooLarge = true
                body = nil
            } else if body == nil {
                body = chunk
            } else {
                body!.writeBuffer(&chunk)
            }
        case .end:
            guard let requestHead = head else { return }
            timer?.cancel()
            timer = nil
            head = nil
            route(context: context, requestHead)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if error is HTTPParserError {
            respond(context: context, .error(.badRequest, "bad_request", "malformed HTTP request: \(error)"), keepAlive: false)
        } else {
            context.close(promise: nil)
        }
    }

    // MARK: Routing

    private func route(context: ChannelHandlerContext, _ head: HTTPRequestHead) {
        let uri = head.uri
        let path: Substring
        let query: Substring
        if let mark = uri.firstIndex(of: "?") {
            path = uri[..<mark]
            query = uri[uri.index(after: mark)...]
        } else {
            path = Substring(uri)
            query = ""
        }
        let originDecision = origins.check(origin: head.headers.first(name: "origin"), host: head.headers.first(name: "host"))
        var allowOrigin: String?
        switch originDecision {
        case .noOrigin: allowOrigin = nil
        case .allowed(let origin): allowOrigin = origin
        case .denied(let origin):
            hub.metrics.authDenied("origin")
            hub.metrics.rejected("origin")
            respond(
                context: context,
                .error(.forbidden, "origin_not_allowed", "Origin \(origin) is not allowed (http.allowed_origins)"),
                keepAlive: false
            )
            return
        }
        if head.method == .OPTIONS {
            preflight(context: context, head, allowOrigin: allowOrigin)
            return
        }
        if settings.enabled && path == "/stomp" {
            upgradeWebSocket(context: context, head, query: query, route: .stomp)
        } else if settings.webSocketEcho && path == "/diagnostics/echo" {
            upgradeWebSocket(context: context, head, query: query, route: .echo)
        } else if settings.enabled && path == "/events" {
            openEvents(context: context, head, query: query, allowOrigin: allowOrigin)
        } else {
            forward(context: context, head, allowOrigin: allowOrigin)
        }
    }

    private func preflight(context: ChannelHandlerContext, _ head: HTTPRequestHead, allowOrigin: String?) {
        var response = PushHTTPResponse(status: .noContent)
        if let allowOrigin {
            response.headers.add(name: "Access-Control-Allow-Origin", value: allowOrigin)
            response.headers.add(name: "Access-Control-Allow-Credentials", value: "true")
            response.headers.add(name: "Access-Control-Allow-Methods", value: "GET, POST, OPTIONS")
            response.headers.add(
                name: "Access-Control-Allow-Headers",
                value: head.headers.first(name: "access-control-request-headers") ?? "Authorization, Content-Type, Last-Event-ID"
            )
            response.headers.add(name: "Access-Control-Max-Age", value: "600")
            response.headers.add(name: "Vary", value: "Origin")
        }
        respond(context: context, response, keepAlive: head.isKeepAlive)
    }

    private func forward(context: ChannelHandlerContext, _ head: HTTPRequestHead, allowOrigin: String?) {
        if bodyTooLarge {
            respond(
                context: context,
                .error(.payloadTooLarge, "too_large", "the request body is larger than \(settings.maxRequestBodyBytes) bytes"),
                keepAlive: false
            )
            return
        }
        let request = PushHTTPRequest(head: head, body: body ?? ByteBuffer(), channel: context.channel)
        body = nil
        let responder = self.responder
        inFlight = true
        context.eventLoop.makeFutureWithTask { await responder(request) }
            .assumeIsolated()
            .whenSuccess { [self] response in
                inFlight = false
                var response = response
                if let allowOrigin {
                    response.headers.replaceOrAdd(name: "Access-Control-Allow-Origin", value: allowOrigin)
                    response.headers.replaceOrAdd(name: "Access-Control-Allow-Credentials", value: "true")
                    response.headers.add(name: "Vary", value: "Origin")
                }
                respond(context: context, response, keepAlive: head.isKeepAlive)
            }
    }

    private func respond(context: ChannelHandlerContext, _ response: PushHTTPResponse, keepAlive: Bool) {
        var headers = response.headers
        if let origin = eventsAllowOrigin, !headers.contains(name: "Access-Control-Allow-Origin") {
            // A page on another origin may read why its stream was refused.
            headers.add(name: "Access-Control-Allow-Origin", value: origin)
            headers.add(name: "Access-Control-Allow-Credentials", value: "true")
            headers.add(name: "Vary", value: "Origin")
        }
        headers.replaceOrAdd(name: "Content-Length", value: String(response.body.readableBytes))
        if !headers.contains(name: "Server") { headers.add(name: "Server", value: "stomp-gateway") }
        headers.replaceOrAdd(name: "Connection", value: keepAlive ? "keep-alive" : "close")
        let responseHead = HTTPResponseHead(version: .http1_1, status: response.status, headers: headers)
        context.write(wrapOutboundOut(.head(responseHead)), promise: nil)
        if response.body.readableBytes > 0 {
            context.write(wrapOutboundOut(.body(.byteBuffer(response.body))), promise: nil)
        }
        if keepAlive {
            context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
            armTimer(context: context, after: settings.idleTimeout, reason: "idle_timeout")
        } else {
            let channel = context.channel
            context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in channel.close(promise: nil) }
        }
    }

    // MARK: Tokens and destinations

    private func token(_ head: HTTPRequestHead, _ parameters: [(name: String, value: String)], cookie: Bool) -> String? {
        if let bearer = PushAuthenticator.bearer(head.headers.first(name: "authorization")) { return bearer }
        if let parameter = parameters.first(where: { $0.name == "access_token" })?.value, !parameter.isEmpty { return parameter }
        guard cookie else { return nil }
        for header in head.headers[canonicalForm: "cookie"] {
            for pair in header.split(separator: ";") {
                let parts = pair.split(separator: "=", maxSplits: 1)
                if parts.count == 2, String(parts[0]).trimmedOfSpaces() == settings.tokenCookieName {
                    return String(parts[1]).trimmedOfSpaces()
                }
            }
        }
        return nil
    }

    private static func authFailure(_ error: TokenError) -> PushHTTPResponse {
        var response = PushHTTPResponse.error(.unauthorized, error.code, error.message)
        response.headers.add(name: "WWW-Authenticate", value: "Bearer error=\"invalid_token\"")
        return response
    }

    // MARK: SSE

    /// The allowed Origin of the `/events` request being answered, for its error answers.
    private var eventsAllowOrigin: String?

    private func openEvents(context: ChannelHandlerContext, _ head: HTTPRequestHead, query: Substring, allowOrigin: String?) {
        eventsAllowOrigin = allowOrigin
        guard head.method == .GET else {
            respond(context: context, .error(.methodNotAllowed, "method_not_allowed", "use GET for /events"), keepAlive: false)
            return
        }
        guard let parameters = QueryString.parse(query) else {
            respond(context: context, .error(.badRequest, "bad_request", "the query string is not valid percent-encoded UTF-8"), keepAlive: false)
            return
        }
        let destinations = parameters.filter { $0.name == "destination" }.map(\.value)
        guard !destinations.isEmpty else {
            respond(
                context: context,
                .error(.badRequest, "bad_request", "name at least one destination: /events?destination=/topic/orders.42"),
                keepAlive: false
            )
            return
        }
        guard destinations.count <= settings.maxSubscriptionsPerConnection else {
            hub.metrics.frameRejected("limit")
            respond(
                context: context,
                .error(
                    .badRequest,
                    "too_many_destinations",
                    "at most \(settings.maxSubscriptionsPerConnection) destinations per stream (http.max_subscriptions_per_connection)"
                ),
                keepAlive: false
            )
            return
        }
        if let bad = destinations.first(where: { $0.isEmpty || $0.utf8.contains(where: { $0 < 0x20 || $0 == 0x7F }) || $0.utf8.count > 1024 }) {
            respond(
                context: context,
                .error(.badRequest, "bad_request", "invalid destination \(JSONText.quoted(bad)): empty, too long, or with control characters"),
                keepAlive: false
            )
            return
        }
        guard Set(destinations).count == destinations.count else {
            respond(context: context, .error(.badRequest, "bad_request", "a destination is named twice"), keepAlive: false)
            return
        }
        // Where to start: Last-Event-ID wins over ?since=.
        let lastEventID = head.headers.first(name: "last-event-id")
        let since = lastEventID ?? parameters.first(where: { $0.name == "since" })?.value
        var starts: [PushHub.StartPoint] = Array(repeating: .latest, count: destinations.count)
        if let since, !since.isEmpty {
            let parts = destinations.count == 1 ? [Substring(since)] : since.split(separator: ",", omittingEmptySubsequences: false)
            let parsed = parts.map { PushHub.StartPoint(since: String($0)) }
            if parts.count == 1, let single = parsed[0], destinations.count > 1, case .after = single {
                // One position for several destinations: cannot be placed; treat as unknown.
                starts = Array(repeating: .all, count: destinations.count)
            } else if parts.count == 1, let single = parsed[0] {
                starts = Array(repeating: single, count: destinations.count)
            } else if parts.count == destinations.count, parsed.allSatisfy({ $0 != nil }) {
                starts = parsed.map { $0! }
            } else {
                let field = lastEventID != nil ? "Last-Event-ID" : "since"
                respond(
                    context: context,
                    .error(
                        .badRequest,
                        "bad_request",
                        "invalid \(field): expected latest, all, live, or one position EPOCH-SEQUENCE per destination joined by commas"
                    ),
                    keepAlive: false
                )
                return
            }
        }
        // How idle streams are kept alive: `: heartbeat` comments (the default) or
        // `event: heartbeat`, which a page's EventSource listener can see.
        let heartbeatEvent: Bool
        switch parameters.first(where: { $0.name == "heartbeat" })?.value {
        case nil, "", "comment": heartbeatEvent = false
        case "event": heartbeatEvent = true
        case .some:
            respond(context: context, .error(.badRequest, "bad_request", "invalid heartbeat: expected comment or event"), keepAlive: false)
            return
        }
        let token = self.token(head, parameters, cookie: true)
        let authenticator = hub.authenticator
        timer?.cancel()
        timer = nil
        context.eventLoop.makeFutureWithTask { await authenticator.authenticate(token) }
            .assumeIsolated()
            .whenSuccess { [self] result in
                guard context.channel.isActive else { return }
                switch result {
                case .failure(let error):
                    hub.metrics.authDenied(error.code)
                    respond(context: context, Self.authFailure(error), keepAlive: false)
                case .success(let grant):
                    for destination in destinations {
                        if let denial = grant.grants.check(.subscribe, destination) {
                            hub.metrics.authDenied("forbidden")
                            if token == nil {
                                respond(
                                    context: context,
                                    Self.authFailure(TokenError(code: "unauthorized", "a token is required: \(destination) is not public")),
                                    keepAlive: false
                                )
                            } else {
                                respond(context: context, .error(.forbidden, "forbidden", denial.description), keepAlive: false)
                            }
                            return
                        }
                    }
                    let handler = SSEConnectionHandler(
                        hub: hub,
                        fanout: hub.fanout(for: context.eventLoop),
                        grant: grant,
                        request: .init(
                            destinations: destinations,
                            starts: starts,
                            allowOrigin: allowOrigin,
                            keepAlive: head.isKeepAlive,
                            heartbeatEvent: heartbeatEvent
                        )
                    )
                    takeOver(context: context, with: [handler])
                }
            }
    }

    // MARK: WebSocket

    private static let subprotocols = ["v12.stomp", "v11.stomp", "v10.stomp"]

    /// What a WebSocket upgrade is for: both routes share the handshake, the decoder, the
    /// ``WebSocketProtocolHandler`` and the message limit (`http.max_frame_bytes`).
    private enum WebSocketRoute {
        /// `/stomp`: STOMP sessions, with subprotocols and tokens.
        case stomp
        /// `/diagnostics/echo`: every message sent back (conformance tests); no token.
        case echo
    }

    private func upgradeWebSocket(context: ChannelHandlerContext, _ head: HTTPRequestHead, query: Substring, route: WebSocketRoute) {
        let headers = head.headers
        guard head.method == .GET,
            headers[canonicalForm: "upgrade"].contains(where: { $0.lowercased() == "websocket" })
        else {
            var response = PushHTTPResponse.error(
                .upgradeRequired,
                "upgrade_required",
                route == .stomp
                    ? "/stomp speaks STOMP over WebSocket: open it with a WebSocket client (subprotocol v12.stomp)"
                    : "/diagnostics/echo is a WebSocket echo: open it with a WebSocket client"
            )
            response.headers.add(name: "Upgrade", value: "websocket")
            respond(context: context, response, keepAlive: false)
            return
        }
        guard headers.first(name: "sec-websocket-version") == "13", let key = headers.first(name: "sec-websocket-key"), !key.isEmpty else {
            var response = PushHTTPResponse.error(.badRequest, "bad_request", "WebSocket version 13 and a Sec-WebSocket-Key are required")
            response.headers.add(name: "Sec-WebSocket-Version", value: "13")
            respond(context: context, response, keepAlive: false)
            return
        }
        let offered = headers[canonicalForm: "sec-websocket-protocol"].map { String($0).trimmedOfSpaces() }
        var chosen: String?
        if route == .stomp && !offered.isEmpty {
            chosen = Self.subprotocols.first { offered.contains($0) }
            guard chosen != nil else {
                respond(
                    context: context,
                    .error(
                        .badRequest,
                        "unsupported_subprotocol",
                        "offer one of the subprotocols v12.stomp, v11.stomp, v10.stomp (offered: \(offered.joined(separator: ", ")))"
                    ),
                    keepAlive: false
                )
                return
            }
        }
        let parameters = QueryString.parse(query) ?? []
        let token = route == .stomp ? self.token(head, parameters, cookie: false) : nil
        let authenticator = hub.authenticator
        timer?.cancel()
        timer = nil
        let proceed: (Result<AccessGrant, TokenError>) -> Void = { [self] result in
            guard context.channel.isActive else { return }
            if case .failure(let error) = result {
                hub.metrics.authDenied(error.code)
                respond(context: context, Self.authFailure(error), keepAlive: false)
                return
            }
            var accept = Insecure.SHA1()
            accept.update(data: Array((key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").utf8))
            var response = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            response += "Sec-WebSocket-Accept: \(Base64.encode(Array(accept.finalize())))\r\n"
            if let chosen { response += "Sec-WebSocket-Protocol: \(chosen)\r\n" }
            response += "\r\n"
            let application: any ChannelHandler
            switch route {
            case .stomp:
                application = STOMPWebSocketHandler(hub: hub, fanout: hub.fanout(for: context.eventLoop), upgradeToken: token)
            case .echo:
                application = WebSocketEchoHandler()
            }
            let frameLimit = settings.maxFrameBytes
            takeOver(
                context: context,
                with: [
                    ByteToMessageHandler(WebSocketFrameDecoder(maxFrameSize: min(frameLimit, Int(UInt32.max)))),
                    WebSocketProtocolHandler(maxMessageBytes: frameLimit, metrics: hub.metrics, handshake: ByteBuffer(string: response)),
                    application,
                ]
            )
        }
        if token == nil {
            proceed(.success(.anonymous(.none)))
        } else {
            context.eventLoop.makeFutureWithTask { await authenticator.authenticate(token) }
                .assumeIsolated()
                .whenSuccess(proceed)
        }
    }

    // MARK: Taking over

    /// Puts `handlers` at the head of the pipeline (they read and write raw bytes) and
    /// removes the HTTP handlers.
    private func takeOver(context: ChannelHandlerContext, with handlers: [any ChannelHandler]) {
        takenOver = true
        timer?.cancel()
        timer = nil
        let pipeline = context.pipeline.syncOperations
        do {
            // At the head of the pipeline, or right after TLS when the listener has it.
            let tls = try? pipeline.handler(type: NIOSSLServerHandler.self)
            for handler in handlers.reversed() {
                if let tls {
                    try pipeline.addHandler(handler, position: .after(tls))
                } else {
                    try pipeline.addHandler(handler, position: .first)
                }
            }
        } catch {
            context.close(promise: nil)
            return
        }
        pipeline.removeHandler(httpHandlers.pipelining, promise: nil)
        pipeline.removeHandler(httpHandlers.encoder, promise: nil)
        pipeline.removeHandler(httpHandlers.decoder, promise: nil)
        pipeline.removeHandler(context: context, promise: nil)
    }
}
