/// Codes of the local API's token authentication (DESIGN §6) and the shared secret, exit 7.
/// Each rejection has its own code so the website can tell what to fix; the strings never
/// change. Messages name claims and headers but never carry token or secret content.
extension StackError.Code {
    // MARK: Token format
    /// The token is not a strict compact JWS: not three segments, non-canonical base64url,
    /// not a JSON object, duplicate JSON keys, or longer than 8 KiB.
    public static let authMalformed = Self("auth.malformed", exit: .authentication)
    /// The request carries no bearer token.
    public static let authMissing = Self("auth.missing", exit: .authentication)

    // MARK: Header
    /// `alg` is missing, `none` in any spelling, or not among the allowed algorithms.
    public static let authAlgorithm = Self("auth.algorithm", exit: .authentication)
    /// The header has a parameter that is refused (`jku`, `x5u`, `jwk`, `x5c`, `crit`,
    /// `cty`, …) or one that is not understood.
    public static let authHeader = Self("auth.header", exit: .authentication)
    /// `typ` is missing or not the required token type.
    public static let authType = Self("auth.type", exit: .authentication)
    /// The signature does not verify with the configured key.
    public static let authSignature = Self("auth.signature", exit: .authentication)

    // MARK: Claims
    /// A required claim (`exp`, `iat`, `iss`, `aud`, `jti`, `scope`) is missing or has the
    /// wrong type.
    public static let authClaims = Self("auth.claims", exit: .authentication)
    /// `exp` is in the past, beyond the leeway.
    public static let authExpired = Self("auth.expired", exit: .authentication)
    /// `iat` or `nbf` is in the future, beyond the leeway.
    public static let authNotYetValid = Self("auth.not_yet_valid", exit: .authentication)
    /// `exp − iat` is above the maximum lifetime (or negative).
    public static let authLifetime = Self("auth.lifetime", exit: .authentication)
    /// `iss` is not exactly the configured issuer.
    public static let authIssuer = Self("auth.issuer", exit: .authentication)
    /// `aud` does not name this audience.
    public static let authAudience = Self("auth.audience", exit: .authentication)
    /// `scope` does not grant what the request needs.
    public static let authScope = Self("auth.scope", exit: .authentication)
    /// `body_sha256` is missing for a request with a body, or differs from the body's hash.
    public static let authBodyHash = Self("auth.body_hash", exit: .authentication)
    /// The token is not bound to this request (`htm`/`htu`), or a `stacks:manage` token
    /// does not name its request.
    public static let authUnbound = Self("auth.unbound", exit: .authentication)
    /// The token's `jti` was already used by a non-GET request.
    public static let authReplay = Self("auth.replay", exit: .authentication)
    /// The replay cache is full of unexpired ids; the request is refused rather than
    /// forgetting one (fail closed). It clears itself as tokens expire.
    public static let authReplayCacheFull = Self("auth.replay_cache_full", exit: .authentication)

    // MARK: Keys and the shared secret
    /// The shared secret file is readable by group or others, not a regular file, or owned
    /// by another user.
    public static let authSecretPermissions = Self("auth.secret_permissions", exit: .authentication)
    /// The shared secret file or a token key is not in the expected format.
    public static let authSecretInvalid = Self("auth.secret_invalid", exit: .authentication)
}
