import Foundation
import GatewayApp
import GatewayWebhooks
import Testing

@Suite("Configuration: webhook routes")
struct WebhookConfigurationTests {
    static let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

    @Test func routesAndEndpointsAreRead() async throws {
        let configuration = try await ConfigurationTestFiles.load(
            yaml: """
                broker:
                  urls: [stomp://127.0.0.1:61613]
                admin:
                  keys: [admin-key-0123456789]
                webhooks:
                  drain_seconds: 3
                  routes:
                    orders-crm:
                      source: /topic/orders.events
                      subscription: crm-sub
                      selector: {type: [paid, shipped], region: eu}
                      dead_letter: /queue/crm.dlq
                      id_header: event-id
                      prefetch: 50
                      endpoints:
                        crm:
                          url: https://crm.example.com/hooks
                          secrets: [\(Self.secret)]
                          secrets_env: CRM_SECRETS
                          timeout_ms: 2500
                          max_concurrency: 4
                          ordering_key: order-id
                          retry: {max_attempts: 3, initial_delay_ms: 200, max_delay_ms: 1000, max_age_seconds: 60, max_retry_after_seconds: 30}
                    mailer:
                      source: /queue/mails
                      endpoints:
                        smtp-bridge:
                          url: http://127.0.0.1:9000/mail
                          secrets: \(Self.secret)
                """,
            environment: ["CRM_SECRETS": WebhookSecret.generate() + "," + WebhookSecret.generate()]
        )
        #expect(configuration.webhooks.adminKeys == ["admin-key-0123456789"])
        #expect(configuration.webhooks.drainSeconds == 3)
        let routes = configuration.webhooks.routes.sorted { $0.name < $1.name }
        #expect(routes.map(\.name) == ["mailer", "orders-crm"])
        let mailer = routes[0]
        #expect(mailer.deadLetter == "/queue/stomp-gateway.dead-letters.mailer")
        #expect(mailer.prefetch == 256)
        #expect(mailer.endpoints[0].retry == WebhookRetryPolicy())
        #expect(mailer.endpoints[0].maxConcurrency == 16)
        #expect(mailer.endpoints[0].timeout == .seconds(10))
        let crm = routes[1]
        #expect(crm.isTopic && crm.durable && crm.subscriptionName == "crm-sub")
        #expect(crm.selector == WebhookSelector(["type": ["paid", "shipped"], "region": ["eu"]]))
        #expect(crm.deadLetter == "/queue/crm.dlq" && crm.idHeader == "event-id" && crm.prefetch == 50)
        let endpoint = crm.endpoints[0]
        #expect(endpoint.secrets.count == 3)
        #expect(endpoint.timeout == .milliseconds(2500) && endpoint.maxConcurrency == 4 && endpoint.orderingKey == "order-id")
        #expect(
            endpoint.retry
                == WebhookRetryPolicy(
                    maxAttempts: 3,
                    initialDelay: .milliseconds(200),
                    maxDelay: .seconds(1),
                    maxAge: .seconds(60),
                    maxRetryAfter: .seconds(30)
                )
        )
    }

    @Test func mistakesAreReportedWithTheirKeys() async throws {
        let error = try #require(
            await ConfigurationTestFiles.error(
                yaml: """
                    admin:
                      keys: [short]
                    webhooks:
                      routes:
                        orders:
                          source: /queue/orders
                          endpoints:
                            crm:
                              url: ftp://example.com/x
                              secrets: [not-a-secret]
                              max_concurency: 4
                              retry: {max_attempts: 0}
                            other:
                              secrets_env: NOT_SET_ANYWHERE
                        broken:
                          endpoints: {}
                        events:
                          source: /topic/orders
                          endpoints:
                            a: {url: "http://127.0.0.1:1/", secrets: [\(Self.secret)]}
                    """
            )
        )
        let text = "\(error)"
        #expect(text.contains("admin.keys"))
        #expect(text.contains("webhooks.routes.orders.endpoints.crm.secrets[0]") && text.contains("whsec_"))
        #expect(!text.contains("not-a-secret"), "a secret is never echoed")
        #expect(text.contains("webhooks.routes.orders.endpoints.crm.max_concurency") && text.contains("did you mean 'max_concurrency'"))
        #expect(text.contains("webhooks.routes.orders.endpoints.other.url") && text.contains("is required"))
        #expect(text.contains("webhooks.routes.orders.endpoints.other.secrets_env") && text.contains("NOT_SET_ANYWHERE"))
        #expect(text.contains("webhooks.routes.broken.source") && text.contains("is required"))
        #expect(!text.contains("webhooks.routes.events"), "a durable topic is checked at start, where the broker is known")
    }

    @Test func badURLAndRetryAreRefused() async throws {
        let error = try #require(
            await ConfigurationTestFiles.error(
                yaml: """
                    webhooks:
                      routes:
                        orders:
                          source: /queue/orders
                          endpoints:
                            crm:
                              url: ftp://example.com/x
                              secrets: [\(Self.secret)]
                    """
            )
        )
        #expect("\(error)".contains("webhooks.routes.orders.endpoints.crm") && "\(error)".contains("http:// or https://"))
    }
}

@Suite("Configuration: the environment Kubernetes adds")
struct KubernetesEnvironmentTests {
    @Test func serviceLinkVariablesAreNotMistakenForSettings() async throws {
        let configuration = try await GatewayConfiguration.load(
            filePath: nil,
            environment: [
                "STOMP_GATEWAY_SERVICE_HOST": "10.96.0.12",
                "STOMP_GATEWAY_SERVICE_PORT": "8080",
                "STOMP_GATEWAY_SERVICE_PORT_HTTP": "8080",
                "STOMP_GATEWAY_PORT": "tcp://10.96.0.12:8080",
                "STOMP_GATEWAY_PORT_8080_TCP": "tcp://10.96.0.12:8080",
                "STOMP_GATEWAY_PORT_8080_TCP_PROTO": "tcp",
                "STOMP_GATEWAY_PORT_8080_TCP_PORT": "8080",
                "STOMP_GATEWAY_PORT_8080_TCP_ADDR": "10.96.0.12",
                "STOMP_GATEWAY_HTTP_PORT": "9000",
            ]
        )
        #expect(configuration.http.port == 9000)
    }

    @Test func aTypoShapedLikeAPortIsStillAnError() async throws {
        let error = try #require(await ConfigurationTestFiles.error(environment: ["STOMP_GATEWAY_PORT": "9000"]))
        #expect("\(error)".contains("STOMP_GATEWAY_PORT"))
    }
}
