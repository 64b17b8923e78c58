import StackCore

/// Signs HS256 tokens with the shared secret (`stackctl token mint`, tests).
public struct HS256TokenSigner: TokenSigner {
    /// `HS256`.
    public var algorithm: String { "HS256" }
    private let secret: SharedSecret

    /// Creates the signer.
    /// - Parameter secret: The shared secret; its text is the HMAC key.
    public init(secret: SharedSecret) { self.secret = secret }

    /// Signs `claims` as `{"alg":"HS256","typ":type}`.
    /// - Parameters:
    ///   - claims: The payload.
    ///   - type: The `typ` header.
    /// - Returns: The canonical compact token.
    /// - Throws: `crypto.failed` when OpenSSL fails.
    public func sign(claims: [String: ConfigValue], type: String) throws -> String {
        try JWTEncoding.token(algorithm: algorithm, type: type, claims: claims) { input in
            try secret.key.withUnsafeBytes { key in
                try input.withUnsafeBytes { try HMACSHA256.mac(key: key, message: $0) }
            }
        }
    }
}
