import Logging
import ServiceLifecycle
import UnixSignals

/// Catches SIGHUP, which would otherwise end the process at once without draining, and
/// says what it does not do: the configuration is read at start only. A rolling restart
/// applies a change without losing anything (browsers resume, webhooks are redelivered).
/// Webhook endpoints can be enabled and disabled at runtime through the admin API.
struct ReloadNoticeService: Service {
    let logger: Logger

    func run() async throws {
        let signals = await UnixSignalsSequence(trapping: .sighup)
        try? await cancelWhenGracefulShutdown {
            for await _ in signals {
                logger.notice(
                    "SIGHUP: the configuration is read at start only and was not reloaded; restart to apply changes (SIGTERM drains first)"
                )
            }
        }
    }
}
