import StackCore

/// Assembles compact JWS tokens (RFC 7515 §7.1) the way the verifier reads them.
enum JWTEncoding {
    /// Builds `BASE64URL(header) '.' BASE64URL(payload) '.' BASE64URL(signature)`.
    /// - Parameters:
    ///   - algorithm: The `alg` header.
    ///   - type: The `typ` header.
    ///   - claims: The payload, written as compact JSON with sorted keys.
    ///   - sign: Signs the signing input.
    /// - Returns: The token.
    /// - Throws: What `sign` throws.
    static func token(algorithm: String, type: String, claims: [String: ConfigValue],
                      sign: ([UInt8]) throws -> [UInt8]) throws -> String {
        var header = "{\"alg\":"
        StrictJSON.writeString(algorithm, into: &header)
        header += ",\"typ\":"
        StrictJSON.writeString(type, into: &header)
        header += "}"
        let payload = StrictJSON.compact(.object(claims))
        let signingInput = Base64URL.encode(Array(header.utf8)) + "." + Base64URL.encode(Array(payload.utf8))
        let signature = try sign(Array(signingInput.utf8))
        return signingInput + "." + Base64URL.encode(signature)
    }
}
