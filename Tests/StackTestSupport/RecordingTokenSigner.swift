import StackCore

/// A ``TokenSigner`` that records the claims and returns `token-N` (N counting from 1).
public final class RecordingTokenSigner: TokenSigner {
    /// Always `HS256`.
    public let algorithm = "HS256"
    private let log = LockedBox<[SignedCallbackClaims]>([])

    /// Creates the signer.
    public init() {}

    /// Everything signed so far, in order.
    public var signed: [SignedCallbackClaims] { log.withLock { $0 } }

    /// Records the claims and returns `token-N`.
    public func sign(claims: [String: ConfigValue], type: String) throws -> String {
        log.withLock { entries in
            entries.append(SignedCallbackClaims(claims: claims, type: type))
            return "token-\(entries.count)"
        }
    }
}
