import Configuration
import Foundation
import GatewayCore
import STOMPClient
import STOMPCore

/// Reads each setting through a `ConfigReader` (environment, then file) and checks it,
/// collecting one issue per wrong value instead of stopping at the first. A wrong value
/// leaves the default in place, so that every other setting is still checked.
///
/// Every value is read as text and parsed here, the same way whichever provider
/// supplied it, so that an error can quote what was written.
struct GatewayConfigurationValues {
    /// The environment first, then the file.
    let reader: ConfigReader
    /// The gateway's environment variables, as given to the reader (none empty).
    let environment: [String: String]
    /// The file, if one was given and could be read.
    let file: GatewayConfigurationFile?
    /// What was wrong so far.
    private(set) var issues: [GatewayConfigurationError.Issue] = []

    init(reader: ConfigReader, environment: [String: String], file: GatewayConfigurationFile?) {
        self.reader = reader
        self.environment = environment
        self.file = file
    }

    /// Whether a YAML value means "not set": empty, `~` or `null`.
    static func isNull(_ text: String) -> Bool {
        text.isEmpty || text == "~" || text.lowercased() == "null"
    }

    /// Where the value of `key` comes from: the environment wins over the file.
    func origin(of key: GatewayConfigurationKey) -> String? {
        if environment[key.environmentVariable] != nil { return "environment variable \(key.environmentVariable)" }
        return file?.origin
    }

    /// Records an issue with `key`.
    mutating func report(_ key: GatewayConfigurationKey, _ message: String) {
        issues.append(.init(key: key.name, message: message, origin: origin(of: key)))
    }

    /// Records an issue about no single key.
    mutating func report(_ issue: GatewayConfigurationError.Issue) {
        issues.append(issue)
    }

    /// The text of a single-valued setting, or `nil` when it is not set (absent, or in
    /// the file empty, `~` or `null`).
    mutating func text(_ key: GatewayConfigurationKey) async -> String? {
        let value: String?
        do {
            value = try await reader.fetchString(forKey: ConfigKey(key.name), isSecret: key.isSecret)
        } catch {
            report(key, "expected a single value, got a list")
            return nil
        }
        guard let value else { return nil }
        if environment[key.environmentVariable] == nil && Self.isNull(value) { return nil }
        return value
    }

    /// A host name or address.
    mutating func host(_ key: GatewayConfigurationKey, default defaultValue: String) async -> String {
        guard let text = await text(key) else { return defaultValue }
        guard !text.contains(where: { $0.isWhitespace || $0 == "/" }) else {
            report(key, "'\(text)' is not a host name or IP address (expected e.g. 127.0.0.1, 0.0.0.0 or ::)")
            return defaultValue
        }
        return text
    }

    /// A TCP port, 0–65535 (0 picks a free one).
    mutating func port(_ key: GatewayConfigurationKey, default defaultValue: Int) async -> Int {
        guard let text = await text(key) else { return defaultValue }
        guard let port = Self.integer(text), (0...65535).contains(port) else {
            report(key, "'\(text)' is not a port number (expected 0–65535; 0 picks a free port)")
            return defaultValue
        }
        return port
    }

    /// A whole number of at least 1.
    mutating func count(_ key: GatewayConfigurationKey, default defaultValue: Int, maximum: Int = .max) async -> Int {
        guard let text = await text(key) else { return defaultValue }
        guard let value = Self.integer(text), value >= 1, value <= maximum else {
            let range = maximum == .max ? "1 or more" : "1 to \(maximum)"
            report(key, "'\(text)' is not a positive whole number (expected \(range), e.g. \(defaultValue))")
            return defaultValue
        }
        return value
    }

    /// The longest interval a `…_ms` setting takes: the bound of STOMP heart-beat values
    /// (`Int32.max` ms, about 24.8 days), so that no interval overflows in nanoseconds.
    static let maximumMilliseconds = STOMPHeartBeat.maximumMilliseconds

    /// A number of bytes of at least 1, optionally with a `KiB`, `MiB` or `GiB` suffix.
    mutating func byteCount(_ key: GatewayConfigurationKey, default defaultValue: Int) async -> Int {
        guard let text = await text(key) else { return defaultValue }
        guard let value = Self.bytes(text), value >= 1 else {
            report(
                key,
                "'\(text)' is not a byte count (expected a whole number of 1 or more, optionally with KiB, MiB or GiB, e.g. \(defaultValue) or 64MiB)"
            )
            return defaultValue
        }
        return value
    }

    /// One of a fixed set of words (compared without regard to case).
    mutating func choice<Value>(
        _ key: GatewayConfigurationKey,
        default defaultValue: Value,
        kind: String,
        options: [String],
        parse: (String) -> Value?
    ) async -> Value {
        guard let text = await text(key) else { return defaultValue }
        guard let value = parse(text.lowercased()) else {
            report(key, "'\(text)' is not \(kind) (expected one of \(options.joined(separator: ", ")))")
            return defaultValue
        }
        return value
    }

