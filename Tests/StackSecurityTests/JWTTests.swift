import Foundation
import Testing
import StackCore
import StackTestSupport
@testable import StackSecurity

/// Builds tokens by hand: JSON text written out literally (so duplicate keys, odd headers
/// and any spelling are possible), base64url by Foundation, HMAC over the exact text.
enum Forge {
    static let now = 1_760_000_000
    static let issuer = "https://stack.lol"
    static let secretText = b64u(Array(UInt8(1)...UInt8(32)))
    static let otherSecretText = b64u(Array(UInt8(101)...UInt8(132)))
    static let header = #"{"alg":"HS256","typ":"stack+jwt"}"#

    static func b64u(_ bytes: [UInt8]) -> String {
        Data(bytes).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    static func b64u(_ text: String) -> String { b64u(Array(text.utf8)) }

    static func hmac(_ input: String, key: String) throws -> [UInt8] {
        try Array(key.utf8).withUnsafeBytes { keyBytes in
            try Array(input.utf8).withUnsafeBytes { try HMACSHA256.mac(key: keyBytes, message: $0) }
        }
    }

    /// `header.payload.HMAC` with the given key.
    static func token(header: String = header, payload: String, key: String = secretText) throws -> String {
        let input = b64u(header) + "." + b64u(payload)
        return input + "." + b64u(try hmac(input, key: key))
    }

    /// `header.payload.signature` with a literal signature segment.
    static func unsigned(header: String, payload: String, signature: String = "") -> String {
        b64u(header) + "." + b64u(payload) + "." + signature
    }

    /// Flips one unused low bit of a segment's last symbol: the same bytes, spelled
    /// non-canonically.
    static func flipUnusedBit(_ segment: String) -> String? {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
        guard segment.count % 4 != 0, let last = segment.last,
              let index = alphabet.firstIndex(of: last) else { return nil }
        return String(segment.dropLast()) + String(alphabet[index ^ 1])
    }

    static func sha256Hex(_ text: String) throws -> String {
        try OpenSSLDigester.sha256Hex(Array(text.utf8))
    }
}

/// Payload JSON as ordered literal pairs.
struct Claims: Sendable {
    var pairs: [(String, String)]

