import Foundation
import GatewayAuth
import GatewayCore
import JWTKit
import STOMPTestSupport
import Testing

/// The authorization matrix at the verifier: every way a token can be wrong is refused
/// with its own message; good HS256, RS256 and ES256 tokens are accepted.
@Suite("JWT token verifier")
struct JWTTokenVerifierTests {
    static let secret = Array("0123456789abcdef0123456789abcdef-unit-tests".utf8)
    let now = Date().timeIntervalSince1970

    func hmacVerifier(audience: String? = nil, issuer: String? = nil, algorithms: [String]? = nil) async throws -> JWTTokenVerifier {
        try await JWTTokenVerifier(
            settings: JWTVerifierSettings(hmacSecret: Self.secret, algorithms: algorithms, audience: audience, issuer: issuer, leewaySeconds: 0)
        )
    }

    func mint(_ claims: GatewayClaims, secret: [UInt8] = secret) async throws -> String {
        try await JWTTokenMinter.mint(secret: secret, claims: claims)
    }

    static func base64URL(_ text: String) -> String {
        Data(text.utf8).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    func expectRefused(_ verifier: JWTTokenVerifier, _ token: String, containing text: String) async {
        do {
            let grant = try await verifier.verify(token, now: now)
            Issue.record("accepted a token that should be refused (\(text)): \(grant)")
        } catch {
            #expect(error.message.contains(text), "message was: \(error.message)")
        }
    }

    @Test func validTokenGrantsItsPatterns() async throws {
        let verifier = try await hmacVerifier()
        let token = try await mint(GatewayClaims(sub: "customer-9", exp: now + 60, subscribe: ["/topic/orders.42"], publish: ["/queue/in"]))
        let grant = try await verifier.verify(token, now: now)
        #expect(grant.subject == "customer-9")
        #expect(grant.grants.check(.subscribe, "/topic/orders.42") == nil)
        #expect(grant.grants.check(.subscribe, "/topic/orders.43") != nil)
        #expect(grant.grants.check(.publish, "/queue/in") == nil)
    }

    @Test func wrongSignatureIsRefused() async throws {
        let verifier = try await hmacVerifier()
        let token = try await mint(
            GatewayClaims(exp: now + 60, subscribe: ["/topic/a"]),
            secret: Array("another-secret-that-is-long-enough-32b".utf8)
        )
        await expectRefused(verifier, token, containing: "signature")
    }

    @Test func algorithmNoneIsRefused() async throws {
        let verifier = try await hmacVerifier()
        let header = Self.base64URL(#"{"alg":"none","typ":"JWT"}"#)
        let payload = Self.base64URL(#"{"exp":\#(Int(now) + 60),"subscribe":["/topic/a"]}"#)
        await expectRefused(verifier, "\(header).\(payload).", containing: "none")
        await expectRefused(verifier, "\(header).\(payload).AAAA", containing: "none")
    }

    @Test func expiredAndNotYetValidAreRefused() async throws {
        let verifier = try await hmacVerifier()
        do {
            _ = try await verifier.verify(try await mint(GatewayClaims(exp: now - 5, subscribe: ["/topic/a"])), now: now)
            Issue.record("accepted an expired token")
        } catch {
            #expect((error as? TokenError) == .expired)
        }
        await expectRefused(
            verifier,
            try await mint(GatewayClaims(exp: now + 60, nbf: now + 30, subscribe: ["/topic/a"])),
            containing: "not valid yet"
        )
        await expectRefused(verifier, try await mint(GatewayClaims(exp: nil, subscribe: ["/topic/a"])), containing: "no exp")
    }

    @Test func audienceAndIssuerAreChecked() async throws {
        let verifier = try await hmacVerifier(audience: "shop", issuer: "https://shop.example")
        let good = try await mint(GatewayClaims(exp: now + 60, aud: ["shop"], iss: "https://shop.example", subscribe: ["/topic/a"]))
        _ = try await verifier.verify(good, now: now)
        await expectRefused(
            verifier,
            try await mint(GatewayClaims(exp: now + 60, aud: ["crm"], iss: "https://shop.example")),
            containing: "audience"
        )
        await expectRefused(verifier, try await mint(GatewayClaims(exp: now + 60, iss: "https://shop.example")), containing: "audience")
        await expectRefused(verifier, try await mint(GatewayClaims(exp: now + 60, aud: ["shop"], iss: "https://evil.example")), containing: "issuer")
    }

    @Test func garbageIsRefused() async throws {
        let verifier = try await hmacVerifier()
        await expectRefused(verifier, "not-a-token", containing: "not a JWT")
        await expectRefused(verifier, "a.b.c", containing: "header")
        await expectRefused(verifier, String(repeating: "a", count: 20_000), containing: "not a JWT")
    }

    /// Tokens are bearer credentials: a refusal (sent to the browser, logged) never
    /// repeats the token or its signature. The verifier's own texts hold no "." either,
    /// which FuzzToken relies on to tell an echoed JWT-shaped token from a piece of those
    /// texts the fuzzer offered as a token.
    @Test func refusalsNeverEchoTheToken() async throws {
        let verifier = try await hmacVerifier(audience: "shop", issuer: "billing")
        let header = Self.base64URL(#"{"alg":"none","typ":"JWT"}"#)
        let payload = Self.base64URL(#"{"exp":\#(Int(now) + 60)}"#)
        let tokens = [
            "not-a-token-but-long-enough",
            "abcdefghijklmnop.qrstuvwxyz.0123456789",
            "\(header).\(payload).signature-that-is-long",
            try await mint(GatewayClaims(exp: now + 60), secret: Array("another-secret-that-is-long-enough-32b".utf8)),
            try await mint(GatewayClaims(exp: nil, subscribe: ["/topic/a"])),
            try await mint(GatewayClaims(exp: now - 5)),
            try await mint(GatewayClaims(exp: now + 60, nbf: now + 30)),
            try await mint(GatewayClaims(exp: now + 60, aud: ["other"])),
            try await mint(GatewayClaims(exp: now + 60, aud: ["shop"], subscribe: ["/topic/**/x"])),
            try await mint(GatewayClaims(exp: now + 60, aud: ["shop"], iss: "other")),
        ]
        for token in tokens {
            do {
                _ = try await verifier.verify(token, now: now)
                Issue.record("accepted \(token)")
            } catch {
                let signature = String(token.split(separator: ".", omittingEmptySubsequences: false).last ?? "")
                #expect(!error.message.contains(token), "\(error.message)")
                #expect(signature.count < 8 || !error.message.contains(signature), "\(error.message)")
                #expect(!error.message.contains("."), "\(error.message)")
            }
        }
    }

    @Test func invalidGrantPatternIsRefused() async throws {
        let verifier = try await hmacVerifier()
        await expectRefused(verifier, try await mint(GatewayClaims(exp: now + 60, subscribe: ["/topic/**/x"])), containing: "invalid pattern")
    }

    @Test func shortSecretsAndUnknownAlgorithmsFailAtStart() async throws {
        await #expect(throws: JWTSetupError.self) {
            _ = try await JWTTokenVerifier(settings: JWTVerifierSettings(hmacSecret: Array("short".utf8)))
        }
        await #expect(throws: JWTSetupError.self) {
            _ = try await JWTTokenVerifier(settings: JWTVerifierSettings(hmacSecret: Self.secret, algorithms: ["none"]))
        }
    }

    @Test func disallowedAlgorithmIsRefusedByName() async throws {
        let long = Array(String(repeating: "k", count: 64).utf8)
        let verifier = try await JWTTokenVerifier(settings: JWTVerifierSettings(hmacSecret: long, algorithms: ["HS512"]))
        let token = try await mint(GatewayClaims(exp: now + 60, subscribe: ["/topic/a"]), secret: long)
        await expectRefused(verifier, token, containing: "HS256 is not allowed")
        // An allowlist the keys cannot serve (HS512 needs a 64-byte secret) fails at start.
        await #expect(throws: JWTSetupError.self) {
            _ = try await JWTTokenVerifier(settings: JWTVerifierSettings(hmacSecret: Self.secret, algorithms: ["HS512"]))
        }
    }

    /// RS256 and ES256 from PEM public keys; an HS256 token "signed" with the public
    /// key's PEM as the HMAC secret (the classic confusion) is refused.
    @Test func publicKeysAndAlgorithmConfusion() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("jwt-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try TestEnvironment.run("openssl", ["genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", "\(directory)/rsa.pem"])
        try TestEnvironment.run("openssl", ["pkey", "-in", "\(directory)/rsa.pem", "-pubout", "-out", "\(directory)/rsa.pub"])
        try TestEnvironment.run("openssl", ["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", "\(directory)/ec.pem"])
        try TestEnvironment.run("openssl", ["pkey", "-in", "\(directory)/ec.pem", "-pubout", "-out", "\(directory)/ec.pub"])
        let rsaPublic = try String(contentsOfFile: "\(directory)/rsa.pub", encoding: .utf8)
        let ecPublic = try String(contentsOfFile: "\(directory)/ec.pub", encoding: .utf8)
        let verifier = try await JWTTokenVerifier(settings: JWTVerifierSettings(publicKeyPEMs: [rsaPublic, ecPublic]))

        let claims = GatewayClaims(exp: now + 60, subscribe: ["/topic/orders.42"])
        let rsaKeys = JWTKeyCollection()
        await rsaKeys.add(
            rsa: try Insecure.RSA.PrivateKey(pem: String(contentsOfFile: "\(directory)/rsa.pem", encoding: .utf8)),
            digestAlgorithm: .sha256
        )
        let rs256 = try await rsaKeys.sign(claims)
        #expect(try await verifier.verify(rs256, now: now).grants.check(.subscribe, "/topic/orders.42") == nil)

        let ecKeys = JWTKeyCollection()
        await ecKeys.add(ecdsa: try ES256PrivateKey(pem: String(contentsOfFile: "\(directory)/ec.pem", encoding: .utf8)))
        let es256 = try await ecKeys.sign(claims)
        #expect(try await verifier.verify(es256, now: now).grants.check(.subscribe, "/topic/orders.42") == nil)

        // HS256 signed with the RSA public key's PEM as the secret.
        let confused = try await mint(claims, secret: Array(rsaPublic.utf8))
        await expectRefused(verifier, confused, containing: "public keys only")

        // A private key given as a public key is refused at start.
        await #expect(throws: JWTSetupError.self) {
            _ = try await JWTTokenVerifier(
                settings: JWTVerifierSettings(publicKeyPEMs: [try String(contentsOfFile: "\(directory)/rsa.pem", encoding: .utf8)])
            )
        }
    }
}
