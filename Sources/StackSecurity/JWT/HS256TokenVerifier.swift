import StackCore

/// Verifies HS256 tokens with the shared secret (`secrets/api.secret`); everything but the
/// key is ``JWTVerifier``'s.
public struct HS256TokenVerifier: TokenVerifier {
    private let verifier: JWTVerifier

    /// Creates the verifier.
    /// - Parameters:
    ///   - secret: The shared secret; its text is the HMAC key.
    ///   - policy: The checks besides the signature; its ``JWTPolicy/algorithms`` must
    ///     include `HS256`.
    ///   - clock: The time source.
    ///   - replayCache: Where single-use `jti`s are recorded.
    /// - Throws: `config.invalid` when the policy does not allow `HS256`.
    public init(secret: SharedSecret, policy: JWTPolicy, clock: some WallClock = SystemWallClock(),
                replayCache: some ReplayCache) throws {
        verifier = try JWTVerifier(keys: [.hs256(secret)], policy: policy, clock: clock,
                                   replayCache: replayCache)
    }

    /// Verifies `token` for `request`; see ``JWTVerifier/verify(_:for:)``.
    /// - Parameters:
    ///   - token: The compact JWT.
    ///   - request: The request's method, required scope and body.
    /// - Returns: The verified claims.
    /// - Throws: `StackError` with an `auth.*` code.
    public func verify(_ token: String, for request: TokenRequest) throws -> TokenClaims {
        try verifier.verify(token, for: request)
    }
}
