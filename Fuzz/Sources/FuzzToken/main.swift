// JWTTokenVerifier with an HS256 key. Three shapes of input: any string as a token; a
// token whose header and payload are the fuzz bytes, correctly signed with the key (so
// the claims are fuzzed past the signature check); a correctly signed token whose
// header is fixed and whose payload JSON is built from fuzzed claim values. Invariants:
// no crash; verify returns a grant or throws a TokenError (typed); a grant is never
// given for an expired token; messages never echo the token.
import Crypto
import Foundation
import FuzzSupport
import GatewayAuth
import GatewayCore

let secret = Array("fuzzing-secret-0123456789abcdef-0123456789".utf8)
let now = 1_800_000_000.0
let verifier: JWTTokenVerifier = runBlocking {
    try! await JWTTokenVerifier(settings: JWTVerifierSettings(hmacSecret: secret, audience: nil, issuer: nil))
}

func base64URL(_ bytes: some Sequence<UInt8>) -> String {
    Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
        .replacingOccurrences(of: "=", with: "")
}

func signed(header: some Sequence<UInt8>, payload: some Sequence<UInt8>) -> String {
    let input = base64URL(header) + "." + base64URL(payload)
    let mac = HMAC<SHA256>.authenticationCode(for: Data(input.utf8), using: SymmetricKey(data: secret))
    return input + "." + base64URL(Array(mac))
}

func jsonString(_ bytes: ArraySlice<UInt8>) -> String {
    let text = String(decoding: bytes, as: UTF8.self)
    let data = try! JSONSerialization.data(withJSONObject: [text], options: [.fragmentsAllowed])
    let array = String(decoding: data, as: UTF8.self)
    return String(array.dropFirst().dropLast())
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    var input = FuzzInput(data, size)
    let token: String
    var signature = ""
    switch input.int(below: 3) {
    case 0:
        token = String(decoding: input.rest(), as: UTF8.self)
    case 1:
        let header = input.take(until: 0)
        token = signed(header: header, payload: input.rest())
        signature = String(token.split(separator: ".").last ?? "")
    default:
        var claims: [String] = []
        let flags = input.byte()
        if flags & 1 != 0 { claims.append("\"sub\":" + jsonString(input.take(input.int(below: 16)))) }
        if flags & 2 != 0 { claims.append("\"exp\":\(Int(now) - 100 + input.int(below: 200))") }
        if flags & 4 != 0 { claims.append("\"nbf\":\(Int(now) - 100 + input.int(below: 200))") }
        if flags & 8 != 0 { claims.append("\"aud\":" + jsonString(input.take(input.int(below: 8)))) }
        if flags & 16 != 0 {
            let count = input.int(below: 4)
            let patterns = (0..<count).map { _ in jsonString(input.take(until: 0)) }
            claims.append("\"subscribe\":[" + patterns.joined(separator: ",") + "]")
        }
        if flags & 32 != 0 { claims.append("\"publish\":[" + jsonString(input.take(until: 0)) + "]") }
        if flags & 64 != 0 { claims.append("\"exp\":" + String(decoding: input.take(until: 0), as: UTF8.self)) }
        token = signed(header: Array(#"{"alg":"HS256","typ":"JWT"}"#.utf8), payload: Array(("{" + claims.joined(separator: ",") + "}").utf8))
        signature = String(token.split(separator: ".").last ?? "")
    }
    let result: Result<AccessGrant, TokenError> = runBlocking {
        do throws(TokenError) {
            return .success(try await verifier.verify(token, now: now))
        } catch {
            return .failure(error)
        }
    }
    switch result {
    case .success(let grant):
        fuzzCheck(grant.expiresAt.map { $0 > now } ?? false, "a grant for an expired token or one without exp")
    case .failure(let error):
        fuzzCheck(!error.code.isEmpty && !error.message.isEmpty, "an empty TokenError")
        // The verifier's own texts contain no "." (checked in GatewayAuthTests), so a
        // JWT-shaped token (every signed one, and any string with a dot) can only be in
        // the message if the message copied it. Without the dot the fuzzer can offer a
        // piece of those texts as the token ("base64url parts separated"), which is no echo.
        if token.utf8.count >= 16 && token.contains(".") {
            fuzzCheck(!error.message.contains(token), "the error echoes the token")
        }
        if signature.utf8.count >= 16 {
            fuzzCheck(!error.message.contains(signature), "the error echoes the token's signature")
        }
    }
    return 0
}

runFuzzer(fuzz)
