import Foundation
import GatewayWebhooks
import Yams

/// Reads `webhooks.routes` from the YAML configuration file: routes and endpoints are
/// mappings keyed by name, so they are read from the file's structure (swift-configuration
/// reads flat keys). Every problem is reported with its full key, e.g.
/// `webhooks.routes.crm.endpoints.main.url`.
///
/// ```yaml
/// webhooks:
///   routes:
///     orders-to-crm:
///       source: /queue/orders.events
///       selector: {type: [paid, shipped]}
///       endpoints:
///         crm:
///           url: https://crm.example.com/hooks/orders
///           secrets: [whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw]
///           ordering_key: order-id
///           retry: {max_attempts: 8}
/// ```
struct WebhookRoutesReader {
    /// Settings of a route.
    static let routeKeys = [
        "source", "durable", "subscription", "selector", "dead_letter", "id_header", "prefetch", "single_active_consumer", "endpoints",
    ]
    /// Settings of an endpoint.
    static let endpointKeys = ["url", "secrets", "secrets_env", "timeout_ms", "max_concurrency", "ordering_key", "retry"]
    /// Settings of a retry policy.
    static let retryKeys = ["max_attempts", "initial_delay_ms", "max_delay_ms", "max_age_seconds", "max_retry_after_seconds"]

    let origin: String
    let environment: [String: String]
    private(set) var issues: [GatewayConfigurationError.Issue] = []

    init(origin: String, environment: [String: String]) {
        self.origin = origin
        self.environment = environment
    }

    /// The routes in the YAML text `text` (the whole configuration file).
    mutating func routes(inFile text: String) -> [WebhookRouteSettings] {
        guard let root = try? Yams.compose(yaml: text), let webhooks = root.mapping?["webhooks"], let routes = webhooks.mapping?["routes"]
        else { return [] }
        if routes.isNullValue { return [] }
        guard let mapping = routes.mapping else {
            report("webhooks.routes", "expected a mapping of route names to routes (name: {source: ..., endpoints: ...})")
            return []
        }
        var result: [WebhookRouteSettings] = []
        for (nameNode, node) in mapping {
            let name = nameNode.string ?? ""
            if let route = route(named: name, node, key: "webhooks.routes.\(name)") { result.append(route) }
        }
        return result
    }

    private mutating func route(named name: String, _ node: Node, key: String) -> WebhookRouteSettings? {
        guard Self.isName(name) else {
            report(key, "a route name may hold letters, digits, '.', '-' and '_' only")
            return nil
        }
        guard let mapping = node.mapping else {
            report(key, "expected a mapping of route settings (\(Self.routeKeys.joined(separator: ", ")))")
            return nil
        }
        checkKeys(mapping, allowed: Self.routeKeys, key: key)
        guard let source = string(mapping["source"], key: "\(key).source") else {
            report("\(key).source", "is required: the queue (/queue/...) or topic (/topic/...) the route reads")
            return nil
        }
        let durable = bool(mapping["durable"], key: "\(key).durable") ?? true
        let selector = selector(mapping["selector"], key: "\(key).selector")
        var endpoints: [WebhookEndpointSettings] = []
        if let endpointNodes = mapping["endpoints"]?.mapping {
            for (endpointName, endpointNode) in endpointNodes {
                let name = endpointName.string ?? ""
                if let endpoint = endpoint(named: name, endpointNode, key: "\(key).endpoints.\(name)") { endpoints.append(endpoint) }
            }
        } else {
            report("\(key).endpoints", "is required: a mapping of endpoint names to endpoints (name: {url: ..., secrets: [...]})")
        }
        let route = WebhookRouteSettings(
            name: name,
            source: source,
            durable: durable,
            subscriptionName: string(mapping["subscription"], key: "\(key).subscription"),
            selector: selector,
            deadLetter: string(mapping["dead_letter"], key: "\(key).dead_letter"),
            idHeader: string(mapping["id_header"], key: "\(key).id_header"),
            prefetch: int(mapping["prefetch"], key: "\(key).prefetch") ?? 256,
            endpoints: endpoints
        )
        var checked = route
        checked.singleActiveConsumer = bool(mapping["single_active_consumer"], key: "\(key).single_active_consumer") ?? false
        do {
            try checked.validate()
        } catch {
            report(key, error.message)
            return nil
        }
        return endpoints.isEmpty ? nil : checked
    }

