import StackCore

/// What ``RecordingTokenSigner`` was asked to sign.
public struct SignedCallbackClaims: Sendable {
    /// The payload.
    public var claims: [String: ConfigValue]
    /// The `typ` header.
    public var type: String

    /// Creates a record of one signing request.
    public init(claims: [String: ConfigValue], type: String) {
        self.claims = claims
        self.type = type
    }
}
