import GatewayCore
import GatewayPush
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOEmbedded

/// A broker that takes every SEND and holds no messages.
struct NullUpstream: PushUpstream {
    struct Subscription: PushUpstreamSubscription {
        func cancel() async {}
    }

    struct Refused: Error {}

    var isConnected: Bool { true }

    func subscribe(
        _ destination: String,
        onMessage: @escaping @Sendable (PushUpstreamMessage) -> Void
    ) async throws
        -> any PushUpstreamSubscription
    {
        Subscription()
    }

    func publish(destination: String, headers: [(name: String, value: String)], body: ByteBuffer, receipt: Bool) async throws {
        if destination.hasSuffix(".refused") { throw Refused() }
    }
}

/// Tokens without cryptography: `good…` grants `/topic/**` and `/queue/fuzz.**`,
/// `expired…` has expired, anything else is invalid.
struct FuzzVerifier: TokenVerifying {
    func verify(_ token: String, now: Double) async throws(TokenError) -> AccessGrant {
        if token.hasPrefix("good") {
            let grants = try! DestinationGrants(subscribe: ["/topic/**", "/queue/fuzz.*"], publish: ["/queue/fuzz.**", "/topic/chat.*"])
            return AccessGrant(grants: grants, subject: "fuzz\n:user", expiresAt: now + 3600)
        }
        if token.hasPrefix("expired") { throw .expired }
        throw .invalid("not a fuzz token")
    }
}

/// One hub on one thread-safe testing loop, shared by every input.
enum FuzzGateway {
    static let loop = NIOAsyncTestingEventLoop()

    /// Inputs run so far.
    static let inputs = Counter()

    static let server: PushServer = {
        var settings = PushSettings()
        settings.maxFrameBytes = 4096
        settings.maxSubscriptionsPerConnection = 4
        settings.maxDestinations = 1000
        settings.retain = ["/topic/retained.**"]
        var logger = Logger(label: "fuzz")
        logger.logLevel = .critical
        let publicGrants = try! DestinationGrants(subscribe: ["/topic/public.*"], publish: [])
        return try! PushServer(
            host: "127.0.0.1",
            port: 0,
            settings: settings,
            upstream: NullUpstream(),
            authenticator: PushAuthenticator(verifier: FuzzVerifier(), publicGrants: publicGrants),
            responder: { _ in .error(.notFound, "not_found", "no such route") },
            group: loop,
            logger: logger
        )
    }()
}

/// A count shared by the tasks that run the inputs.
final class Counter: @unchecked Sendable {
    private let lock = NIOLock()
    private var value = 0

    /// Adds `amount` and returns the new count.
    func add(_ amount: Int) -> Int {
        lock.withLock {
            value += amount
            return value
        }
    }
}
