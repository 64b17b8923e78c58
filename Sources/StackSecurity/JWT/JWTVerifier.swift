import Foundation
import StackCore

/// Verifies the local API's bearer tokens (DESIGN §6) against one or more pinned keys:
/// HS256 with the shared secret and/or EdDSA with the website's public key.
///
/// A token passes only when every check holds, in this order (the first failure's code is
/// thrown):
/// 1. at most ``JWTPolicy/maxTokenLength`` bytes, exactly three segments, each canonical
///    unpadded base64url; the header a JSON object without duplicate keys (`auth.malformed`);
/// 2. `alg` present, not `none`, allowed and backed by a key (`auth.algorithm`); only
///    `alg`, `typ` and `kid` in the header, so `jku`, `x5u`, `jwk`, `x5c`, `crit`, `cty`, …
///    are refused (`auth.header`); `typ` exactly the policy's type (`auth.type`);
/// 3. the signature (`auth.signature`), before the payload is parsed;
/// 4. the payload a JSON object without duplicate keys (`auth.malformed`) holding `exp`,
///    `iat`, `iss`, `aud`, `jti` and `scope` of the right types (`auth.claims`);
/// 5. `exp − iat` within the maximum lifetime (`auth.lifetime`), `iat` and `nbf` not in the
///    future beyond the leeway (`auth.not_yet_valid`), `exp` not in the past beyond the
///    leeway (`auth.expired`);
/// 6. `iss` equal to the issuer (`auth.issuer`), `aud` naming the audience
///    (`auth.audience`), `scope` granting the request's scope (`auth.scope`),
///    `body_sha256` matching the request body (`auth.body_hash`);
/// 7. for non-`GET` requests, a `jti` never seen before (`auth.replay`), recorded last so
///    that a rejected token never uses up its id.
public struct JWTVerifier: TokenVerifier {
    /// The checks besides the signature.
    public let policy: JWTPolicy
    /// The algorithms this verifier accepts: the policy's, restricted to those with a key.
    public let algorithms: Set<String>
    private let keys: [String: JWTVerificationKey]
    private let clock: any WallClock
    private let replayCache: any ReplayCache

    /// Creates a verifier.
    /// - Parameters:
    ///   - keys: The pinned keys, at most one per algorithm.
    ///   - policy: The checks besides the signature.
    ///   - clock: The time source.
    ///   - replayCache: Where single-use `jti`s are recorded; share one per home.
    /// - Throws: `config.invalid` when no key's algorithm is allowed by the policy or two
    ///   keys share an algorithm, `auth.secret_invalid` for an unusable key.
    public init(keys: [JWTVerificationKey], policy: JWTPolicy, clock: some WallClock = SystemWallClock(),
                replayCache: some ReplayCache) throws {
        var byAlgorithm: [String: JWTVerificationKey] = [:]
        for key in keys {
            try key.validate()
            guard byAlgorithm[key.algorithm] == nil else {
                throw StackError(.configInvalid, "two token keys for the algorithm \(key.algorithm)")
            }
            if policy.algorithms.contains(key.algorithm) { byAlgorithm[key.algorithm] = key }
        }
        guard !byAlgorithm.isEmpty else {
            throw StackError(.configInvalid, "no token key matches the allowed algorithms "
                             + policy.algorithms.sorted().joined(separator: ", "))
        }
        self.policy = policy
        self.keys = byAlgorithm
        self.algorithms = Set(byAlgorithm.keys)
        self.clock = clock
        self.replayCache = replayCache
    }

    /// The header parameters a token may carry.
    static let allowedHeaderParameters: Set<String> = ["alg", "typ", "kid"]
    /// The header parameters that point at keys elsewhere; named in their own message.
    static let keyLocatingParameters: Set<String> = ["jku", "x5u", "jwk", "x5c"]

