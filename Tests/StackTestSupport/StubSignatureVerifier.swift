import StackCore

/// A ``SignatureVerifier`` that accepts any signature with a fixed key id and trusted
/// comment fields (`stack:` and `version:`, which the pipeline binds to the manifest).
public struct StubSignatureVerifier: SignatureVerifier {
    /// The key id every verdict carries.
    public static let keyID = "0123456789ABCDEF"
    /// The trusted comment fields every verdict carries.
    public var fields: [String: String]

    /// Creates the verifier.
    /// - Parameter fields: The trusted comment fields to report.
    public init(fields: [String: String]) { self.fields = fields }

    /// Accepts the signature, reporting ``keyID`` and ``fields``.
    public func verify(signature: [UInt8], file bundle: BundleFile, digests: FileDigests) throws -> SignatureVerdict {
        SignatureVerdict(keyID: Self.keyID, trustedFields: fields)
    }
}
