import GatewayApp
import Testing

@Suite("Configuration: validation")
struct ConfigurationValidationTests {
    /// A wrong value, the key it belongs to, and words the error must contain.
    struct Case: Sendable, CustomTestStringConvertible {
        let key: GatewayConfigurationKey
        let value: String
        let expected: String

        var testDescription: String { "\(key.name) = '\(value)'" }
    }

    static let wrongValues: [Case] = [
        .init(key: .httpPort, value: "abc", expected: "'abc' is not a port number (expected 0–65535"),
        .init(key: .httpPort, value: "70000", expected: "'70000' is not a port number"),
        .init(key: .httpPort, value: "-1", expected: "'-1' is not a port number"),
        .init(key: .httpHost, value: "local host", expected: "'local host' is not a host name or IP address"),
        .init(key: .embeddedHost, value: "http://x", expected: "is not a host name or IP address"),
        .init(key: .embeddedPort, value: "61613.5", expected: "'61613.5' is not a port number"),
        .init(key: .embeddedMaxConnections, value: "0", expected: "'0' is not a positive whole number (expected 1 or more"),
        .init(key: .embeddedMaxQueueMessages, value: "lots", expected: "'lots' is not a positive whole number"),
        .init(key: .embeddedMaxQueueBytes, value: "64 MB", expected: "'64 MB' is not a byte count"),
        .init(key: .embeddedMaxQueueBytes, value: "99999999999GiB", expected: "is not a byte count"),
        .init(
            key: .embeddedQueueOverflow,
            value: "drop",
            expected: "'drop' is not a queue overflow policy (expected one of reject-publish, drop-oldest)"
        ),
        .init(key: .embeddedMaxSubscriptionsPerConnection, value: "1_", expected: "'1_' is not a positive whole number"),
        .init(
            key: .logLevel,
            value: "verbose",
            expected: "'verbose' is not a log level (expected one of trace, debug, info, notice, warning, error, critical)"
        ),
        .init(key: .sseHeartbeatSeconds, value: "1e300", expected: "'1e300' is not a number of seconds (expected more than 0 and at most 31536000"),
        .init(key: .historyMaxAgeSeconds, value: "inf", expected: "'inf' is not a number of seconds"),
        .init(key: .httpIdleTimeoutSeconds, value: "0", expected: "'0' is not a number of seconds"),
        .init(key: .sseRetryMilliseconds, value: "9223372036854775807", expected: "is not a positive whole number (expected 1 to 2147483647"),
        .init(key: .stompHeartbeatSendMilliseconds, value: "2147483648", expected: "is not a whole number of 0 to 2147483647"),
        .init(key: .brokerHeartbeatMilliseconds, value: "-1", expected: "'-1' is not a whole number of 0 to 2147483647"),
        .init(key: .brokerURLs, value: "http://broker:61613", expected: "'http://broker:61613' is not a broker URL: unknown scheme 'http'"),
        .init(key: .brokerURLs, value: "stomp://broker:port", expected: "is not a broker URL: invalid port 'port'"),
    ]

    @Test("a wrong value in the environment is an error naming its key and variable", arguments: wrongValues)
    func wrongValueInEnvironment(_ wrong: Case) async throws {
        let error = try #require(await ConfigurationTestFiles.error(environment: [wrong.key.environmentVariable: wrong.value]))
        #expect(error.keys == [wrong.key.name])
        let line = error.description
        #expect(line.hasPrefix("\(wrong.key.name): "), "\(line)")
        #expect(line.contains(wrong.expected), "\(line)")
        #expect(line.contains("[environment variable \(wrong.key.environmentVariable)]"), "\(line)")
    }

    @Test("a wrong value in the file is an error naming its key and the file", arguments: wrongValues)
    func wrongValueInFile(_ wrong: Case) async throws {
        let parts = wrong.key.name.split(separator: ".")
        let yaml = "\(parts[0]):\n  \(parts[1]): '\(wrong.value)'\n"
        let error = try #require(await ConfigurationTestFiles.error(yaml: yaml))
        #expect(error.keys == [wrong.key.name])
        #expect(error.description.hasPrefix("\(wrong.key.name): "), "\(error)")
        #expect(error.description.contains(wrong.expected), "\(error)")
        #expect(error.description.contains("[file /"), "\(error)")
    }