    /// Verifies `token` for `request`.
    /// - Parameters:
    ///   - token: The compact JWT.
    ///   - request: The request's method, required scope and body.
    /// - Returns: The verified claims.
    /// - Throws: `StackError` with the `auth.*` code of the first failed check (see the type's
    ///   documentation), `io.failed` when the replay cache cannot be written, `crypto.failed`
    ///   when OpenSSL fails.
    public func verify(_ token: String, for request: TokenRequest) throws -> TokenClaims {
        let bytes = Array(token.utf8)
        guard bytes.count <= policy.maxTokenLength else {
            throw StackError(.authMalformed, "the token is longer than \(policy.maxTokenLength) bytes")
        }
        let dots = bytes.indices.filter { bytes[$0] == UInt8(ascii: ".") }
        guard dots.count == 2 else {
            throw StackError(.authMalformed, "the token does not have exactly three segments")
        }
        let headerText = bytes[..<dots[0]]
        let payloadText = bytes[(dots[0] + 1)..<dots[1]]
        let signatureText = bytes[(dots[1] + 1)...]
        guard let headerBytes = Base64URL.decode(headerText) else {
            throw StackError(.authMalformed, "the token's header is not canonical base64url")
        }
        guard let payloadBytes = Base64URL.decode(payloadText) else {
            throw StackError(.authMalformed, "the token's payload is not canonical base64url")
        }
        guard let signature = Base64URL.decode(signatureText) else {
            throw StackError(.authMalformed, "the token's signature is not canonical base64url")
        }

        let header = try Self.jsonObject(headerBytes, part: "header")
        let (algorithm, type, key) = try checkHeader(header)

        guard try key.isValid(signature: signature, signingInput: bytes[..<dots[1]]) else {
            throw StackError(.authSignature, "the token's signature does not verify")
        }

        let payload = try Self.jsonObject(payloadBytes, part: "payload")
        let claims = try Self.claims(payload, algorithm: algorithm, type: type)
        try checkTimes(claims)
        try checkBinding(claims, request: request)

        if !request.allowsReuse {
            let replayKey = try OpenSSLDigester.sha256Hex(Array(claims.issuer.utf8) + [0] + Array(claims.id.utf8))
            let isNew = try replayCache.insert(replayKey, issuedAt: claims.issuedAt,
                                               expiry: claims.expiresAt.addingTimeInterval(policy.leeway),
                                               now: clock.now())
            guard isNew else {
                throw StackError(.authReplay, "the token's jti was already used",
                                 hint: "mint a new token for every request that changes state")
            }
        }
        return claims
    }

    // MARK: Steps

    private static func jsonObject(_ bytes: [UInt8], part: String) throws -> [String: ConfigValue] {
        let value: ConfigValue
        do {
            value = try StrictJSON.parse(bytes)
        } catch let failure as StrictJSON.Failure {
            throw StackError(.authMalformed, "the token's \(part) is not strict JSON: \(failure)")
        }
        guard let object = value.objectValue else {
            throw StackError(.authMalformed, "the token's \(part) is not a JSON object")
        }
        return object
    }

    private func checkHeader(_ header: [String: ConfigValue]) throws -> (String, String, JWTVerificationKey) {
        let allowed = algorithms.sorted().joined(separator: ", ")
        guard let algorithmValue = header["alg"] else {
            throw StackError(.authAlgorithm, "the token's header has no alg (allowed: \(allowed))")
        }
        guard let algorithm = algorithmValue.stringValue else {
            throw StackError(.authAlgorithm, "the token's alg is not a string (allowed: \(allowed))")
        }
        guard algorithm.lowercased() != "none" else {
            throw StackError(.authAlgorithm, "unsigned tokens (alg none) are refused")
        }
        guard let key = keys.first(where: { same($0.key, algorithm) })?.value else {
            throw StackError(.authAlgorithm, "the token's algorithm is not allowed (allowed: \(allowed))")
        }
        let locating = Set(header.keys).intersection(Self.keyLocatingParameters)
        guard locating.isEmpty else {
            throw StackError(.authHeader, "the token's header names a key location ("
                             + locating.sorted().joined(separator: ", ") + "); keys are pinned")
        }
        guard header["crit"] == nil else {
            throw StackError(.authHeader, "the token's header has crit; no critical extension is supported")
        }
        let unknown = Set(header.keys).subtracting(Self.allowedHeaderParameters)
        guard unknown.isEmpty else {
            throw StackError(.authHeader, "the token's header has parameters other than alg, typ and kid")
        }
        if let kid = header["kid"], kid.stringValue == nil {
            throw StackError(.authHeader, "the token's kid is not a string")
        }
        guard let type = header["typ"]?.stringValue, same(type, policy.type) else {
            throw StackError(.authType, "the token's typ is not \(policy.type)")
        }
        return (algorithm, type, key)
    }

    private static func claims(_ payload: [String: ConfigValue], algorithm: String, type: String) throws -> TokenClaims {
        func missing(_ name: String) -> StackError {
            StackError(.authClaims, "the token has no \(name) claim of the right type")
        }
        func date(_ name: String) throws -> Date? {
            switch payload[name] {
            case nil: return nil
            case .int(let seconds)?: return Date(timeIntervalSince1970: TimeInterval(seconds))
            case .double(let seconds)? where seconds.isFinite: return Date(timeIntervalSince1970: seconds)
            default: throw StackError(.authClaims, "the token's \(name) claim is not a number")
            }
        }
        func strings(_ name: String) throws -> [String]? {
            switch payload[name] {
            case nil: return nil
            case .string(let text)?: return [text]
            case .array(let items)?:
                let texts = items.compactMap(\.stringValue)
                guard texts.count == items.count else { throw missing(name) }
                return texts
            default: throw missing(name)
            }
        }
        guard let expiresAt = try date("exp") else { throw missing("exp") }
        guard let issuedAt = try date("iat") else { throw missing("iat") }
        let notBefore = try date("nbf")
        guard let issuer = payload["iss"]?.stringValue else { throw missing("iss") }
        guard let audience = try strings("aud") else { throw missing("aud") }
        guard let id = payload["jti"]?.stringValue, !id.isEmpty else { throw missing("jti") }
        let scopes: [String]
        switch payload["scope"] {
        case .string(let text)?: scopes = text.split(separator: " ").map(String.init)
        case .array?: scopes = try strings("scope") ?? []
        default: throw missing("scope")
        }
        var subject: String?
        if let value = payload["sub"] {
            guard let text = value.stringValue else { throw missing("sub") }
            subject = text
        }
        var bodySHA256: String?
        if let value = payload["body_sha256"] {
            guard let text = value.stringValue else { throw missing("body_sha256") }
            bodySHA256 = text.lowercased()
        }
        return TokenClaims(algorithm: algorithm, type: type, issuer: issuer, audience: audience,
                           subject: subject, id: id, issuedAt: issuedAt, expiresAt: expiresAt,
                           notBefore: notBefore, scopes: scopes, bodySHA256: bodySHA256, all: payload)
    }

