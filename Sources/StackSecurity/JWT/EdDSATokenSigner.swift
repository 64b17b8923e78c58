import StackCore

/// Signs EdDSA (Ed25519) tokens (callbacks to the website, tests). The seed is kept in a
/// buffer that is wiped when the signer is released.
public struct EdDSATokenSigner: TokenSigner {
    /// `EdDSA`.
    public var algorithm: String { "EdDSA" }
    private let seed: SecureBytes

    /// The public key the website pins, raw 32 bytes.
    public let publicKey: [UInt8]

    /// Creates the signer.
    /// - Parameter seed: The 32-byte Ed25519 seed; the signer keeps its own copy, so wipe yours.
    /// - Throws: `crypto.failed` when the seed is not 32 bytes or OpenSSL refuses it.
    public init(seed: [UInt8]) throws {
        let secure = seed.withUnsafeBytes { SecureBytes(copying: $0) }
        publicKey = try secure.withUnsafeBytes { try Ed25519.publicKey(seed: $0) }
        self.seed = secure
    }

    /// Signs `claims` as `{"alg":"EdDSA","typ":type}`.
    /// - Parameters:
    ///   - claims: The payload.
    ///   - type: The `typ` header.
    /// - Returns: The canonical compact token.
    /// - Throws: `crypto.failed` when OpenSSL fails.
    public func sign(claims: [String: ConfigValue], type: String) throws -> String {
        try JWTEncoding.token(algorithm: algorithm, type: type, claims: claims) { input in
            try seed.withUnsafeBytes { seedBytes in
                try input.withUnsafeBytes { try Ed25519.sign(message: $0, seed: seedBytes) }
            }
        }
    }
}
