import NIOCore
import NIOHTTP1

/// A complete HTTP request for a route the push server does not serve itself
/// (operations, the HTTP API), handed to the ``PushHTTPResponder``.
public struct PushHTTPRequest: Sendable {
    /// Method, URI, headers.
    public var head: HTTPRequestHead
    /// The whole body (at most ``PushSettings/maxRequestBodyBytes``).
    public var body: ByteBuffer
    /// The connection it came on.
    public var channel: any Channel
}

/// The answer to a ``PushHTTPRequest``.
public struct PushHTTPResponse: Sendable {
    /// Status.
    public var status: HTTPResponseStatus
    /// Headers (`content-length` is set by the server).
    public var headers: HTTPHeaders
    /// Body.
    public var body: ByteBuffer

    /// Creates a response.
    public init(status: HTTPResponseStatus, headers: HTTPHeaders = [:], body: ByteBuffer = ByteBuffer()) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// A JSON error `{"error": code, "message": message}`.
    public static func error(_ status: HTTPResponseStatus, _ code: String, _ message: String) -> PushHTTPResponse {
        PushHTTPResponse(
            status: status,
            headers: ["Content-Type": "application/json", "Cache-Control": "no-store"],
            body: ByteBuffer(string: JSONText.errorBody(code, message))
        )
    }
}

/// Answers the routes the push server does not serve itself (GatewayHTTP plugs in the
/// Hummingbird router here).
public typealias PushHTTPResponder = @Sendable (PushHTTPRequest) async -> PushHTTPResponse