    private func checkTimes(_ claims: TokenClaims) throws {
        let lifetime = claims.expiresAt.timeIntervalSince(claims.issuedAt)
        guard lifetime >= 0, lifetime <= policy.maxLifetime else {
            throw StackError(.authLifetime, "the token's exp − iat is not between 0 and \(Int(policy.maxLifetime)) seconds")
        }
        let now = clock.now()
        guard claims.issuedAt.timeIntervalSince(now) <= policy.leeway else {
            throw StackError(.authNotYetValid, "the token's iat is in the future",
                             hint: "check the clocks of this computer and the website")
        }
        if let notBefore = claims.notBefore, notBefore.timeIntervalSince(now) > policy.leeway {
            throw StackError(.authNotYetValid, "the token's nbf is in the future",
                             hint: "check the clocks of this computer and the website")
        }
        guard now.timeIntervalSince(claims.expiresAt) <= policy.leeway else {
            throw StackError(.authExpired, "the token has expired")
        }
    }

    private func checkBinding(_ claims: TokenClaims, request: TokenRequest) throws {
        guard same(claims.issuer, policy.issuer) else {
            throw StackError(.authIssuer, "the token's iss is not the configured issuer")
        }
        guard claims.audience.contains(where: { same($0, policy.audience) }) else {
            throw StackError(.authAudience, "the token's aud does not name \(policy.audience)")
        }
        if let scope = request.requiredScope, !claims.scopes.contains(where: { same($0, scope) }) {
            throw StackError(.authScope, "the token's scope does not grant \(scope)")
        }
        let body = request.body ?? []
        if let claimed = claims.bodySHA256 {
            let actual = try OpenSSLDigester.sha256Hex(body)
            guard constantTimeEquals(Array(claimed.utf8), Array(actual.utf8)) else {
                throw StackError(.authBodyHash, "the token's body_sha256 does not match the request body")
            }
        } else if !body.isEmpty {
            throw StackError(.authBodyHash, "the request has a body but the token has no body_sha256")
        }
        try checkRequestBinding(claims, request: request)
    }

    /// `htm` and `htu` (as in DPoP, RFC 9449) bind a token to one request: its method, and
    /// its path with the query (a `stacks:manage` token for `DELETE /v1/stacks/web` cannot
    /// purge, `DELETE /v1/stacks/web?purge=true`, nor stop). `htu` may be the path or the
    /// whole URL; only its path and query are compared. Both are required for
    /// `stacks:manage`; for other scopes they are checked when present.
    private func checkRequestBinding(_ claims: TokenClaims, request: TokenRequest) throws {
        let htm = claims.all["htm"]
        let htu = claims.all["htu"]
        if let scope = request.requiredScope, same(scope, "stacks:manage"), htm == nil || htu == nil {
            throw StackError(.authUnbound, "a stacks:manage token must name its request in htm (the method) and htu (the path)",
                             hint: "mint one per request: htm \(request.method.uppercased()), htu \(request.target ?? "the request's path")")
        }
        if let htm {
            guard let method = htm.stringValue, same(method.uppercased(), request.method.uppercased()) else {
                throw StackError(.authUnbound, "the token is for another method (htm)")
            }
        }
        if let htu {
            guard let text = htu.stringValue, let target = request.target else {
                throw StackError(.authUnbound, "the token's htu cannot be checked")
            }
            var claimed = text
            if let scheme = claimed.range(of: "://") {
                let afterHost = claimed[scheme.upperBound...]
                claimed = afterHost.firstIndex(of: "/").map { String(afterHost[$0...]) } ?? "/"
            }
            guard same(claimed, target) else {
                throw StackError(.authUnbound, "the token is for another request (htu names \(claimed))")
            }
        }
    }
}

/// Exact comparison of the UTF-8 bytes. Swift's `==` on `String` treats canonically
/// equivalent spellings as equal (U+212A KELVIN SIGN equals `K`), which is not what a
/// claim comparison may do.
/// - Parameters:
///   - a: One string.
///   - b: The other.
/// - Returns: `true` when both have the same bytes.
func same(_ a: String, _ b: String) -> Bool {
    a.utf8.elementsEqual(b.utf8)
}
