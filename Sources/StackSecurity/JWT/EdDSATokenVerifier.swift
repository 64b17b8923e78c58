import StackCore

/// Verifies EdDSA (Ed25519) tokens with the website's pinned public key; everything but
/// the key is ``JWTVerifier``'s.
public struct EdDSATokenVerifier: TokenVerifier {
    private let verifier: JWTVerifier

    /// Creates the verifier.
    /// - Parameters:
    ///   - publicKey: The pinned raw 32-byte Ed25519 public key.
    ///   - policy: The checks besides the signature; its ``JWTPolicy/algorithms`` must
    ///     include `EdDSA`.
    ///   - clock: The time source.
    ///   - replayCache: Where single-use `jti`s are recorded.
    /// - Throws: `auth.secret_invalid` for an invalid key, `config.invalid` when the policy
    ///   does not allow `EdDSA`.
    public init(publicKey: [UInt8], policy: JWTPolicy, clock: some WallClock = SystemWallClock(),
                replayCache: some ReplayCache) throws {
        verifier = try JWTVerifier(keys: [.edDSA(publicKey: publicKey)], policy: policy, clock: clock,
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
