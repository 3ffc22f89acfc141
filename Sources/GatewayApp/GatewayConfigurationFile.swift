import Configuration
import Foundation

/// The YAML configuration file: the provider that reads it, and the keys it sets, so
/// that a misspelt key is reported instead of silently ignored.
struct GatewayConfigurationFile {
    /// The path as given.
    let path: String
    /// The provider, or `nil` when the file holds no settings (empty, or only comments).
    let provider: FileProvider<YAMLSnapshot>?
    /// The dotted keys the file sets (`http.port`), each leaf once; `nil` if they could
    /// not be listed.
    let keys: [String]?

    /// Where a value read from this file came from, for error messages.
    var origin: String { "file \(path)" }

    /// Reads and parses the file at `path`.
    ///
    /// - Throws: A ``GatewayConfigurationError`` naming the path when the file is missing,
    ///   unreadable, or not a YAML mapping.
    static func open(_ path: String) async throws(GatewayConfigurationError) -> Self {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw GatewayConfigurationError(
                key: path,
                message: "no such configuration file (check the path; without a file, the defaults and STOMP_GATEWAY_* variables apply)"
            )
        }
        guard !isDirectory.boolValue else {
            throw GatewayConfigurationError(key: path, message: "is a directory; expected a YAML configuration file")
        }
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw GatewayConfigurationError(key: path, message: "cannot be read: \(error.localizedDescription)")
        }
        if Self.holdsNoSettings(String(decoding: data, as: UTF8.self)) {
            return Self(path: path, provider: nil, keys: [])
        }
        do {
            let secrets = Set(GatewayConfigurationKey.all.filter(\.isSecret).map(\.name))
            let provider = try await FileProvider<YAMLSnapshot>(
                parsingOptions: .init(secretsSpecifier: .specific(secrets)),
                filePath: .init(path)
            )
            // swift-configuration 1.4.0 has no public way to list a snapshot's keys. Its
            // debug description does list them ("name[N values: key=value, …]"); with every
            // value marked secret, each value prints as "<REDACTED>", which makes the list
            // unambiguous. `keys(fromDebugDescription:)` checks the count it states.
            let listing = try await FileProvider<YAMLSnapshot>(
                parsingOptions: .init(secretsSpecifier: .all),
                filePath: .init(path)
            )
            return Self(path: path, provider: provider, keys: Self.keys(fromDebugDescription: listing.debugDescription))
        } catch {
            throw GatewayConfigurationError(key: path, message: "is not a valid YAML configuration: \(Self.oneLine(error))")
        }
    }

    /// A YAML error on one line: Yams writes `3:7: error: parser: …` over several lines,
    /// ending with the offending line and a caret under the column.
    static func oneLine(_ error: any Error) -> String {
        var lines = "\(error)".split(separator: "\n", omittingEmptySubsequences: true).map(String.init)
        if lines.count >= 2, lines[lines.count - 1].trimmingCharacters(in: .whitespaces) == "^" {
            lines.removeLast(2)
        }
        var text = lines.map { $0.trimmingCharacters(in: .whitespaces) }.joined(separator: " ")
        while text.hasSuffix(":") { text.removeLast() }
        if text == "Top level YAML value is not a mapping." {
            return "the top level must be a mapping of settings (http:, broker:, embedded:, log:)"
        }
        if let match = text.wholeMatch(of: /(\d+):(\d+): error: (.*)/) {
            return "line \(match.1), column \(match.2): \(match.3)"
        }
        return text
    }

    /// The keys listed by a YAML snapshot's debug description with every value redacted,
    /// or `nil` if the text does not have the expected shape or count.
    static func keys(fromDebugDescription text: String) -> [String]? {
        guard let open = text.firstIndex(of: "["), text.hasSuffix("]") else { return nil }
        let inner = text[text.index(after: open)..<text.index(before: text.endIndex)]
        guard let valuesWord = inner.range(of: " values"), let count = Int(inner[..<valuesWord.lowerBound]) else { return nil }
        var list = String(inner[valuesWord.upperBound...])
        if count == 0 { return list.isEmpty || list == ": " ? [] : nil }
        let redacted = "=<REDACTED>"
        guard list.hasPrefix(": "), list.hasSuffix(redacted) else { return nil }
        list = String(list.dropFirst(2).dropLast(redacted.count))
        let keys = list.components(separatedBy: redacted + ", ")
        return keys.count == count ? keys : nil
    }

    /// Whether the text is empty or holds only comments and document markers.
    static func holdsNoSettings(_ text: String) -> Bool {
        text.split(whereSeparator: \.isNewline).allSatisfy { line in
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            return trimmed.isEmpty || trimmed.hasPrefix("#") || trimmed == "---" || trimmed == "..."
        }
    }

    /// The file's keys that are not settings, each as an issue with a suggestion. A
    /// section left empty (`embedded:` with every setting commented out) is not one.
    func unknownKeyIssues() async -> [GatewayConfigurationError.Issue] {
        guard let keys, let provider else { return [] }
        let known = GatewayConfigurationKey.all.map(\.name)
        var issues: [GatewayConfigurationError.Issue] = []
        // `webhooks.routes` is read from the file's structure by WebhookRoutesReader,
        // which reports its own unknown keys.
        for key in keys.sorted() where !known.contains(key) && !key.hasPrefix("webhooks.routes.") && key != "webhooks.routes" {
            let section = GatewayConfigurationKey.sections.first { $0 == key }
            if let section {
                let content = try? provider.value(forKey: AbsoluteConfigKey([section]), type: .string).value?.content
                if case .string(let value) = content, GatewayConfigurationValues.isNull(value) { continue }
                let members = known.filter { $0.hasPrefix(section + ".") }.joined(separator: ", ")
                issues.append(.init(key: key, message: "expected a mapping of settings (\(members)), got a single value", origin: origin))
                continue
            }
            var message = "unknown key"
            if let suggestion = GatewayConfigurationKey.suggestion(for: key, among: known) {
                message += "; did you mean '\(suggestion)'?"
            } else {
                message += " (known keys: \(known.joined(separator: ", ")))"
            }
            issues.append(.init(key: key, message: message, origin: origin))
        }
        return issues
    }
}
