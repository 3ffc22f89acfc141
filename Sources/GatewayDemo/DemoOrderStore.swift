import NIOConcurrencyHelpers

/// The order pipeline's own record of every status it published: the source of truth a
/// page reloads from after a gap in its live feed.
final class DemoOrderStore: Sendable {
    /// One status of an order.
    struct Status: Codable, Sendable, Equatable {
        var order: String
        var seq: Int
        var step: String
        var status: String
        var at: Int64
        var final: Bool
    }

    private let orders = NIOLockedValueBox([String: [Status]]())

    func record(_ status: Status) {
        orders.withLockedValue { $0[status.order, default: []].append(status) }
    }

    func statuses(of order: String) -> [Status] {
        orders.withLockedValue { $0[order] ?? [] }.sorted { $0.seq < $1.seq }
    }
}
