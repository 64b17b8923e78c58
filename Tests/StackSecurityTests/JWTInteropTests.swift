import Foundation
import Testing
import StackCore
import StackTestSupport
@testable import StackSecurity

/// Runs the real PyJWT through `python3` with a time bound. The request is one JSON
/// document on stdin, the answer one JSON document on stdout.
enum PyJWT {
    static let script = #"""
import base64, hashlib, json, sys
import jwt
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives import serialization

req = json.load(sys.stdin)
mode = req["mode"]
out = {"version": jwt.__version__}
if mode == "encode":
    out["token"] = jwt.encode(req["payload"], req["secret"], algorithm=req.get("alg", "HS256"),
                              headers=req.get("headers"))
elif mode == "encode_none":
    out["token"] = jwt.encode(req["payload"], None, algorithm="none", headers=req.get("headers"))
elif mode == "encode_eddsa":
    key = Ed25519PrivateKey.generate()
    out["token"] = jwt.encode(req["payload"], key, algorithm="EdDSA", headers=req.get("headers"))
    out["public_hex"] = key.public_key().public_bytes(serialization.Encoding.Raw,
                                                      serialization.PublicFormat.Raw).hex()
elif mode == "decode":
    if req["alg"] == "EdDSA":
        key = Ed25519PublicKey.from_public_bytes(bytes.fromhex(req["public_hex"]))
    else:
        key = req["secret"]
    claims = jwt.decode(req["token"], key, algorithms=[req["alg"]], audience=req["audience"],
                        issuer=req["issuer"],
                        options={"require": ["exp", "iat", "iss", "aud", "jti"]})
    out["claims"] = claims
    out["header"] = jwt.get_unverified_header(req["token"])
    if "body" in req:
        out["body_ok"] = hashlib.sha256(req["body"].encode()).hexdigest() == claims.get("body_sha256")
    try:
        jwt.decode(req["token"], key, algorithms=[req["alg"]], audience="someone-else", issuer=req["issuer"])
        out["wrong_audience"] = "accepted"
    except jwt.InvalidAudienceError:
        out["wrong_audience"] = "rejected"
print(json.dumps(out))
"""#

    /// Runs the script with `request`.
    /// - Returns: The parsed answer.
    static func run(_ request: [String: Any], timeout: Duration = .seconds(60)) throws -> [String: Any] {
        let result = try ChildProcess.runBlocking("/usr/bin/env", ["python3", "-c", script],
                                                  input: try JSONSerialization.data(withJSONObject: request), timeout: timeout)
        guard result.status == 0 else {
            throw StackError(.internalError, "python3 (PyJWT) exited \(result.status): \(result.stderr)")
        }
        let stdout = Data(result.stdout.utf8)
        guard let answer = try JSONSerialization.jsonObject(with: stdout) as? [String: Any] else {
            throw StackError(.internalError, "python3 (PyJWT) printed no JSON object")
        }
        return answer
    }
}

extension JWTTests {
    @Suite("JWT interoperability (real PyJWT)")
    struct Interop {
        let secret: SharedSecret
        let now = Date()

        init() throws {
            secret = try SharedSecret.generate()
        }

        var clock: FixedClock { FixedClock(Int(now.timeIntervalSince1970)) }

        func payload(jti: String = UUID().uuidString, scope: String = "stacks:read stacks:run",
                     extra: [String: Any] = [:]) -> [String: Any] {
            let iat = Int(now.timeIntervalSince1970)
            var payload: [String: Any] = ["iss": Forge.issuer, "aud": "stack-desktop", "iat": iat,
                                          "exp": iat + 300, "jti": jti, "scope": scope]
            payload.merge(extra) { _, new in new }
            return payload
        }

        func verifier(algorithms: Set<String> = ["HS256"]) throws -> HS256TokenVerifier {
            try HS256TokenVerifier(secret: secret, policy: JWTPolicy(issuer: Forge.issuer, algorithms: algorithms),
                                   clock: clock, replayCache: InMemoryReplayCache())
        }

        @Test("tokens minted by PyJWT are accepted (GET, and POST with body_sha256)")
        func pyjwtToSwift() throws {
            let get = try PyJWT.run(["mode": "encode", "payload": payload(jti: "py-1"), "secret": secret.revealText(),
                                     "headers": ["typ": "stack+jwt"]])
            let getToken = try #require(get["token"] as? String)
            let verifier = try verifier()
            let claims = try verifier.verify(getToken, for: JWTTests.get)
            #expect(claims.id == "py-1")
            #expect(claims.scopes == ["stacks:read", "stacks:run"])

            let body = #"{"bundle_url":"https://stack.lol/b/x.stack","sha256":"00"}"#
            let hash = try OpenSSLDigester.sha256Hex(Array(body.utf8))
            let post = try PyJWT.run(["mode": "encode", "payload": payload(jti: "py-2", extra: ["body_sha256": hash]),
                                      "secret": secret.revealText(), "headers": ["typ": "stack+jwt"]])
            let postToken = try #require(post["token"] as? String)
            let request = TokenRequest(method: "POST", requiredScope: "stacks:run", body: Array(body.utf8))
            #expect(try verifier.verify(postToken, for: request).bodySHA256 == hash)
            #expect(verificationError { try verifier.verify(postToken, for: request) }?.code == .authReplay)
        }

        @Test("PyJWT tokens that break the contract are refused with the exact code")
        func pyjwtRejected() throws {
            let verifier = try verifier()
            let defaultType = try PyJWT.run(["mode": "encode", "payload": payload(), "secret": secret.revealText()])
            #expect(verificationError { try verifier.verify(try #require(defaultType["token"] as? String), for: JWTTests.get) }?.code == .authType)
            let none = try PyJWT.run(["mode": "encode_none", "payload": payload(), "headers": ["typ": "stack+jwt"]])
            #expect(verificationError { try verifier.verify(try #require(none["token"] as? String), for: JWTTests.get) }?.code == .authAlgorithm)
            let hs512 = try PyJWT.run(["mode": "encode", "alg": "HS512", "payload": payload(), "secret": secret.revealText(),
                                       "headers": ["typ": "stack+jwt"]])
            #expect(verificationError { try verifier.verify(try #require(hs512["token"] as? String), for: JWTTests.get) }?.code == .authAlgorithm)
            let wrongKey = try PyJWT.run(["mode": "encode", "payload": payload(), "secret": SharedSecret.generate().revealText(),
                                          "headers": ["typ": "stack+jwt"]])
            #expect(verificationError { try verifier.verify(try #require(wrongKey["token"] as? String), for: JWTTests.get) }?.code == .authSignature)
        }

        @Test("EdDSA tokens minted by PyJWT are accepted with the pinned key")
        func pyjwtEdDSAToSwift() throws {
            let answer = try PyJWT.run(["mode": "encode_eddsa", "payload": payload(jti: "py-ed"), "headers": ["typ": "stack+jwt"]])
            let token = try #require(answer["token"] as? String)
            let publicKey = hexBytes(try #require(answer["public_hex"] as? String))
            let verifier = try EdDSATokenVerifier(publicKey: publicKey, policy: JWTPolicy(issuer: Forge.issuer),
                                                  clock: clock, replayCache: InMemoryReplayCache())
            #expect(try verifier.verify(token, for: JWTTests.get).id == "py-ed")
        }

        @Test("HS256 tokens minted here are accepted by PyJWT")
        func swiftHS256ToPyJWT() throws {
            let claims = try StandardClaims.make(issuer: Forge.issuer, audience: "stack-desktop",
                                                 scopes: ["stacks:run"], now: now, extra: ["sub": .string("user-1")])
            let token = try HS256TokenSigner(secret: secret).sign(claims: claims, type: JWTPolicy.apiType)
            let answer = try PyJWT.run(["mode": "decode", "alg": "HS256", "token": token, "secret": secret.revealText(),
                                        "audience": "stack-desktop", "issuer": Forge.issuer])
            let decoded = try #require(answer["claims"] as? [String: Any])
            #expect(decoded["jti"] as? String == claims["jti"]?.stringValue)
            #expect(decoded["scope"] as? String == "stacks:run")
            #expect(decoded["sub"] as? String == "user-1")
            #expect(answer["header"] as? [String: String] == ["alg": "HS256", "typ": "stack+jwt"])
            #expect(answer["wrong_audience"] as? String == "rejected")
        }

        @Test("EdDSA tokens minted here are accepted by PyJWT (public key from raw bytes)")
        func swiftEdDSAToPyJWT() throws {
            var seed = try Ed25519.generateSeed()
            let signer = try EdDSATokenSigner(seed: seed)
            wipe(&seed)
            let claims = try StandardClaims.make(issuer: Forge.issuer, audience: "stack-desktop",
                                                 scopes: ["stacks:read"], now: now)
            let token = try signer.sign(claims: claims, type: JWTPolicy.apiType)
            let answer = try PyJWT.run(["mode": "decode", "alg": "EdDSA", "token": token,
                                        "public_hex": signer.publicKey.map { String(format: "%02x", $0) }.joined(),
                                        "audience": "stack-desktop", "issuer": Forge.issuer])
            let decoded = try #require(answer["claims"] as? [String: Any])
            #expect(decoded["jti"] as? String == claims["jti"]?.stringValue)
            #expect(answer["header"] as? [String: String] == ["alg": "EdDSA", "typ": "stack+jwt"])
            #expect(answer["wrong_audience"] as? String == "rejected")
        }

        @Test("a callback token (stack-callback+jwt, body_sha256) is accepted by PyJWT with its audience")
        func callbackToPyJWT() throws {
            let body = #"{"operation":"op-1","state":"running"}"#
            let claims = try StandardClaims.make(issuer: "stack-desktop", audience: Forge.issuer, scopes: [],
                                                 lifetime: 60, now: now, body: Array(body.utf8))
            let token = try HS256TokenSigner(secret: secret).sign(claims: claims, type: JWTPolicy.callbackType)
            let answer = try PyJWT.run(["mode": "decode", "alg": "HS256", "token": token, "secret": secret.revealText(),
                                        "audience": Forge.issuer, "issuer": "stack-desktop", "body": body])
            let decoded = try #require(answer["claims"] as? [String: Any])
            #expect(decoded["aud"] as? String == Forge.issuer)
            #expect(decoded["iss"] as? String == "stack-desktop")
            #expect(answer["body_ok"] as? Bool == true)
            #expect(answer["header"] as? [String: String] == ["alg": "HS256", "typ": "stack-callback+jwt"])
            #expect(answer["wrong_audience"] as? String == "rejected")
            // And the local API refuses it: wrong typ.
            #expect(verificationError { try verifier().verify(token, for: JWTTests.get) }?.code == .authType)
        }
    }
}
