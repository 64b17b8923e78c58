import Foundation

/// What a token must satisfy beyond its signature (DESIGN §6). The defaults are the local
/// API's contract; only ``issuer`` has no default.
public struct JWTPolicy: Sendable, Hashable {
    /// The algorithms accepted in `alg`, exactly as spelled (`HS256`, `EdDSA`). A verifier
    /// accepts the intersection of this list and the algorithms it has keys for.
    public var algorithms: Set<String>
    /// The exact `iss` (the configured catalog issuer, e.g. `https://stack.lol`).
    public var issuer: String
    /// The audience `aud` must name (`stack-desktop`).
    public var audience: String
    /// The exact `typ` header (`stack+jwt`).
    public var type: String
    /// The longest accepted `exp − iat`, in seconds.
    public var maxLifetime: TimeInterval
    /// The clock skew tolerated on `exp`, `iat` and `nbf`, in seconds.
    public var leeway: TimeInterval
    /// The longest accepted token, in bytes.
    public var maxTokenLength: Int

    /// The local API's `typ`.
    public static let apiType = "stack+jwt"
    /// The `typ` of the callbacks Stack Desktop sends to the website.
    public static let callbackType = "stack-callback+jwt"
    /// The local API's audience.
    public static let apiAudience = "stack-desktop"

    /// Creates a policy.
    /// - Parameters:
    ///   - issuer: The exact issuer.
    ///   - audience: The audience `aud` must name.
    ///   - type: The exact `typ`.
    ///   - algorithms: The accepted algorithms.
    ///   - maxLifetime: The longest `exp − iat`, seconds.
    ///   - leeway: The tolerated clock skew, seconds.
    ///   - maxTokenLength: The longest token, bytes.
    public init(issuer: String, audience: String = apiAudience, type: String = apiType,
                algorithms: Set<String> = ["HS256", "EdDSA"], maxLifetime: TimeInterval = 300,
                leeway: TimeInterval = 30, maxTokenLength: Int = 8192) {
        self.algorithms = algorithms
        self.issuer = issuer
        self.audience = audience
        self.type = type
        self.maxLifetime = maxLifetime
        self.leeway = leeway
        self.maxTokenLength = maxTokenLength
    }
}
