/// A topic subscription with wildcards, as RabbitMQ and ActiveMQ write them: after
/// `/topic/`, words separated by `.`; `*` matches exactly one word, `#` (RabbitMQ) or
/// `>` (ActiveMQ) any number of words.
///
/// ```swift
/// TopicWildcard("/topic/orders.*")!.matches("/topic/orders.42")   // true
/// TopicWildcard("/topic/#")!.matches("/topic/orders.42.items")    // true
/// TopicWildcard("/topic/orders.42")                                // nil: no wildcard
/// ```
struct TopicWildcard: Sendable {
    private let prefix: String
    private let words: [Substring]

    /// `nil` when `name` has no wildcard word.
    init?(_ name: String) {
        guard let slash = name.dropFirst().firstIndex(of: "/") else { return nil }
        let prefix = String(name[...slash])
        let words = name[name.index(after: slash)...].split(separator: ".", omittingEmptySubsequences: false)
        guard words.contains(where: { $0 == "*" || $0 == "#" || $0 == ">" }) else { return nil }
        self.prefix = prefix
        self.words = words
    }

    func matches(_ name: String) -> Bool {
        guard name.hasPrefix(prefix) else { return false }
        let target = name.dropFirst(prefix.count).split(separator: ".", omittingEmptySubsequences: false)
        return Self.match(words[...], target[...])
    }

    private static func match(_ pattern: ArraySlice<Substring>, _ target: ArraySlice<Substring>) -> Bool {
        guard let first = pattern.first else { return target.isEmpty }
        if first == "#" || first == ">" {
            if pattern.count == 1 { return true }
            var rest = target
            while true {
                if match(pattern.dropFirst(), rest) { return true }
                guard !rest.isEmpty else { return false }
                rest = rest.dropFirst()
            }
        }
        guard let word = target.first else { return false }
        return (first == "*" || first == word) && match(pattern.dropFirst(), target.dropFirst())
    }
}
