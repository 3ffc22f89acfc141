import Foundation
import GatewayAuth
import GatewayCore
import GatewayPush
import NIOSSL

extension GatewayConfiguration {
    /// The token verifier and public grants from `auth.*`, reading the key files.
    ///
    /// - Throws: ``GatewayStartupError`` naming the file or setting that is wrong.
    public func makeAuthenticator() async throws -> PushAuthenticator {
        var settings = JWTVerifierSettings(
            algorithms: auth.algorithms.isEmpty ? nil : auth.algorithms,
            audience: auth.audience,
            issuer: auth.issuer,
            leewaySeconds: auth.leewaySeconds
        )
        if let secret = auth.hmacSecret {
            settings.hmacSecret = Array(secret.utf8)
        } else if let path = auth.hmacSecretFile {
            let text = try Self.readFile(path, key: "auth.hmac_secret_file")
            settings.hmacSecret = Array(text.trimmingCharacters(in: .whitespacesAndNewlines).utf8)
        }
        for path in auth.publicKeyFiles {
            settings.publicKeyPEMs.append(try Self.readFile(path, key: "auth.public_key_files"))
        }
        if let path = auth.jwksFile {
            settings.jwksJSON = try Self.readFile(path, key: "auth.jwks_file")
        }
        let publicGrants: DestinationGrants
        do {
            publicGrants = try DestinationGrants(subscribe: auth.publicSubscribe, publish: auth.publicPublish)
        } catch {
            throw GatewayStartupError("auth.public_subscribe / auth.public_publish: \(error)")
        }
        guard settings.hasKeys else { return PushAuthenticator(verifier: nil, publicGrants: publicGrants) }
        do {
            let verifier = try await JWTTokenVerifier(settings: settings)
            return PushAuthenticator(verifier: verifier, publicGrants: publicGrants)
        } catch {
            throw GatewayStartupError("\(error)")
        }
    }

    /// The HMAC secret, if one is configured (for `stomp-gateway token`).
    public func hmacSecret() throws -> [UInt8]? {
        if let secret = auth.hmacSecret { return Array(secret.utf8) }
        if let path = auth.hmacSecretFile {
            return Array(try Self.readFile(path, key: "auth.hmac_secret_file").trimmingCharacters(in: .whitespacesAndNewlines).utf8)
        }
        return nil
    }

    /// The TLS context for the HTTP listener, when `http.tls_certificate_file` and `http.tls_key_file` are set.
    public func makeHTTPTLSContext() throws -> NIOSSLContext? {
        guard let certificateFile = push.tlsCertificateFile, let keyFile = push.tlsKeyFile else { return nil }
        do {
            let chain = try NIOSSLCertificate.fromPEMFile(certificateFile).map { NIOSSLCertificateSource.certificate($0) }
            let key = try NIOSSLPrivateKey(file: keyFile, format: .pem)
            let configuration = TLSConfiguration.makeServerConfiguration(certificateChain: chain, privateKey: .privateKey(key))
            return try NIOSSLContext(configuration: configuration)
        } catch {
            throw GatewayStartupError("http.tls_certificate_file / http.tls_key_file cannot be used: \(error)")
        }
    }

    static func readFile(_ path: String, key: String) throws -> String {
        do {
            return try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw GatewayStartupError("\(key): cannot read \(path): \(error.localizedDescription)")
        }
    }
}
