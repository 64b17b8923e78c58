/// Codes of pipeline step 2 (verification before extraction), exit 3.
extension StackError.Code {
    /// The bundle's SHA-256 differs from the announced checksum.
    public static let checksumMismatch = Self("checksum.mismatch", exit: .verification)
    /// An announced checksum is not 64 hex digits.
    public static let checksumInvalid = Self("checksum.invalid", exit: .verification)
    /// No signature file was found or given.
    public static let signatureMissing = Self("signature.missing", exit: .verification)
    /// The signature file is not in minisign's format.
    public static let signatureMalformed = Self("signature.malformed", exit: .verification)
    /// The signature uses legacy `Ed` (not prehashed) and that is not allowed.
    public static let signatureLegacy = Self("signature.legacy_algorithm", exit: .verification)
    /// The signing key is not among the trusted publisher keys.
    public static let signatureUntrustedKey = Self("signature.untrusted_key", exit: .verification)
    /// The signature does not verify over the file.
    public static let signatureInvalid = Self("signature.invalid", exit: .verification)
    /// The global signature over signature + trusted comment does not verify.
    public static let signatureCommentTampered = Self("signature.comment_tampered", exit: .verification)
    /// The trusted comment does not name the stack and version, or they differ from the manifest.
    public static let signatureCommentUnbound = Self("signature.comment_unbound", exit: .verification)
    /// The version is lower than the highest one installed from that publisher.
    public static let signatureRollback = Self("signature.rollback", exit: .verification)
    /// A key file is not in minisign's format, or cannot be decrypted.
    public static let keyInvalid = Self("key.invalid", exit: .failure)
    /// A key id is not in the keyring.
    public static let keyNotFound = Self("key.not_found", exit: .failure)
}
