import Foundation

/// What the caller announces about a bundle and allows.
public struct VerificationOptions: Sendable {
    /// The SHA-256 the catalog announced (hex), if any.
    public var announcedSHA256: String?
    /// The detached signature's bytes; `nil` means none was found.
    public var signature: [UInt8]?
    /// Where the signature came from, for messages.
    public var signatureSource: String
    /// Accept a version lower than the highest installed from the same key (CLI only).
    public var allowDowngrade: Bool
    /// How the bundle is named in messages (its path or URL; never a descriptor path).
    public var bundleName: String?

    public init(announcedSHA256: String? = nil, signature: [UInt8]?, signatureSource: String = "signature",
                allowDowngrade: Bool = false, bundleName: String? = nil) {
        self.announcedSHA256 = announcedSHA256
        self.signature = signature
        self.signatureSource = signatureSource
        self.allowDowngrade = allowDowngrade
        self.bundleName = bundleName
    }
}
