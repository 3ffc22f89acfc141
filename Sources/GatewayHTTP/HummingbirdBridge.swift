import GatewayPush
import HTTPTypes
import Hummingbird
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1

/// Serves the Hummingbird router's routes on the push server's listener: a
/// ``GatewayPush/PushHTTPResponder`` that turns a complete NIO request into a Hummingbird
/// `Request`, runs the router, and collects the response.
///
/// ```swift
/// let router = Router()
/// OperationsRoutes.add(to: router, registry: registry, readiness: readiness)
/// let responder = HummingbirdBridge.responder(router: router, logger: logger)
/// ```
public enum HummingbirdBridge {
    /// A responder for `router`.
    public static func responder(router: Router<BasicRequestContext>, logger: Logger) -> PushHTTPResponder {
        let routes = router.buildResponder()
        return { request in
            var fields = HTTPFields()
            for header in request.head.headers {
                if let name = HTTPField.Name(header.name) { fields.append(HTTPField(name: name, value: header.value)) }
            }
            let head = HTTPRequest(
                method: HTTPRequest.Method(request.head.method.rawValue) ?? .get,
                scheme: nil,
                authority: request.head.headers.first(name: "host"),
                path: request.head.uri,
                headerFields: fields
            )
            let context = BasicRequestContext(source: ApplicationRequestContextSource(channel: request.channel, logger: logger))
            let response: Response
            do {
                response = try await routes.respond(to: Request(head: head, body: RequestBody(buffer: request.body)), context: context)
            } catch let error as HTTPError {
                return .error(
                    HTTPResponseStatus(statusCode: error.status.code),
                    "http_\(error.status.code)",
                    error.body ?? error.status.reasonPhrase
                )
            } catch {
                return .error(.internalServerError, "internal_error", "the request failed: \(error)")
            }
            let collector = BodyCollector()
            do {
                try await response.body.write(CollectingWriter(collector: collector))
            } catch {
                return .error(.internalServerError, "internal_error", "the response body failed: \(error)")
            }
            var headers = HTTPHeaders()
            for field in response.headers { headers.add(name: field.name.rawName, value: field.value) }
            return PushHTTPResponse(status: HTTPResponseStatus(statusCode: response.status.code), headers: headers, body: collector.buffer)
        }
    }
}

private final class BodyCollector: Sendable {
    private let storage = NIOLockedValueBox(ByteBuffer())
    var buffer: ByteBuffer { storage.withLockedValue { $0 } }
    func append(_ buffer: ByteBuffer) {
        storage.withLockedValue { current in
            var buffer = buffer
            current.writeBuffer(&buffer)
        }
    }
}

private struct CollectingWriter: ResponseBodyWriter {
    let collector: BodyCollector
    mutating func write(_ buffer: ByteBuffer) async throws { collector.append(buffer) }
    consuming func finish(_ trailingHeaders: HTTPFields?) async throws {}
}
