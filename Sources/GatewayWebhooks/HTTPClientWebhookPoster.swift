import AsyncHTTPClient
import GatewayCore
import NIOCore
import NIOHTTP1

/// POSTs deliveries with async-http-client: connections kept alive and pooled per
/// host, redirects not followed, one deadline per request (connection included).
public final class HTTPClientWebhookPoster: WebhookPoster {
    private let client: HTTPClient
    /// The most response-body bytes kept for failure reports.
    static let excerptLength = 200
    /// The most response-body bytes read (the rest of a larger body is not awaited).
    static let maximumBodyRead = 64 * 1024

    /// A poster whose connection pool holds up to `connectionsPerHost` connections per
    /// receiver host, on `eventLoopGroup`.
    public init(eventLoopGroup: any EventLoopGroup, connectionsPerHost: Int) {
        var configuration = HTTPClient.Configuration(
            redirectConfiguration: .disallow,
            timeout: .init(connect: .seconds(10)),
            connectionPool: .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: max(8, connectionsPerHost)),
            decompression: .disabled
        )
        configuration.httpVersion = .http1Only
        client = HTTPClient(eventLoopGroup: eventLoopGroup, configuration: configuration)
    }

    public func post(_ request: WebhookRequest) async throws(WebhookTransportError) -> WebhookResponse {
        var outbound = HTTPClientRequest(url: request.url)
        outbound.method = .POST
        for header in request.headers { outbound.headers.add(name: header.name, value: header.value) }
        outbound.body = .bytes(request.body)
        let deadline = NIODeadline.now() + .nanoseconds(request.timeout.totalNanoseconds)
        do {
            let response = try await client.execute(outbound, deadline: deadline)
            var excerpt = ByteBuffer()
            var read = 0
            for try await chunk in response.body {
                if excerpt.readableBytes < Self.excerptLength {
                    var slice = chunk
                    if let part = slice.readSlice(length: min(slice.readableBytes, Self.excerptLength - excerpt.readableBytes)) {
                        excerpt.writeImmutableBuffer(part)
                    }
                }
                read += chunk.readableBytes
                if read > Self.maximumBodyRead { break }
            }
            return WebhookResponse(
                status: Int(response.status.code),
                retryAfter: response.headers.first(name: "retry-after"),
                bodyExcerpt: String(decoding: excerpt.readableBytesView, as: UTF8.self)
            )
        } catch {
            throw Self.transportError(error)
        }
    }

    /// Maps async-http-client and NIO errors onto the three transport failures.
    static func transportError(_ error: any Error) -> WebhookTransportError {
        if let error = error as? HTTPClientError {
            switch error {
            case .deadlineExceeded, .readTimeout, .writeTimeout, .getConnectionFromPoolTimeout: return .timeout
            case .connectTimeout: return .connect("connect timeout")
            default: break
            }
        }
        let text = "\(error)"
        if text.contains("connectTimeout") || text.contains("refused") || text.contains("NIOConnectionError")
            || text.contains("DNS")
        {
            return .connect(WebhookHeaders.oneLine(text))
        }
        return .io(WebhookHeaders.oneLine(text))
    }

    /// Closes the pooled connections.
    public func shutdown() async {
        try? await client.shutdown()
    }
}
