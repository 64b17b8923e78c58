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

/// Verifies bearer tokens of the local API.
public protocol TokenVerifier: Sendable {
    /// Verifies `token` and returns its claims.
    /// - Parameter token: The compact JWT.
    /// - Returns: The claims as a JSON object.
    /// - Throws: `StackError` with an `auth.*` code.
    func verify(_ token: String) throws -> [String: ConfigValue]
}

/// Signs tokens (callbacks, `token mint`).
public protocol TokenSigner: Sendable {
    /// Signs `claims` into a compact JWT.
    /// - Parameters:
    ///   - claims: The payload.
    ///   - type: The `typ` header.
    /// - Returns: The token.
    func sign(claims: [String: ConfigValue], type: String) throws -> String
}