    /// The broker URLs: a list, one comma-separated string, or a list of such strings.
    /// Each URL that does not parse is an issue of its own; its passcode is not echoed.
    mutating func brokerURLs(_ key: GatewayConfigurationKey) async -> [STOMPBrokerURL] {
        let configKey = ConfigKey(key.name)
        var texts: [String]
        do {
            texts = try await reader.fetchStringArray(forKey: configKey, isSecret: true) ?? []
        } catch {
            // The file holds a single string rather than a list.
            do {
                texts = try await reader.fetchString(forKey: configKey, isSecret: true).map { [$0] } ?? []
            } catch {
                report(key, "expected a list of broker URLs, or one string of URLs separated by commas")
                return []
            }
        }
        var urls: [STOMPBrokerURL] = []
        let items = texts.flatMap { $0.split(separator: ",") }.map { $0.trimmingCharacters(in: .whitespaces) }
        for text in items where !Self.isNull(text) {
            do {
                urls.append(try STOMPBrokerURL(text))
            } catch {
                let shown = Self.redactingPasscode(text)
                var reason = "\(error)".replacingOccurrences(of: text, with: shown)
                let prefix = "invalid broker URL '\(shown)': "
                if reason.hasPrefix(prefix) { reason.removeFirst(prefix.count) }
                report(
                    key,
                    "'\(shown)' is not a broker URL: \(reason) (expected stomp://[login:passcode@]host[:port][?host=VHOST], stomp+ssl:// for TLS)"
                )
            }
        }
        return urls
    }

    /// A list of strings: a YAML list, or one string of items separated by commas.
    mutating func list(_ key: GatewayConfigurationKey) async -> [String]? {
        let configKey = ConfigKey(key.name)
        var texts: [String]
        do {
            guard let array = try await reader.fetchStringArray(forKey: configKey, isSecret: key.isSecret) else { return nil }
            texts = array
        } catch {
            do {
                guard let single = try await reader.fetchString(forKey: configKey, isSecret: key.isSecret) else { return nil }
                if environment[key.environmentVariable] == nil && Self.isNull(single) { return nil }
                texts = [single]
            } catch {
                report(key, "expected a list of strings, or one string of items separated by commas")
                return nil
            }
        }
        return texts.flatMap { $0.split(separator: ",") }.map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    /// A list of destination patterns (`*` one segment, trailing `**` any).
    mutating func patterns(_ key: GatewayConfigurationKey, default defaultValue: [String]) async -> [String] {
        guard let items = await list(key) else { return defaultValue }
        var valid: [String] = []
        for item in items {
            do {
                _ = try DestinationPattern(item)
                valid.append(item)
            } catch {
                report(key, "'\(item)' is not a destination pattern: \(error)")
            }
        }
        return valid
    }

    /// A number of seconds greater than 0 (fractions allowed).
    mutating func seconds(_ key: GatewayConfigurationKey, default defaultValue: Double) async -> Double {
        guard let text = await text(key) else { return defaultValue }
        guard let value = Double(text.trimmingCharacters(in: .whitespaces)), value > 0, value <= Self.maximumSeconds else {
            report(key, "'\(text)' is not a number of seconds (expected more than 0 and at most 31536000, a year; e.g. \(defaultValue))")
            return defaultValue
        }
        return value
    }

    /// The longest duration a `…_seconds` setting takes: a year, so that every
    /// duration converts to nanoseconds (and twice that) without overflow.
    static let maximumSeconds = 31_536_000.0

    /// A whole number of 0 or more.
    mutating func nonNegative(_ key: GatewayConfigurationKey, default defaultValue: Int, maximum: Int = .max) async -> Int {
        guard let text = await text(key) else { return defaultValue }
        guard let value = Self.integer(text), value >= 0, value <= maximum else {
            let range = maximum == .max ? "0 or more" : "0 to \(maximum)"
            report(key, "'\(text)' is not a whole number of \(range) (e.g. \(defaultValue))")
            return defaultValue
        }
        return value
    }

    /// An integer written in decimal, with optional `_` between digits (`67_108_864`).
    static func integer(_ text: String) -> Int? {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        guard !trimmed.hasPrefix("_"), !trimmed.hasSuffix("_"), !trimmed.contains("__") else { return nil }
        return Int(trimmed.replacingOccurrences(of: "_", with: ""))
    }

    /// A byte count: an integer, optionally followed by `KiB`, `MiB` or `GiB`.
    static func bytes(_ text: String) -> Int? {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        let units: [(suffix: String, factor: Int)] = [("kib", 1 << 10), ("mib", 1 << 20), ("gib", 1 << 30)]
        for unit in units where trimmed.lowercased().hasSuffix(unit.suffix) {
            guard let number = integer(String(trimmed.dropLast(unit.suffix.count))) else { return nil }
            let (product, overflow) = number.multipliedReportingOverflow(by: unit.factor)
            return overflow ? nil : product
        }
        return integer(trimmed)
    }

    /// The URL with the passcode of its `login:passcode@` part replaced by `<redacted>`.
    static func redactingPasscode(_ url: String) -> String {
        guard let schemeEnd = url.range(of: "://"), let at = url.lastIndex(of: "@"), at > schemeEnd.upperBound,
            let colon = url[schemeEnd.upperBound..<at].firstIndex(of: ":")
        else { return url }
        return String(url[...colon]) + "<redacted>" + String(url[at...])
    }
}
