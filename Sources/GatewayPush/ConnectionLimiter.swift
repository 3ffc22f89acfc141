import NIOConcurrencyHelpers

/// Counts open connections, in all and per client address, against their limits.
final class ConnectionLimiter: Sendable {
    enum Refusal: Equatable {
        case global
        case perIP
    }

    private struct State {
        var total = 0
        var perIP: [String: Int] = [:]
    }

    private let maxTotal: Int
    private let maxPerIP: Int
    private let state = NIOLockedValueBox(State())

    init(maxTotal: Int, maxPerIP: Int) {
        self.maxTotal = maxTotal
        self.maxPerIP = maxPerIP
    }

    /// Counts a new connection from `address`, or says which limit refuses it.
    func acquire(_ address: String) -> Refusal? {
        state.withLockedValue { state in
            if state.total >= maxTotal { return .global }
            let current = state.perIP[address] ?? 0
            if current >= maxPerIP { return .perIP }
            state.total += 1
            state.perIP[address] = current + 1
            return nil
        }
    }

    /// A connection from `address` closed.
    func release(_ address: String) {
        state.withLockedValue { state in
            state.total -= 1
            let current = (state.perIP[address] ?? 1) - 1
            state.perIP[address] = current <= 0 ? nil : current
        }
    }

    var total: Int { state.withLockedValue { $0.total } }
}
