import Foundation

/// What a verified signature vouches for.
public struct SignatureVerdict: Sendable, Hashable {
    /// The signing key's id (minisign: 16 upper-case hex digits).
    public var keyID: String
    /// The trusted comment's `key:value` fields.
    public var trustedFields: [String: String]
    public init(keyID: String, trustedFields: [String: String]) {
        self.keyID = keyID
        self.trustedFields = trustedFields
    }
}

/// Verifies a detached publisher signature over a bundle's digests against the trusted
/// keys. `MinisignVerifier` (StackSecurity) implements it.
public protocol SignatureVerifier: Sendable {
    /// Verifies `signature` over the bundle whose digests are given.
    /// - Parameters:
    ///   - signature: The detached signature file's bytes.
    ///   - bundle: The open bundle (read again only by algorithms that are not prehashed).
    ///   - digests: The bundle's digests, from one pass over the same open file.
    /// - Returns: The verdict.
    /// - Throws: `StackError` with a `signature.*` code.
    func verify(signature: [UInt8], file bundle: BundleFile, digests: FileDigests) throws -> SignatureVerdict
}

/// What the request that carries a bearer token asks for. A verifier checks that the token
/// covers exactly this request: its scope, its body, and (for methods other than `GET`)
/// that the token's `jti` was never used before.
public struct TokenRequest: Sendable, Hashable {
    /// The HTTP method (`GET`, `POST`, `DELETE`, …), compared case-insensitively.
    public var method: String
    /// The scope the route needs (`stacks:read`, `stacks:run`, `stacks:manage`); `nil` when
    /// the route needs none.
    public var requiredScope: String?
    /// The exact request body bytes; `nil` (or empty) when there is no body.
    public var body: [UInt8]?
    /// The request target: path and query as sent (`/v1/stacks/web?purge=true`), which an
    /// `htu` claim must name; `nil` when not known.
    public var target: String?

    /// Creates a request description.
    /// - Parameters:
    ///   - method: The HTTP method.
    ///   - requiredScope: The scope the route needs, if any.
    ///   - body: The exact body bytes, if any.
    ///   - target: The path and query, if known.
    public init(method: String, requiredScope: String? = nil, body: [UInt8]? = nil, target: String? = nil) {
        self.method = method
        self.requiredScope = requiredScope
        self.body = body
        self.target = target
    }

    /// Whether a token may be used again for this request (`GET` only, DESIGN §6).
    public var allowsReuse: Bool { method.uppercased() == "GET" }
}

/// The claims of a token that passed verification, typed.
public struct TokenClaims: Sendable, Hashable {
    /// The header's `alg` (`HS256`, `EdDSA`).
    public var algorithm: String
    /// The header's `typ` (`stack+jwt`).
    public var type: String
    /// `iss`.
    public var issuer: String
    /// `aud`, as a list even when the token carried one string.
    public var audience: [String]
    /// `sub`, when present.
    public var subject: String?
    /// `jti`.
    public var id: String
    /// `iat`.
    public var issuedAt: Date
    /// `exp`.
    public var expiresAt: Date
    /// `nbf`, when present.
    public var notBefore: Date?
    /// `scope`, split on spaces (or the array's strings).
    public var scopes: [String]
    /// `body_sha256`, lower-cased, when present.
    public var bodySHA256: String?
    /// Every claim of the payload, including the ones above.
    public var all: [String: ConfigValue]

    /// Creates verified claims (verifiers call it; tests build doubles with it).
    /// - Parameters:
    ///   - algorithm: The header's `alg`.
    ///   - type: The header's `typ`.
    ///   - issuer: `iss`.
    ///   - audience: `aud`.
    ///   - subject: `sub`.
    ///   - id: `jti`.
    ///   - issuedAt: `iat`.
    ///   - expiresAt: `exp`.
    ///   - notBefore: `nbf`.
    ///   - scopes: `scope`.
    ///   - bodySHA256: `body_sha256`.
    ///   - all: The whole payload.
    public init(algorithm: String, type: String, issuer: String, audience: [String],
                subject: String? = nil, id: String, issuedAt: Date, expiresAt: Date,
                notBefore: Date? = nil, scopes: [String], bodySHA256: String? = nil,
                all: [String: ConfigValue]) {
        self.algorithm = algorithm
        self.type = type
        self.issuer = issuer
        self.audience = audience
        self.subject = subject
        self.id = id
        self.issuedAt = issuedAt
        self.expiresAt = expiresAt
        self.notBefore = notBefore
        self.scopes = scopes
        self.bodySHA256 = bodySHA256
        self.all = all
    }
}

/// Verifies bearer tokens of the local API (DESIGN §6). `HS256TokenVerifier`,
/// `EdDSATokenVerifier` and `JWTVerifier` (StackSecurity) implement it.
///
/// Verification is synchronous: it is a few microseconds of CPU plus, for non-`GET`
/// requests, one small atomic write of the replay cache.
public protocol TokenVerifier: Sendable {
    /// Verifies `token` for `request` and returns its claims.
    /// - Parameters:
    ///   - token: The compact JWT (the bearer credential, without `Bearer `).
    ///   - request: What the request asks for (method, required scope, body).
    /// - Returns: The verified claims.
    /// - Throws: `StackError` with an `auth.*` code (one per kind of rejection), or
    ///   `io.failed` when the replay cache cannot be persisted (the request is refused).
    func verify(_ token: String, for request: TokenRequest) throws -> TokenClaims
}

/// Signs tokens (callbacks, `stackctl token mint`).
public protocol TokenSigner: Sendable {
    /// The JWS algorithm this signer writes into `alg` (`HS256`, `EdDSA`).
    var algorithm: String { get }

    /// Signs `claims` into a compact JWT with the header `{"alg":…,"typ":type}`.
    /// - Parameters:
    ///   - claims: The payload.
    ///   - type: The `typ` header (`stack+jwt`, `stack-callback+jwt`).
    /// - Returns: The token.
    /// - Throws: `crypto.failed` when the signature cannot be computed.
    func sign(claims: [String: ConfigValue], type: String) throws -> String
}

/// Remembers the ids of single-use tokens until they expire, so a token accepted once for
/// a non-`GET` request is refused the second time (DESIGN §6, `jti`).
/// `InMemoryReplayCache` and `StateStoreReplayCache` (StackSecurity) implement it.
public protocol ReplayCache: Sendable {
    /// Records `key` as used, unless it already is.
    /// - Parameters:
    ///   - key: An opaque id of the token (verifiers pass a digest of the issuer and `jti`).
    ///   - issuedAt: The token's `iat`.
    ///   - expiry: When the entry may be forgotten (`exp` plus the leeway).
    ///   - now: The current time, for expiring old entries.
    /// - Returns: `true` when `key` was new and is now recorded; `false` for a replay.
    /// - Throws: `auth.replay_cache_full` when no room is left, `io.failed` when a
    ///   persistent cache cannot be written. Callers refuse the request on any error.
    func insert(_ key: String, issuedAt: Date, expiry: Date, now: Date) throws -> Bool
}