    @Test("several wrong values are all reported, one per line, in key order")
    func severalErrors() async throws {
        let error = try #require(
            await ConfigurationTestFiles.error(
                yaml: """
                    http:
                      port: abc
                    embedded:
                      queue_overflow: sometimes
                      max_connections: -3
                    """,
                environment: ["STOMP_GATEWAY_LOG_LEVEL": "loud"]
            )
        )
        #expect(error.keys == ["http.port", "embedded.max_connections", "embedded.queue_overflow", "log.level"])
        #expect(error.description.split(separator: "\n").count == 4)
    }

    @Test("a list where one value is expected is an error")
    func listForScalar() async throws {
        let error = try #require(await ConfigurationTestFiles.error(yaml: "http:\n  port: [1, 2]\n"))
        #expect(error.keys == ["http.port"])
        #expect(error.description.contains("expected a single value, got a list"))
    }

    @Test("an unknown key in the file is reported, with a suggestion")
    func unknownKeyInFile() async throws {
        let error = try #require(
            await ConfigurationTestFiles.error(
                yaml: """
                    htpp:
                      port: 9090
                    http:
                      prot: 9090
                    embedded:
                      max_conections: 5
                    colour: blue
                    """
            )
        )
        #expect(error.keys == ["colour", "embedded.max_conections", "htpp.port", "http.prot"])
        #expect(error.description.contains("htpp.port: unknown key; did you mean 'http.port'?"))
        #expect(error.description.contains("http.prot: unknown key; did you mean 'http.port'?"))
        #expect(error.description.contains("embedded.max_conections: unknown key; did you mean 'embedded.max_connections'?"))
        #expect(error.description.contains("colour: unknown key (known keys: http.host, "))
    }

    @Test("a section written as a single value is reported")
    func sectionAsScalar() async throws {
        let error = try #require(await ConfigurationTestFiles.error(yaml: "http: 8080\n"))
        #expect(error.keys == ["http"])
        #expect(error.description.contains("http: expected a mapping of settings (http.host, http.port, http.allowed_origins, "))
        #expect(error.description.contains("got a single value"))
    }

    @Test("an unknown STOMP_GATEWAY_ variable is reported, with a suggestion")
    func unknownVariable() async throws {
        let error = try #require(
            await ConfigurationTestFiles.error(environment: ["STOMP_GATEWAY_HTPP_PORT": "1", "STOMP_GATEWAY_NONSENSE": "x"])
        )
        #expect(error.keys == ["STOMP_GATEWAY_HTPP_PORT", "STOMP_GATEWAY_NONSENSE"])
        #expect(error.description.contains("STOMP_GATEWAY_HTPP_PORT: unknown environment variable; did you mean STOMP_GATEWAY_HTTP_PORT?"))
    }

    @Test("a missing file given explicitly is an error naming the path")
    func missingFile() async throws {
        let path = "/nonexistent/stomp-gateway-\(UInt64.random(in: 0...UInt64.max)).yaml"
        do {
            _ = try await GatewayConfiguration.load(filePath: path, environment: [:])
            Issue.record("loading a missing file succeeded")
        } catch let error as GatewayConfigurationError {
            #expect(error.keys == [path])
            #expect(error.description.hasPrefix("\(path): no such configuration file"))
        }
    }

    @Test("a YAML syntax error names the file")
    func syntaxError() async throws {
        let error = try #require(await ConfigurationTestFiles.error(yaml: "http:\n  port: [8080\n  host: x\n"))
        #expect(error.issues.count == 1)
        let key = try #require(error.keys.first)
        #expect(key.hasSuffix(".yaml"))
        #expect(error.description.hasPrefix("\(key): is not a valid YAML configuration: line 3, column "), "\(error)")
        #expect(!error.description.contains("\n"), "one line per error")
    }

    @Test("a file that is not a mapping names the file")
    func notAMapping() async throws {
        let error = try #require(await ConfigurationTestFiles.error(yaml: "- just\n- a list\n"))
        #expect(error.issues.count == 1)
        #expect(error.description.contains(".yaml: is not a valid YAML configuration: the top level must be a mapping of settings"))
    }

    @Test("errors in the environment are reported even when the file cannot be read")
    func fileAndEnvironmentErrorsTogether() async throws {
        let error = try #require(
            await ConfigurationTestFiles.error(yaml: "http: [\n", environment: ["STOMP_GATEWAY_HTTP_PORT": "x"])
        )
        #expect(error.issues.count == 2)
        #expect(error.keys.last == "http.port")
    }

    @Test("embedded.login and embedded.passcode: both or neither")
    func embeddedCredentialsBothOrNeither() async throws {
        let loginOnly = try #require(await ConfigurationTestFiles.error(yaml: "embedded:\n  login: gw\n"))
        #expect(loginOnly.keys == ["embedded.login"])
        #expect(loginOnly.description.contains("embedded.login: is set but embedded.passcode is not"))

        let passcodeOnly = try #require(
            await ConfigurationTestFiles.error(environment: ["STOMP_GATEWAY_EMBEDDED_PASSCODE": "hunter2"])
        )
        #expect(passcodeOnly.keys == ["embedded.passcode"])
        #expect(passcodeOnly.description.contains("embedded.passcode: is set but embedded.login is not"))
        #expect(!passcodeOnly.description.contains("hunter2"))

        let both = try await ConfigurationTestFiles.load(
            yaml: "embedded:\n  login: gw\n",
            environment: ["STOMP_GATEWAY_EMBEDDED_PASSCODE": "hunter2"]
        )
        #expect(both.embeddedBrokerConfiguration().credentials?.login == "gw")
        #expect(both.embeddedBrokerConfiguration().credentials?.passcode == "hunter2")
    }

    @Test("each bad broker URL is reported on its own, without its passcode")
    func badBrokerURLs() async throws {
        let error = try #require(
            await ConfigurationTestFiles.error(
                yaml: """
                    broker:
                      urls:
                        - stomp://good:61613
                        - stomp://user:topsecret@bad:99999
                        - ftp://other
                    """
            )
        )
        #expect(error.keys == ["broker.urls", "broker.urls"])
        #expect(!error.description.contains("topsecret"))
        #expect(error.description.contains("'stomp://user:<redacted>@bad:99999' is not a broker URL: invalid port '99999'"))
        #expect(error.description.contains("'ftp://other' is not a broker URL: unknown scheme 'ftp'"))
    }
}