    static func standard(jti: String = "jti-1", iat: Int = Forge.now - 10, exp: Int = Forge.now + 200) -> Claims {
        Claims(pairs: [("iss", #""https://stack.lol""#), ("aud", #""stack-desktop""#),
                       ("iat", "\(iat)"), ("exp", "\(exp)"), ("jti", "\"\(jti)\""),
                       ("scope", #""stacks:read stacks:run""#)])
    }

    /// Replaces `key`'s value, or appends it.
    func with(_ key: String, _ raw: String) -> Claims {
        var copy = self
        if let index = pairs.firstIndex(where: { $0.0 == key }) {
            copy.pairs[index] = (key, raw)
        } else {
            copy.pairs.append((key, raw))
        }
        return copy
    }

    func without(_ key: String) -> Claims {
        Claims(pairs: pairs.filter { $0.0 != key })
    }

    /// Appends a pair even when the key exists (duplicates).
    func appending(_ key: String, _ raw: String) -> Claims {
        Claims(pairs: pairs + [(key, raw)])
    }

    var json: String { "{" + pairs.map { "\"\($0.0)\":\($0.1)" }.joined(separator: ",") + "}" }
}

/// Returns the `StackError` a verification throws, or `nil`.
func verificationError(_ body: () throws -> TokenClaims) -> StackError? {
    stackError { _ = try body() }
}

@Suite("JWT")
struct JWTTests {
    static let policy = JWTPolicy(issuer: Forge.issuer, algorithms: ["HS256"])
    static let get = TokenRequest(method: "GET", requiredScope: "stacks:read")
    static let post = TokenRequest(method: "POST", requiredScope: "stacks:run", body: Array(#"{"a":1}"#.utf8))

    static func verifier(policy: JWTPolicy = policy, now: Int = Forge.now,
                         cache: some ReplayCache = InMemoryReplayCache()) throws -> HS256TokenVerifier {
        try HS256TokenVerifier(secret: SharedSecret(text: Forge.secretText), policy: policy,
                               clock: FixedClock(now), replayCache: cache)
    }

    // MARK: Rejections

    struct Rejection: Sendable, CustomStringConvertible {
        var name: String
        var expected: StackError.Code
        var request: TokenRequest = JWTTests.get
        var token: @Sendable () throws -> String
        var description: String { name }

        init(_ name: String, _ expected: StackError.Code, request: TokenRequest = JWTTests.get,
             _ token: @escaping @Sendable () throws -> String) {
            self.name = name
            self.expected = expected
            self.request = request
            self.token = token
        }
    }

    static let standard = Claims.standard().json

    static let rejections: [Rejection] = [
        // alg
        Rejection("alg none, empty signature", .authAlgorithm) {
            Forge.unsigned(header: #"{"alg":"none","typ":"stack+jwt"}"#, payload: standard)
        },
        Rejection("alg None", .authAlgorithm) {
            Forge.unsigned(header: #"{"alg":"None","typ":"stack+jwt"}"#, payload: standard)
        },
        Rejection("alg NONE", .authAlgorithm) {
            Forge.unsigned(header: #"{"alg":"NONE","typ":"stack+jwt"}"#, payload: standard)
        },
        Rejection("alg nOnE with an HMAC signature", .authAlgorithm) {
            try Forge.token(header: #"{"alg":"nOnE","typ":"stack+jwt"}"#, payload: standard)
        },
        Rejection("alg HS512 when only HS256 is allowed", .authAlgorithm) {
            try Forge.token(header: #"{"alg":"HS512","typ":"stack+jwt"}"#, payload: standard)
        },
        Rejection("alg RS256", .authAlgorithm) {
            try Forge.token(header: #"{"alg":"RS256","typ":"stack+jwt"}"#, payload: standard)
        },
        Rejection("alg ES256", .authAlgorithm) {
            try Forge.token(header: #"{"alg":"ES256","typ":"stack+jwt"}"#, payload: standard)
        },
        Rejection("alg EdDSA when only HS256 is allowed", .authAlgorithm) {
            try Forge.token(header: #"{"alg":"EdDSA","typ":"stack+jwt"}"#, payload: standard)
        },
        Rejection("alg hs256 (wrong case)", .authAlgorithm) {
            try Forge.token(header: #"{"alg":"hs256","typ":"stack+jwt"}"#, payload: standard)
        },
        Rejection("alg missing", .authAlgorithm) {
            try Forge.token(header: #"{"typ":"stack+jwt"}"#, payload: standard)
        },
        Rejection("alg not a string", .authAlgorithm) {
            try Forge.token(header: #"{"alg":["HS256"],"typ":"stack+jwt"}"#, payload: standard)
        },
        // header parameters
        Rejection("jku", .authHeader) {
            try Forge.token(header: #"{"alg":"HS256","typ":"stack+jwt","jku":"https://evil.example/jwks"}"#, payload: standard)
        },
        Rejection("x5u", .authHeader) {
            try Forge.token(header: #"{"alg":"HS256","typ":"stack+jwt","x5u":"https://evil.example/cert"}"#, payload: standard)
        },
        Rejection("jwk", .authHeader) {
            try Forge.token(header: #"{"alg":"HS256","typ":"stack+jwt","jwk":{"kty":"oct","k":"AAAA"}}"#, payload: standard)
        },
        Rejection("x5c", .authHeader) {
            try Forge.token(header: #"{"alg":"HS256","typ":"stack+jwt","x5c":["MIIB"]}"#, payload: standard)
        },
        Rejection("crit with an unknown extension", .authHeader) {
            try Forge.token(header: #"{"alg":"HS256","typ":"stack+jwt","crit":["exp"],"exp":1}"#, payload: standard)
        },
        Rejection("crit empty", .authHeader) {
            try Forge.token(header: #"{"alg":"HS256","typ":"stack+jwt","crit":[]}"#, payload: standard)
        },
        Rejection("b64 false (RFC 7797) with crit", .authHeader) {
            try Forge.token(header: #"{"alg":"HS256","typ":"stack+jwt","b64":false,"crit":["b64"]}"#, payload: standard)
        },
        Rejection("cty (nested JWT)", .authHeader) {
            try Forge.token(header: #"{"alg":"HS256","typ":"stack+jwt","cty":"JWT"}"#, payload: standard)
        },
        Rejection("unknown header parameter", .authHeader) {
            try Forge.token(header: #"{"alg":"HS256","typ":"stack+jwt","zip":"DEF"}"#, payload: standard)
        },
        Rejection("kid not a string", .authHeader) {
            try Forge.token(header: #"{"alg":"HS256","typ":"stack+jwt","kid":{"url":"https://evil.example"}}"#, payload: standard)
        },
        // typ
        Rejection("typ JWT", .authType) {
            try Forge.token(header: #"{"alg":"HS256","typ":"JWT"}"#, payload: standard)
        },
        Rejection("typ missing", .authType) {
            try Forge.token(header: #"{"alg":"HS256"}"#, payload: standard)
        },
        Rejection("typ of a callback token", .authType) {
            try Forge.token(header: #"{"alg":"HS256","typ":"stack-callback+jwt"}"#, payload: standard)
        },
        Rejection("typ in upper case", .authType) {
            try Forge.token(header: #"{"alg":"HS256","typ":"STACK+JWT"}"#, payload: standard)
        },
        // signature
        Rejection("wrong key", .authSignature) {
            try Forge.token(payload: standard, key: Forge.otherSecretText)
        },
        Rejection("payload swapped under a valid signature", .authSignature) {
            let good = try Forge.token(payload: standard)
            let parts = good.split(separator: ".")
            let forged = Forge.b64u(Claims.standard().with("scope", #""stacks:manage""#).json)
            return "\(parts[0]).\(forged).\(parts[2])"
        },
        Rejection("signature truncated", .authSignature) {
            let good = try Forge.token(payload: standard)
            return String(good.dropLast(3))
        },
        Rejection("signature empty", .authSignature) {
            Forge.unsigned(header: Forge.header, payload: standard)
        },
        Rejection("key = the secret's decoded bytes instead of its text", .authSignature) {
            let input = Forge.b64u(Forge.header) + "." + Forge.b64u(standard)
            let rawKey = Array(UInt8(1)...UInt8(32))
            let mac = try rawKey.withUnsafeBytes { key in
                try Array(input.utf8).withUnsafeBytes { try HMACSHA256.mac(key: key, message: $0) }
            }
            return input + "." + Forge.b64u(mac)
        },
        // format
        Rejection("empty token", .authMalformed) { "" },
        Rejection("two segments", .authMalformed) {
            Forge.b64u(Forge.header) + "." + Forge.b64u(standard)
        },
        Rejection("four segments", .authMalformed) {
            try Forge.token(payload: standard) + ".AAAA"
        },
        Rejection("padded signature (=)", .authMalformed) {
            try Forge.token(payload: standard) + "="
        },
        Rejection("padded payload (=)", .authMalformed) {
            let input = Forge.b64u(Forge.header) + "." + Forge.b64u(standard) + "="
            return input + "." + Forge.b64u(try Forge.hmac(input, key: Forge.secretText))
        },
        Rejection("non-canonical signature (unused bits set)", .authMalformed) {
            let good = try Forge.token(payload: standard)
            let parts = good.split(separator: ".").map(String.init)
            let flipped = try #require(Forge.flipUnusedBit(parts[2]))
            return "\(parts[0]).\(parts[1]).\(flipped)"
        },
        Rejection("non-canonical payload (unused bits set)", .authMalformed) {
            var json = standard
            while json.utf8.count % 3 == 0 { json += " " }
            let payload = try #require(Forge.flipUnusedBit(Forge.b64u(json)))
            let input = Forge.b64u(Forge.header) + "." + payload
            return input + "." + Forge.b64u(try Forge.hmac(input, key: Forge.secretText))
        },
        Rejection("standard base64 alphabet (+)", .authMalformed) {
            let good = try Forge.token(payload: standard)
            return good.replacingOccurrences(of: "e", with: "+")
        },
        Rejection("trailing newline", .authMalformed) {
            try Forge.token(payload: standard) + "\n"
        },
        Rejection("header not JSON", .authMalformed) {
            try Forge.token(header: "alg=HS256", payload: standard)
        },
        Rejection("header a JSON array", .authMalformed) {
            try Forge.token(header: #"["HS256","stack+jwt"]"#, payload: standard)
        },
        Rejection("duplicate alg in the header", .authMalformed) {
            try Forge.token(header: #"{"alg":"HS256","typ":"stack+jwt","alg":"none"}"#, payload: standard)
        },
        Rejection("duplicate typ in the header", .authMalformed) {
            try Forge.token(header: #"{"alg":"HS256","typ":"JWT","typ":"stack+jwt"}"#, payload: standard)
        },
        Rejection("duplicate iss in the payload (signed)", .authMalformed) {
            try Forge.token(payload: Claims.standard().appending("iss", #""https://evil.example""#).json)
        },
        Rejection("duplicate scope in the payload, escaped spelling", .authMalformed) {
            try Forge.token(payload: Claims.standard().appending("\\u0073cope", #""stacks:manage""#).json)
        },
        Rejection("payload not JSON", .authMalformed) {
            try Forge.token(payload: "{iss: 'https://stack.lol'}")
        },
        Rejection("payload a JSON string", .authMalformed) {
            try Forge.token(payload: #""stack-desktop""#)
        },
        Rejection("payload with trailing content", .authMalformed) {
            try Forge.token(payload: standard + "{}")
        },
        Rejection("token over 8 KiB", .authMalformed) {
            try Forge.token(payload: Claims.standard().with("pad", "\"" + String(repeating: "a", count: 9000) + "\"").json)
        },
        // claims
        Rejection("missing exp", .authClaims) { try Forge.token(payload: Claims.standard().without("exp").json) },
        Rejection("missing iat", .authClaims) { try Forge.token(payload: Claims.standard().without("iat").json) },
        Rejection("missing iss", .authClaims) { try Forge.token(payload: Claims.standard().without("iss").json) },
        Rejection("missing aud", .authClaims) { try Forge.token(payload: Claims.standard().without("aud").json) },
        Rejection("missing jti", .authClaims) { try Forge.token(payload: Claims.standard().without("jti").json) },
        Rejection("missing scope", .authClaims) { try Forge.token(payload: Claims.standard().without("scope").json) },
        Rejection("exp a string", .authClaims) {
            try Forge.token(payload: Claims.standard().with("exp", "\"\(Forge.now + 200)\"").json)
        },
        Rejection("jti empty", .authClaims) { try Forge.token(payload: Claims.standard().with("jti", #""""#).json) },
        Rejection("aud an array with a number", .authClaims) {
            try Forge.token(payload: Claims.standard().with("aud", #"["stack-desktop",1]"#).json)
        },
        Rejection("body_sha256 a number", .authClaims) {
            try Forge.token(payload: Claims.standard().with("body_sha256", "1").json)
        },
        // time
        Rejection("expired 31 s ago", .authExpired) {
            try Forge.token(payload: Claims.standard(iat: Forge.now - 131, exp: Forge.now - 31).json)
        },
        Rejection("lifetime 301 s", .authLifetime) {
            try Forge.token(payload: Claims.standard(iat: Forge.now - 1, exp: Forge.now + 300).json)
        },
        Rejection("exp before iat", .authLifetime) {
            try Forge.token(payload: Claims.standard(iat: Forge.now, exp: Forge.now - 1).json)
        },
        Rejection("iat 31 s in the future", .authNotYetValid) {
            try Forge.token(payload: Claims.standard(iat: Forge.now + 31, exp: Forge.now + 131).json)
        },
        Rejection("nbf 31 s in the future", .authNotYetValid) {
            try Forge.token(payload: Claims.standard().with("nbf", "\(Forge.now + 31)").json)
        },
        // binding
        Rejection("wrong iss", .authIssuer) {
            try Forge.token(payload: Claims.standard().with("iss", #""https://evil.example""#).json)
        },
        Rejection("iss with the issuer as a prefix", .authIssuer) {
            try Forge.token(payload: Claims.standard().with("iss", #""https://stack.lol.evil""#).json)
        },
        Rejection("iss with a trailing slash", .authIssuer) {
            try Forge.token(payload: Claims.standard().with("iss", #""https://stack.lol/""#).json)
        },
        Rejection("wrong aud", .authAudience) {
            try Forge.token(payload: Claims.standard().with("aud", #""stack-desktop-evil""#).json)
        },
        Rejection("aud array without the audience", .authAudience) {
            try Forge.token(payload: Claims.standard().with("aud", #"["https://stack.lol","other"]"#).json)
        },
        Rejection("aud empty array", .authAudience) {
            try Forge.token(payload: Claims.standard().with("aud", "[]").json)
        },
        Rejection("scope without the required one", .authScope, request: TokenRequest(method: "GET", requiredScope: "stacks:manage")) {
            try Forge.token(payload: standard)
        },
        Rejection("scope with the required one as a prefix", .authScope, request: TokenRequest(method: "GET", requiredScope: "stacks:run")) {
            try Forge.token(payload: Claims.standard().with("scope", #""stacks:runner stacks:read""#).json)
        },
        Rejection("scope array without the required one", .authScope, request: TokenRequest(method: "GET", requiredScope: "stacks:manage")) {
            try Forge.token(payload: Claims.standard().with("scope", #"["stacks:read","stacks:run"]"#).json)
        },
        Rejection("body_sha256 missing for a body", .authBodyHash, request: post) {
            try Forge.token(payload: standard)
        },
        Rejection("body_sha256 mismatch", .authBodyHash, request: post) {
            try Forge.token(payload: Claims.standard().with("body_sha256", "\"\(try Forge.sha256Hex(#"{"a":2}"#))\"").json)
        },
        Rejection("body_sha256 present but the body was stripped", .authBodyHash, request: TokenRequest(method: "POST", requiredScope: "stacks:run")) {
            try Forge.token(payload: Claims.standard().with("body_sha256", "\"\(try Forge.sha256Hex(#"{"a":1}"#))\"").json)
        },
    ]

    @Test("rejects", arguments: rejections)
    func rejects(_ rejection: Rejection) throws {
        let token = try rejection.token()
        let cache = InMemoryReplayCache()
        let verifier = try Self.verifier(cache: cache)
        let error = try #require(verificationError { try verifier.verify(token, for: rejection.request) })
        #expect(error.code == rejection.expected)
        #expect(error.exitStatus == .authentication)
        // Nothing of the token (segments, claim values) is echoed in the error.
        let text = [error.message, error.hint ?? "", error.cause ?? ""].joined(separator: " ")
        for segment in token.split(separator: ".") where segment.count >= 8 {
            #expect(!text.contains(segment))
        }
        #expect(!text.contains("evil"))
        #expect(!text.contains(Forge.secretText))
        // A rejected token never uses up its jti.
        #expect(cache.count == 0)
    }

    @Test("the issuer is compared byte for byte (KELVIN SIGN is not K)")
    func issuerIsExact() throws {
        let verifier = try Self.verifier(policy: JWTPolicy(issuer: "https://K.example", algorithms: ["HS256"]))
        let token = try Forge.token(payload: Claims.standard().with("iss", "\"https://\u{212A}.example\"").json)
        #expect(verificationError { try verifier.verify(token, for: Self.get) }?.code == .authIssuer)
        let good = try Forge.token(payload: Claims.standard().with("iss", #""https://K.example""#).json)
        #expect(try verifier.verify(good, for: Self.get).issuer == "https://K.example")
    }

    // MARK: Acceptance and boundaries

    @Test("accepts a valid token and types its claims")
    func acceptsValid() throws {
        let token = try Forge.token(payload: Claims.standard().with("sub", #""user-7""#).json)
        let claims = try Self.verifier().verify(token, for: Self.get)
        #expect(claims.algorithm == "HS256")
        #expect(claims.type == "stack+jwt")
        #expect(claims.issuer == Forge.issuer)
        #expect(claims.audience == ["stack-desktop"])
        #expect(claims.subject == "user-7")
        #expect(claims.id == "jti-1")
        #expect(claims.scopes == ["stacks:read", "stacks:run"])
        #expect(claims.issuedAt == Date(timeIntervalSince1970: TimeInterval(Forge.now - 10)))
        #expect(claims.expiresAt == Date(timeIntervalSince1970: TimeInterval(Forge.now + 200)))
        #expect(claims.all["sub"] == .string("user-7"))
    }

    @Test("accepts aud and scope as arrays, a kid, a fractional exp and whitespace in JSON")
    func acceptsVariants() throws {
        let payload = Claims.standard()
            .with("aud", #"["https://stack.lol", "stack-desktop"]"#)
            .with("scope", #"["stacks:read"]"#)
            .with("exp", "\(Forge.now + 100).5").json
        let token = try Forge.token(header: #"{ "alg" : "HS256", "typ":"stack+jwt", "kid":"website-1" }"#, payload: payload)
        let claims = try Self.verifier().verify(token, for: Self.get)
        #expect(claims.audience == ["https://stack.lol", "stack-desktop"])
        #expect(claims.scopes == ["stacks:read"])
        #expect(claims.expiresAt.timeIntervalSince1970 == TimeInterval(Forge.now + 100) + 0.5)
    }

    struct Boundary: Sendable, CustomStringConvertible {
        var name: String
        var claims: Claims
        var expected: StackError.Code?
        var description: String { name }
    }

    static let boundaries: [Boundary] = [
        Boundary(name: "exp 29 s ago", claims: .standard(iat: Forge.now - 129, exp: Forge.now - 29), expected: nil),
        Boundary(name: "exp 30 s ago", claims: .standard(iat: Forge.now - 130, exp: Forge.now - 30), expected: nil),
        Boundary(name: "exp 31 s ago", claims: .standard(iat: Forge.now - 131, exp: Forge.now - 31), expected: .authExpired),
        Boundary(name: "iat 29 s ahead", claims: .standard(iat: Forge.now + 29, exp: Forge.now + 129), expected: nil),
        Boundary(name: "iat 31 s ahead", claims: .standard(iat: Forge.now + 31, exp: Forge.now + 131), expected: .authNotYetValid),
        Boundary(name: "nbf 29 s ahead", claims: Claims.standard().with("nbf", "\(Forge.now + 29)"), expected: nil),
        Boundary(name: "nbf 31 s ahead", claims: Claims.standard().with("nbf", "\(Forge.now + 31)"), expected: .authNotYetValid),
        Boundary(name: "lifetime 300 s", claims: .standard(iat: Forge.now - 100, exp: Forge.now + 200), expected: nil),
        Boundary(name: "lifetime 301 s", claims: .standard(iat: Forge.now - 101, exp: Forge.now + 200), expected: .authLifetime),
        Boundary(name: "lifetime 0 s", claims: .standard(iat: Forge.now, exp: Forge.now), expected: nil),
    ]

    @Test("leeway and lifetime boundaries", arguments: boundaries)
    func boundary(_ boundary: Boundary) throws {
        let token = try Forge.token(payload: boundary.claims.json)
        let error = verificationError { try Self.verifier().verify(token, for: Self.get) }
        #expect(error?.code == boundary.expected)
    }

    @Test("the 8 KiB limit: the longest token that fits is accepted, one byte more is not")
    func lengthLimit() throws {
        func token(padding: Int) throws -> String {
            try Forge.token(payload: Claims.standard().with("pad", "\"" + String(repeating: "a", count: padding) + "\"").json)
        }
        var padding = 5000
        while try token(padding: padding + 1).utf8.count <= 8192 { padding += 1 }
        let fits = try token(padding: padding)
        let over = try token(padding: padding + 1)
        #expect(fits.utf8.count <= 8192 && fits.utf8.count >= 8190)
        #expect(over.utf8.count > 8192)
        #expect(try Self.verifier().verify(fits, for: Self.get).id == "jti-1")
        #expect(verificationError { try Self.verifier().verify(over, for: Self.get) }?.code == .authMalformed)
    }

    @Test("body_sha256 binds the exact body (either hex case)")
    func bodyHash() throws {
        let body = Array(#"{"bundle_url":"https://stack.lol/b.stack"}"#.utf8)
        let hash = try OpenSSLDigester.sha256Hex(body)
        let request = TokenRequest(method: "POST", requiredScope: "stacks:run", body: body)
        let lower = try Forge.token(payload: Claims.standard(jti: "a").with("body_sha256", "\"\(hash)\"").json)
        let upper = try Forge.token(payload: Claims.standard(jti: "b").with("body_sha256", "\"\(hash.uppercased())\"").json)
        let verifier = try Self.verifier()
        #expect(try verifier.verify(lower, for: request).bodySHA256 == hash)
        #expect(try verifier.verify(upper, for: request).bodySHA256 == hash)
        var changed = body
        changed.append(0x20)
        let third = try Forge.token(payload: Claims.standard(jti: "c").with("body_sha256", "\"\(hash)\"").json)
        let error = verificationError {
            try verifier.verify(third, for: TokenRequest(method: "POST", requiredScope: "stacks:run", body: changed))
        }
        #expect(error?.code == .authBodyHash)
    }

    // MARK: Replay

    @Test("a jti is single-use for non-GET requests; GET may reuse it")
    func replay() throws {
        let verifier = try Self.verifier()
        let get = try Forge.token(payload: Claims.standard(jti: "reused").json)
        _ = try verifier.verify(get, for: Self.get)
        _ = try verifier.verify(get, for: Self.get)
        // The GETs did not record it: the first state-changing use passes, the second is a replay.
        let delete = TokenRequest(method: "DELETE", requiredScope: "stacks:read")
        _ = try verifier.verify(get, for: delete)
        #expect(verificationError { try verifier.verify(get, for: delete) }?.code == .authReplay)
        // A different token with the same jti is a replay as well.
        let body = Self.post.body ?? []
        let other = try Forge.token(payload: Claims.standard(jti: "reused")
            .with("body_sha256", "\"\(try OpenSSLDigester.sha256Hex(body))\"").json)
        #expect(verificationError { try verifier.verify(other, for: Self.post) }?.code == .authReplay)
        // GET still works with a used jti.
        _ = try verifier.verify(get, for: Self.get)
    }

    @Test("a rejected token does not use up its jti")
    func rejectionKeepsJTI() throws {
        let verifier = try Self.verifier()
        let request = TokenRequest(method: "POST", requiredScope: "stacks:manage", target: "/v1/stacks/web/stop")
        let weak = try Forge.token(payload: Claims.standard(jti: "k").json)
        #expect(verificationError { try verifier.verify(weak, for: request) }?.code == .authScope)
        let strong = try Forge.token(payload: Claims.standard(jti: "k").with("scope", #""stacks:manage""#)
            .appending("htm", #""POST""#).appending("htu", #""/v1/stacks/web/stop""#).json)
        #expect(try verifier.verify(strong, for: request).id == "k")
    }

    @Test("htm/htu bind a token to one request; stacks:manage needs both", arguments: [
        ("no htm/htu for stacks:manage", nil, nil, "POST", "/v1/stacks/web/stop", "auth.unbound"),
        ("htm only", "POST", nil, "POST", "/v1/stacks/web/stop", "auth.unbound"),
        ("another method", "POST", "/v1/stacks/web", "DELETE", "/v1/stacks/web", "auth.unbound"),
        ("another path", "POST", "/v1/stacks/web/stop", "POST", "/v1/stacks/db/stop", "auth.unbound"),
        ("a stop token used to purge", "DELETE", "/v1/stacks/web", "DELETE", "/v1/stacks/web?purge=true", "auth.unbound"),
        ("the request named as a path", "DELETE", "/v1/stacks/web?purge=true", "DELETE", "/v1/stacks/web?purge=true", nil),
        ("the request named as a URL", "post", "https://127.0.0.1:47100/v1/stacks/web/stop", "POST", "/v1/stacks/web/stop", nil),
    ] as [(String, String?, String?, String, String, String?)])
    func requestBinding(_ name: String, _ htm: String?, _ htu: String?, _ method: String, _ target: String, _ code: String?) throws {
        let verifier = try Self.verifier()
        var claims = Claims.standard(jti: UUID().uuidString).with("scope", #""stacks:manage""#)
        if let htm { claims = claims.appending("htm", "\"\(htm)\"") }
        if let htu { claims = claims.appending("htu", "\"\(htu)\"") }
        let token = try Forge.token(payload: claims.json)
        let request = TokenRequest(method: method, requiredScope: "stacks:manage", target: target)
        let error = verificationError { try verifier.verify(token, for: request) }
        #expect(error?.code.rawValue == code, "\(name): \(String(describing: error))")
    }

    @Test("the persistent replay cache survives a restart (state/jti.json, 0600)")
    func replayAcrossRestart() throws {
        let directory = try TemporaryDirectory("jwt-replay")
        let store = FileStateStore(directory: directory.url)
        let token = try Forge.token(payload: Claims.standard(jti: "once").json)
        let request = TokenRequest(method: "POST", requiredScope: "stacks:run")
        do {
            let cache = try StateStoreReplayCache(store: store, now: FixedClock(Forge.now).now())
            _ = try Self.verifier(cache: cache).verify(token, for: request)
        }
        let file = directory.path("jti.json")
        let attributes = try FileManager.default.attributesOfItem(atPath: file.path)
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
        let restarted = try StateStoreReplayCache(store: store, now: FixedClock(Forge.now + 5).now())
        #expect(restarted.count == 1)
        let error = verificationError { try Self.verifier(now: Forge.now + 5, cache: restarted).verify(token, for: request) }
        #expect(error?.code == .authReplay)
    }

    @Test("replay entries expire at exp + leeway and are purged")
    func replayExpiry() throws {
        let directory = try TemporaryDirectory("jwt-replay-expiry")
        let store = FileStateStore(directory: directory.url)
        let start = Date(timeIntervalSince1970: TimeInterval(Forge.now))
        let cache = try StateStoreReplayCache(store: store, now: start)
        #expect(try cache.insert("a", issuedAt: start, expiry: start.addingTimeInterval(100), now: start))
        #expect(try !cache.insert("a", issuedAt: start, expiry: start.addingTimeInterval(100), now: start.addingTimeInterval(99)))
        #expect(try cache.insert("b", issuedAt: start, expiry: start.addingTimeInterval(500), now: start.addingTimeInterval(101)))
        #expect(cache.count == 1)  // "a" purged
        let reloaded = try StateStoreReplayCache(store: store, now: start.addingTimeInterval(101))
        #expect(reloaded.count == 1)
        let expired = try StateStoreReplayCache(store: store, now: start.addingTimeInterval(501))
        #expect(expired.count == 0)
    }

    @Test("a full replay cache refuses instead of forgetting")
    func replayCapacity() throws {
        let cache = InMemoryReplayCache(capacity: 2)
        let now = Date(timeIntervalSince1970: TimeInterval(Forge.now))
        let later = now.addingTimeInterval(60)
        #expect(try cache.insert("a", issuedAt: now, expiry: later, now: now))
        #expect(try cache.insert("b", issuedAt: now, expiry: later, now: now))
        #expect(stackError { _ = try cache.insert("c", issuedAt: now, expiry: later, now: now) }?.code == .authReplayCacheFull)
        #expect(try !cache.insert("a", issuedAt: now, expiry: later, now: now))
        #expect(try cache.insert("c", issuedAt: now, expiry: later, now: later))  // a and b expired
    }

    @Test("a corrupt replay file fails closed for tokens issued before the restart")
    func corruptReplayFile() throws {
        let directory = try TemporaryDirectory("jwt-replay-corrupt")
        let store = FileStateStore(directory: directory.url)
        try store.write("jti", Array("{\"version\":1,\"entries\":{\"a\":1,\"a\":2}}".utf8))
        let now = Date(timeIntervalSince1970: TimeInterval(Forge.now))
        let cache = try StateStoreReplayCache(store: store, skew: 60, now: now)
        #expect(try !cache.insert("old", issuedAt: now.addingTimeInterval(-10), expiry: now.addingTimeInterval(300), now: now))
        #expect(try !cache.insert("skewed", issuedAt: now.addingTimeInterval(59), expiry: now.addingTimeInterval(300), now: now))
        #expect(try cache.insert("fresh", issuedAt: now.addingTimeInterval(61), expiry: now.addingTimeInterval(300), now: now.addingTimeInterval(61)))
        let reloaded = try StateStoreReplayCache(store: store, now: now.addingTimeInterval(62))
        #expect(reloaded.count == 1)
    }

    // MARK: Signers and EdDSA

    @Test("HS256TokenSigner writes canonical tokens the verifier accepts")
    func hs256Signer() throws {
        let secret = try SharedSecret(text: Forge.secretText)
        let claims = try StandardClaims.make(issuer: Forge.issuer, audience: "stack-desktop", scopes: ["stacks:run"],
                                             lifetime: 120, now: FixedClock(Forge.now).now(), body: Array("x".utf8))
        let token = try HS256TokenSigner(secret: secret).sign(claims: claims, type: JWTPolicy.apiType)
        let parts = token.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        #expect(parts.count == 3)
        #expect(Base64URL.decode(parts[0]).map { String(decoding: $0, as: UTF8.self) } == #"{"alg":"HS256","typ":"stack+jwt"}"#)
        for part in parts { #expect(Base64URL.decode(part).map(Base64URL.encode) == part) }
        let verified = try Self.verifier().verify(token, for: TokenRequest(method: "POST", requiredScope: "stacks:run", body: Array("x".utf8)))
        #expect(verified.expiresAt.timeIntervalSince(verified.issuedAt) == 120)
        #expect(verified.id.count == 22)
        // The same claims sign to the same token (sorted keys, no whitespace).
        #expect(try HS256TokenSigner(secret: secret).sign(claims: claims, type: JWTPolicy.apiType) == token)
    }

    @Test("EdDSA: signer and pinned-key verifier, wrong key, and no algorithm confusion")
    func edDSA() throws {
        let signer = try EdDSATokenSigner(seed: Array(repeating: 7, count: 32))
        let policy = JWTPolicy(issuer: Forge.issuer, algorithms: ["EdDSA"])
        let clock = FixedClock(Forge.now)
        let claims = try StandardClaims.make(issuer: Forge.issuer, audience: "stack-desktop",
                                             scopes: ["stacks:read"], now: clock.now())
        let token = try signer.sign(claims: claims, type: JWTPolicy.apiType)
        let verifier = try EdDSATokenVerifier(publicKey: signer.publicKey, policy: policy, clock: clock,
                                              replayCache: InMemoryReplayCache())
        #expect(try verifier.verify(token, for: Self.get).algorithm == "EdDSA")

        let other = try EdDSATokenSigner(seed: Array(repeating: 8, count: 32))
        let stranger = try EdDSATokenVerifier(publicKey: other.publicKey, policy: policy, clock: clock,
                                              replayCache: InMemoryReplayCache())
        #expect(verificationError { try stranger.verify(token, for: Self.get) }?.code == .authSignature)

        // HS256 keyed with the public key's bytes, presented to a verifier that pins it.
        let both = try JWTVerifier(keys: [.edDSA(publicKey: signer.publicKey), .hs256(SharedSecret(text: Forge.secretText))],
                                   policy: JWTPolicy(issuer: Forge.issuer), clock: clock, replayCache: InMemoryReplayCache())
        #expect(both.algorithms == ["HS256", "EdDSA"])
        let input = Forge.b64u(Forge.header) + "." + Forge.b64u(Claims.standard().json)
        let mac = try signer.publicKey.withUnsafeBytes { key in
            try Array(input.utf8).withUnsafeBytes { try HMACSHA256.mac(key: key, message: $0) }
        }
        #expect(verificationError { try both.verify(input + "." + Forge.b64u(mac), for: Self.get) }?.code == .authSignature)
        #expect(try both.verify(token, for: Self.get).algorithm == "EdDSA")
        #expect(try both.verify(try Forge.token(payload: Claims.standard().json), for: Self.get).algorithm == "HS256")
        // An HS256 token to an EdDSA-only verifier is an algorithm error, not a signature one.
        #expect(verificationError { try verifier.verify(try Forge.token(payload: Claims.standard().json), for: Self.get) }?.code == .authAlgorithm)
    }

    @Test("configuration: no usable algorithm and bad pinned keys are refused")
    func configuration() throws {
        let hsOnly = JWTPolicy(issuer: Forge.issuer, algorithms: ["HS256"])
        #expect(stackError {
            _ = try EdDSATokenVerifier(publicKey: Array(repeating: 1, count: 32), policy: hsOnly, replayCache: InMemoryReplayCache())
        }?.code == .configInvalid)
        #expect(stackError {
            _ = try EdDSATokenVerifier(publicKey: [1, 2, 3], policy: JWTPolicy(issuer: Forge.issuer), replayCache: InMemoryReplayCache())
        }?.code == .authSecretInvalid)
    }

    // MARK: Building blocks

    @Test("HMAC-SHA256 known answer (RFC 4231 test case 2)")
    func hmacKnownAnswer() throws {
        let mac = try Forge.hmac("what do ya want for nothing?", key: "Jefe")
        #expect(mac == hexBytes("5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"))
    }

    @Test("base64url round-trips every length and refuses non-canonical spellings")
    func base64URL() throws {
        for length in 0...40 {
            let bytes = (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) }
            let text = Base64URL.encode(bytes)
            #expect(text == Forge.b64u(bytes))
            #expect(Base64URL.decode(text) == bytes)
            if let flipped = Forge.flipUnusedBit(text) { #expect(Base64URL.decode(flipped) == nil) }
        }
        for bad in ["A", "AAAAA", "AA==", "AA=", "A+/A", "AA A", "AA\n", "QQ", "QR"] where bad != "QQ" {
            #expect(Base64URL.decode(bad) == nil, "\(bad)")
        }
        #expect(Base64URL.decode("QQ") == [0x41])
    }

    static let badJSON: [(String, StrictJSON.Failure)] = [
        (#"{"a":1,"a":1}"#, .duplicateKey(offset: 7)),
        (#"{"a":1,"\u0061":2}"#, .duplicateKey(offset: 7)),
        (#"{"x":{"a":1,"a":2}}"#, .duplicateKey(offset: 12)),
        (#"{"a":1,}"#, .syntax(offset: 7)),
        (#"{"a":01}"#, .syntax(offset: 6)),
        (#"{"a":"\ud800"}"#, .syntax(offset: 12)),
        (#"{"a":NaN}"#, .syntax(offset: 5)),
        (#"{"a":1} x"#, .syntax(offset: 8)),
        (#"{"a":1e999}"#, .syntax(offset: 5)),
        ("{\"a\":\"\u{01}\"}", .syntax(offset: 6)),
        (#"{'a':1}"#, .syntax(offset: 1)),
        (String(repeating: "[", count: 40) + String(repeating: "]", count: 40), .tooDeep(offset: 32)),
    ]

    @Test("strict JSON refuses duplicates and everything RFC 8259 does not define")
    func strictJSON() throws {
        for (text, failure) in Self.badJSON {
            #expect(throws: failure, "\(text)") { try StrictJSON.parse(Array(text.utf8)) }
        }
        #expect(throws: StrictJSON.Failure.syntax(offset: 6)) { try StrictJSON.parse([0x7B, 0x22, 0x61, 0x22, 0x3A, 0x22, 0xC0, 0xAF, 0x22, 0x7D]) }
        let value = try StrictJSON.parse(Array(#" {"b":[1,-2.5e1,true,null],"a":"\u00e9\ud83d\ude00\/"} "#.utf8))
        #expect(value == .object(["b": .array([.int(1), .double(-25), .bool(true), .null]), "a": .string("é😀/")]))
        #expect(StrictJSON.compact(value) == #"{"a":"é😀/","b":[1,-25,true,null]}"#)
    }

    // MARK: Shared secret

    @Test("SharedSecret: generate, write 0600, load")
    func sharedSecretRoundTrip() throws {
        let directory = try TemporaryDirectory("jwt-secret")
        let secret = try SharedSecret.generate()
        let text = secret.revealText()
        #expect(text.utf8.count == 43)
        #expect(Base64URL.decode(text)?.count == 32)
        #expect(!String(describing: secret).contains(text))
        let file = directory.path("secrets/api.secret")
        try secret.write(to: file)
        let attributes = try FileManager.default.attributesOfItem(atPath: file.path)
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
        #expect(try String(contentsOf: file, encoding: .utf8) == text + "\n")
        #expect(try SharedSecret.load(from: file).revealText() == text)
        // The key is the text: a token signed with the text verifies.
        let claims = try StandardClaims.make(issuer: Forge.issuer, audience: "stack-desktop", scopes: ["stacks:read"],
                                             now: FixedClock(Forge.now).now())
        let token = try Forge.token(payload: StrictJSON.compact(.object(claims)), key: text)
        let verifier = try HS256TokenVerifier(secret: SharedSecret.load(from: file), policy: Self.policy,
                                              clock: FixedClock(Forge.now), replayCache: InMemoryReplayCache())
        #expect(try verifier.verify(token, for: Self.get).issuer == Forge.issuer)
    }

    @Test("SharedSecret refuses group/world-readable files, links and bad content", arguments: [0o644, 0o640, 0o604, 0o620, 0o660])
    func sharedSecretPermissions(mode: Int) throws {
        let directory = try TemporaryDirectory("jwt-secret-mode")
        let file = directory.path("api.secret")
        try SharedSecret(text: Forge.secretText).write(to: file)
        try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: file.path)
        let error = try #require(stackError { _ = try SharedSecret.load(from: file) })
        #expect(error.code == .authSecretPermissions)
        #expect(error.hint == "chmod 600 \(file.path)")
        #expect(!error.description.contains(Forge.secretText))
    }

    @Test("SharedSecret: symlink, missing file, bad and short content")
    func sharedSecretFiles() throws {
        let directory = try TemporaryDirectory("jwt-secret-bad")
        let real = directory.path("real.secret")
        try SharedSecret(text: Forge.secretText).write(to: real)
        let link = directory.path("link.secret")
        try FileManager.default.createSymbolicLink(at: link, withDestinationURL: real)
        #expect(stackError { _ = try SharedSecret.load(from: link) }?.code == .authSecretPermissions)
        #expect(stackError { _ = try SharedSecret.load(from: directory.path("missing")) }?.code == .fileNotFound)
        for content in ["not base64url!\n", Forge.b64u(Array(repeating: 9, count: 16)) + "\n", Forge.secretText + "=\n", "\n", Forge.secretText + "\n\n"] {
            let file = directory.path("bad.secret")
            try AtomicFile.write(Array(content.utf8), to: file, mode: 0o600)
            let error = stackError { _ = try SharedSecret.load(from: file) }
            #expect(error?.code == .authSecretInvalid)
            #expect(error.map { !$0.description.contains("not base64url!") } ?? false)
        }
        #expect(stackError { _ = try SharedSecret(text: "short") }?.code == .authSecretInvalid)
    }

    // MARK: Speed (one hand measurement; printed, loosely bounded)

    @Test("verifications per second")
    func speed() throws {
        let verifier = try Self.verifier()
        let token = try Forge.token(payload: Claims.standard().json)
        let count = 5000
        let start = ContinuousClock.now
        for _ in 0..<count { _ = try verifier.verify(token, for: Self.get) }
        let elapsed = ContinuousClock.now - start
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        let rate = Double(count) / seconds
        print("JWT HS256 GET verifications per second (this build): \(Int(rate))")

        let signer = try EdDSATokenSigner(seed: Array(repeating: 7, count: 32))
        let edToken = try signer.sign(claims: try StandardClaims.make(issuer: Forge.issuer, audience: "stack-desktop",
                                                                      scopes: ["stacks:read"], now: FixedClock(Forge.now).now()),
                                      type: JWTPolicy.apiType)
        let edVerifier = try EdDSATokenVerifier(publicKey: signer.publicKey, policy: JWTPolicy(issuer: Forge.issuer),
                                                clock: FixedClock(Forge.now), replayCache: InMemoryReplayCache())
        let edStart = ContinuousClock.now
        for _ in 0..<1000 { _ = try edVerifier.verify(edToken, for: Self.get) }
        let edElapsed = ContinuousClock.now - edStart
        let edSeconds = Double(edElapsed.components.seconds) + Double(edElapsed.components.attoseconds) / 1e18
        print("JWT EdDSA GET verifications per second (this build): \(Int(1000 / edSeconds))")
        #expect(rate > 500)
    }
}
