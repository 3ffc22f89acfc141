import Hummingbird
import Prometheus

/// The routes operators and orchestrators use:
///
/// - `GET /healthz` — 200 `ok` while the process serves HTTP (liveness).
/// - `GET /readyz` — 200 when every ``ReadinessReport`` check passes, 503 otherwise;
///   a JSON body lists the checks (readiness).
/// - `GET /metrics` — the Prometheus text exposition of the registry.
///
/// ```swift
/// let router = Router()
/// OperationsRoutes.add(to: router, registry: registry) { ReadinessReport(checks: [...]) }
/// ```
public enum OperationsRoutes {
    /// Adds the three routes to `router`.
    public static func add<Context: RequestContext>(
        to router: Router<Context>,
        registry: PrometheusCollectorRegistry,
        readiness: @escaping @Sendable () -> ReadinessReport
    ) {
        router.get("/healthz") { _, _ in
            Response(
                status: .ok,
                headers: [.contentType: "text/plain; charset=utf-8", .cacheControl: "no-store"],
                body: ResponseBody(byteBuffer: ByteBuffer(string: "ok\n"))
            )
        }
        router.get("/readyz") { _, _ in
            let report = readiness()
            return Response(
                status: report.isReady ? .ok : .serviceUnavailable,
                headers: [.contentType: "application/json", .cacheControl: "no-store"],
                body: ResponseBody(byteBuffer: ByteBuffer(string: report.json))
            )
        }
        router.get("/metrics") { _, _ in
            var bytes: [UInt8] = []
            bytes.reserveCapacity(16 * 1024)
            registry.emit(into: &bytes)
            return Response(
                status: .ok,
                headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8", .cacheControl: "no-store"],
                body: ResponseBody(byteBuffer: ByteBuffer(bytes: bytes))
            )
        }
    }
}