    private mutating func endpoint(named name: String, _ node: Node, key: String) -> WebhookEndpointSettings? {
        guard Self.isName(name) else {
            report(key, "an endpoint name may hold letters, digits, '.', '-' and '_' only")
            return nil
        }
        guard let mapping = node.mapping else {
            report(key, "expected a mapping of endpoint settings (\(Self.endpointKeys.joined(separator: ", ")))")
            return nil
        }
        checkKeys(mapping, allowed: Self.endpointKeys, key: key)
        let url = string(mapping["url"], key: "\(key).url")
        if url == nil { report("\(key).url", "is required: the http:// or https:// URL deliveries are POSTed to") }
        var secretTexts = strings(mapping["secrets"], key: "\(key).secrets") ?? []
        if let variable = string(mapping["secrets_env"], key: "\(key).secrets_env") {
            if let value = environment[variable], !value.isEmpty {
                secretTexts += value.split(whereSeparator: { $0 == "," || $0 == " " }).map(String.init)
            } else {
                report("\(key).secrets_env", "names the environment variable \(variable), which is not set")
            }
        }
        var secrets: [WebhookSecret] = []
        for (index, text) in secretTexts.enumerated() {
            do { secrets.append(try WebhookSecret(text)) } catch { report("\(key).secrets[\(index)]", error.message) }
        }
        if secretTexts.isEmpty {
            report("\(key).secrets", "at least one signing secret is required (whsec_ and base64; `stomp-gateway webhook-secret` makes one)")
        }
        var retry = WebhookRetryPolicy()
        if let retryNode = mapping["retry"], !retryNode.isNullValue {
            if let retryMapping = retryNode.mapping {
                checkKeys(retryMapping, allowed: Self.retryKeys, key: "\(key).retry")
                retry.maxAttempts = int(retryMapping["max_attempts"], key: "\(key).retry.max_attempts") ?? retry.maxAttempts
                retry.initialDelay =
                    int(retryMapping["initial_delay_ms"], key: "\(key).retry.initial_delay_ms").map { .milliseconds($0) } ?? retry.initialDelay
                retry.maxDelay = int(retryMapping["max_delay_ms"], key: "\(key).retry.max_delay_ms").map { .milliseconds($0) } ?? retry.maxDelay
                retry.maxAge = int(retryMapping["max_age_seconds"], key: "\(key).retry.max_age_seconds").map { .seconds($0) } ?? retry.maxAge
                retry.maxRetryAfter =
                    int(retryMapping["max_retry_after_seconds"], key: "\(key).retry.max_retry_after_seconds").map { .seconds($0) }
                    ?? retry.maxRetryAfter
            } else {
                report("\(key).retry", "expected a mapping (\(Self.retryKeys.joined(separator: ", ")))")
            }
        }
        guard let url, !secretTexts.isEmpty else { return nil }
        let endpoint = WebhookEndpointSettings(
            name: name,
            url: url,
            secrets: secrets,
            timeout: .milliseconds(int(mapping["timeout_ms"], key: "\(key).timeout_ms") ?? 10_000),
            maxConcurrency: int(mapping["max_concurrency"], key: "\(key).max_concurrency") ?? 16,
            orderingKey: string(mapping["ordering_key"], key: "\(key).ordering_key"),
            retry: retry
        )
        guard secrets.count == secretTexts.count else { return nil }
        do {
            try endpoint.validate()
        } catch {
            report(key, error.message)
            return nil
        }
        return endpoint
    }

    private mutating func selector(_ node: Node?, key: String) -> WebhookSelector {
        guard let node, !node.isNullValue else { return WebhookSelector() }
        guard let mapping = node.mapping else {
            report(key, "expected a mapping of header names to a value or a list of values")
            return WebhookSelector()
        }
        var conditions: [String: [String]] = [:]
        for (header, values) in mapping {
            guard let name = header.string, !name.isEmpty else { continue }
            if let list = strings(values, key: "\(key).\(name)") { conditions[name] = list }
        }
        return WebhookSelector(conditions)
    }

    // MARK: Scalars

    private mutating func checkKeys(_ mapping: Node.Mapping, allowed: [String], key: String) {
        for (name, _) in mapping {
            let text = name.string ?? "\(name)"
            guard !allowed.contains(text) else { continue }
            var message = "unknown key"
            if let suggestion = GatewayConfigurationKey.suggestion(for: text, among: allowed) {
                message += "; did you mean '\(suggestion)'?"
            } else {
                message += " (known keys: \(allowed.joined(separator: ", ")))"
            }
            report("\(key).\(text)", message)
        }
    }

    private mutating func string(_ node: Node?, key: String) -> String? {
        guard let node, !node.isNullValue else { return nil }
        guard let scalar = node.scalar else {
            report(key, "expected a single value")
            return nil
        }
        let text = scalar.string.trimmingCharacters(in: .whitespaces)
        return text.isEmpty ? nil : text
    }

    private mutating func strings(_ node: Node?, key: String) -> [String]? {
        guard let node, !node.isNullValue else { return nil }
        if let scalar = node.scalar { return [scalar.string] }
        guard let sequence = node.sequence else {
            report(key, "expected a value or a list of values")
            return nil
        }
        var values: [String] = []
        for item in sequence {
            guard let scalar = item.scalar else {
                report(key, "expected a list of values")
                return nil
            }
            values.append(scalar.string)
        }
        return values
    }

    private mutating func int(_ node: Node?, key: String) -> Int? {
        guard let text = string(node, key: key) else { return nil }
        guard let value = Int(text.replacingOccurrences(of: "_", with: "")) else {
            report(key, "expected a whole number, got '\(text)'")
            return nil
        }
        return value
    }

    private mutating func bool(_ node: Node?, key: String) -> Bool? {
        guard let text = string(node, key: key) else { return nil }
        switch text.lowercased() {
        case "true", "yes", "on": return true
        case "false", "no", "off": return false
        default:
            report(key, "expected true or false, got '\(text)'")
            return nil
        }
    }

    private mutating func report(_ key: String, _ message: String) {
        issues.append(.init(key: key, message: message, origin: origin))
    }

    static func isName(_ name: String) -> Bool {
        !name.isEmpty && name.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "." || $0 == "-" || $0 == "_") }
    }
}

extension Node {
    /// Whether the node is YAML null (`~`, `null`, or nothing).
    fileprivate var isNullValue: Bool {
        guard let scalar, scalar.style == .plain else { return false }
        return ["", "~", "null", "Null", "NULL"].contains(scalar.string)
    }
}
