import Foundation
import NIOSSL
import STOMPBroker
import STOMPClient
import STOMPCore
import STOMPTestSupport
import Testing

/// `stomp+ssl://` against the embedded broker's TLS listener, with a certificate made
/// for the test by `openssl`.
@Suite("TLS")
struct ClientTLSTests {
    private static func makeCertificate() throws -> (certificate: String, key: String) {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("stomp-tls-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let certificate = directory.appendingPathComponent("cert.pem").path
        let key = directory.appendingPathComponent("key.pem").path
        let result = try TestEnvironment.run(
            "openssl",
            [
                "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", key, "-out",
                certificate, "-days", "1", "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
            ]
        )
        guard result.status == 0 else { throw TestEnvironmentError("openssl failed: \(result.output)") }
        return (certificate, key)
    }

    @Test func publishAndSubscribeOverTLS() async throws {
        let (certificate, key) = try Self.makeCertificate()
        var configuration = EmbeddedBrokerConfiguration(host: "127.0.0.1", port: 0)
        configuration.tls = TLSConfiguration.makeServerConfiguration(
            certificateChain: try NIOSSLCertificate.fromPEMFile(certificate).map { .certificate($0) },
            privateKey: .file(key)
        )
        let broker = EmbeddedBroker(configuration: configuration)
        let address = try await broker.start()

        var clientConfiguration = STOMPClientConfiguration(broker: try STOMPBrokerURL("stomp+ssl://localhost:\(address.port!)"))
        clientConfiguration.tls.trustRoots = .file(certificate)
        clientConfiguration.reconnect = nil
        let client = try STOMPClient(configuration: clientConfiguration)
        try await client.connect()
        let queue = TestEnvironment.unique("/queue/")
        let feed = try await client.subscribe(to: queue)
        try await client.send(to: queue, body: "over TLS", receipt: true)
        #expect(try await nextMessage(feed)?.bodyString == "over TLS")
        try await client.disconnect()

        // A client that does not trust the certificate is refused during the handshake.
        var untrusting = STOMPClientConfiguration(broker: try STOMPBrokerURL("stomp+ssl://localhost:\(address.port!)"))
        untrusting.reconnect = nil
        untrusting.connectTimeout = .seconds(5)
        let refused = try STOMPClient(configuration: untrusting)
        await #expect(throws: STOMPClientError.self) { try await refused.connect() }

        // A plain-TCP client gets no CONNECTED from a TLS listener.
        var plain = STOMPClientConfiguration(broker: try STOMPBrokerURL("stomp://127.0.0.1:\(address.port!)"))
        plain.reconnect = nil
        plain.connectTimeout = .seconds(2)
        let plainClient = try STOMPClient(configuration: plain)
        await #expect(throws: STOMPClientError.self) { try await plainClient.connect() }
        try await broker.stop()
    }
}
