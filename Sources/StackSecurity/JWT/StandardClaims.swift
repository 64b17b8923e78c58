import Foundation
import StackCore

/// Builds the claims the local API and its callbacks require (DESIGN §6), for
/// `stackctl token mint` and the callback sender.
public enum StandardClaims {
    /// Makes a claim set with a fresh random `jti`.
    /// - Parameters:
    ///   - issuer: `iss` (the catalog issuer for API tokens, `stack-desktop` for callbacks).
    ///   - audience: `aud` (`stack-desktop` for API tokens, the catalog issuer for callbacks).
    ///   - scopes: `scope`, joined with spaces; empty gives no `scope` claim.
    ///   - lifetime: `exp − iat`, seconds (at most 300 is accepted by the local API).
    ///   - now: `iat`, rounded down to whole seconds.
    ///   - body: When given, `body_sha256` is the hex SHA-256 of these exact bytes.
    ///   - extra: More claims (e.g. `sub`); they override the ones above.
    /// - Returns: The claims.
    /// - Throws: `crypto.failed` when randomness or hashing fails.
    public static func make(issuer: String, audience: String, scopes: [String], lifetime: Int = 300,
                            now: Date, body: [UInt8]? = nil,
                            extra: [String: ConfigValue] = [:]) throws -> [String: ConfigValue] {
        let issuedAt = Int(now.timeIntervalSince1970.rounded(.down))
        var claims: [String: ConfigValue] = [
            "iss": .string(issuer),
            "aud": .string(audience),
            "iat": .int(issuedAt),
            "exp": .int(issuedAt + lifetime),
            "jti": .string(Base64URL.encode(try SecureRandom.bytes(16))),
        ]
        if !scopes.isEmpty { claims["scope"] = .string(scopes.joined(separator: " ")) }
        if let body { claims["body_sha256"] = .string(try OpenSSLDigester.sha256Hex(body)) }
        claims.merge(extra) { _, new in new }
        return claims
    }
}
