import StackCore

/// A key a ``JWTVerifier`` accepts, bound to exactly one algorithm, so a token can never
/// choose how its own key is interpreted (no HS256-with-a-public-key confusion).
public enum JWTVerificationKey: Sendable {
    /// HS256 with the shared secret's text as the HMAC key.
    case hs256(SharedSecret)
    /// EdDSA (Ed25519) with a pinned raw 32-byte public key.
    case edDSA(publicKey: [UInt8])

    /// The `alg` value this key verifies.
    public var algorithm: String {
        switch self {
        case .hs256: "HS256"
        case .edDSA: "EdDSA"
        }
    }

    /// Checks that the key is usable.
    /// - Throws: `auth.secret_invalid` for an Ed25519 public key that is not 32 bytes or
    ///   that OpenSSL refuses.
    func validate() throws {
        if case .edDSA(let publicKey) = self {
            guard publicKey.count == Ed25519.publicKeySize, EVPKeyHandle.ed25519Public(publicKey) != nil else {
                throw StackError(.authSecretInvalid,
                                 "the pinned EdDSA public key is not a valid \(Ed25519.publicKeySize)-byte Ed25519 key")
            }
        }
    }

    /// Whether `signature` is valid over `signingInput` under this key.
    /// - Parameters:
    ///   - signature: The decoded signature segment.
    ///   - signingInput: `BASE64URL(header) '.' BASE64URL(payload)`, as sent.
    /// - Returns: `true` only for a valid signature.
    /// - Throws: `crypto.failed` when OpenSSL fails to compute an HMAC.
    func isValid(signature: [UInt8], signingInput: ArraySlice<UInt8>) throws -> Bool {
        switch self {
        case .hs256(let secret):
            guard signature.count == HMACSHA256.size else { return false }
            let expected = try secret.key.withUnsafeBytes { key in
                try signingInput.withUnsafeBytes { try HMACSHA256.mac(key: key, message: $0) }
            }
            return constantTimeEquals(expected, signature)
        case .edDSA(let publicKey):
            return Ed25519.verify(signature: signature, message: signingInput, publicKey: publicKey)
        }
    }
}
