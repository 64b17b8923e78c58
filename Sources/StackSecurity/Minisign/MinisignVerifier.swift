import StackCore

/// Verifies minisign signatures against a set of trusted publisher keys
/// (the `SignatureVerifier` port of DESIGN §3 step 2).
///
/// Order of checks, each with its own code: parse strictly (`signature.malformed`,
/// `signature.legacy_algorithm`) → find the key id among the trusted keys
/// (`signature.untrusted_key`) → verify the signature over the file's BLAKE2b-512
/// (`signature.invalid`) → verify the global signature over signature ‖ trusted comment
/// (`signature.comment_tampered`) → split the trusted comment into fields
/// (`signature.comment_unbound` for duplicate keys). Binding the fields to the manifest is
/// the pipeline's job.
public struct MinisignVerifier: SignatureVerifier {
    /// The largest file a legacy `Ed` signature is checked over (it is read into memory):
    /// 1 GiB, the limit old minisign versions had for non-prehashed signing.
    public static let maxLegacyFileSize: Int64 = 1 << 30

    /// The trusted keys.
    public let trustedKeys: [MinisignPublicKey]
    /// Whether legacy `Ed` signatures are accepted (only through
    /// ``verify(signature:file:digests:)``, which can read the file).
    public let allowLegacy: Bool

    /// Creates a verifier.
    /// - Parameters:
    ///   - trustedKeys: The publisher keys to trust.
    ///   - allowLegacy: Accept legacy `Ed` signatures (off by default, DESIGN §4.3).
    public init(trustedKeys: [MinisignPublicKey], allowLegacy: Bool = false) {
        self.trustedKeys = trustedKeys
        self.allowLegacy = allowLegacy
    }

    /// Verifies a prehashed (`ED`) signature over the file whose digests are given.
    /// - Parameters:
    ///   - signature: The `.minisig` file's bytes.
    ///   - digests: The file's digests from the pass that feeds extraction.
    /// - Returns: The signing key's id and the trusted comment's fields.
    /// - Throws: `StackError` with a `signature.*` code (see the type's documentation); a
    ///   legacy `Ed` signature is `signature.legacy_algorithm` here even when allowed,
    ///   because it covers the whole file: use ``verify(signature:file:digests:)``.
    public func verify(signature: [UInt8], digests: FileDigests) throws -> SignatureVerdict {
        let parsed = try MinisignSignature.parse(signature, allowLegacy: allowLegacy)
        guard parsed.algorithm == .prehashed else {
            throw StackError(.signatureLegacy,
                             "a legacy Ed signature covers the whole file and cannot be checked from its digests",
                             hint: "verify with the file (MinisignVerifier.verify(signature:file:digests:))")
        }
        return try verify(parsed, message: digests.blake2b512)
    }

    /// Verifies a signature of either algorithm, reading `file` only for a legacy `Ed`
    /// signature (the prehashed `ED` path uses `digests` alone, like the port method).
    ///
    /// For `Ed` the file is read whole (at most ``maxLegacyFileSize``) through its open
    /// descriptor, and its BLAKE2b-512 must still equal `digests`, so the bytes verified
    /// are the bytes that were digested.
    /// - Parameters:
    ///   - signature: The `.minisig` file's bytes.
    ///   - file: The open bundle.
    ///   - digests: Its digests.
    /// - Returns: The verdict.
    /// - Throws: As ``verify(signature:digests:)``; for `Ed` also `signature.legacy_algorithm`
    ///   when not allowed or the file is too large, `signature.invalid` when the file no
    ///   longer matches its digests, and `io.failed` on read errors.
    public func verify(signature: [UInt8], file: BundleFile, digests: FileDigests) throws -> SignatureVerdict {
        let parsed = try MinisignSignature.parse(signature, allowLegacy: allowLegacy)
        switch parsed.algorithm {
        case .prehashed:
            return try verify(parsed, message: digests.blake2b512)
        case .legacy:
            guard file.size <= Self.maxLegacyFileSize else {
                throw StackError(.signatureLegacy,
                                 "legacy Ed signatures are checked only for files up to 1 GiB; \(file.path) is larger")
            }
            let contents = try Self.readWhole(file)
            guard try OpenSSLDigester.blake2b512(contents) == digests.blake2b512 else {
                throw StackError(.signatureInvalid, "\(file.path) changed after it was digested")
            }
            return try verify(parsed, message: contents)
        }
    }

    /// Checks key, signature and global signature of a parsed signature over `message`.
    private func verify(_ parsed: MinisignSignature, message: [UInt8]) throws -> SignatureVerdict {
        let candidates = trustedKeys.filter { $0.keyIDBytes == parsed.keyIDBytes }
        guard !candidates.isEmpty else {
            throw StackError(.signatureUntrustedKey, "the signature was made by key \(parsed.keyID), which is not trusted",
                             hint: "trust the publisher's key with `stackctl keys trust PUBFILE` if you know it")
        }
        // Key ids are 8 random bytes; if two trusted keys share one, either may have signed.
        guard let key = candidates.first(where: {
            Ed25519.verify(signature: parsed.signature, message: message, publicKey: $0.publicKey)
        }) else {
            throw StackError(.signatureInvalid, "the signature by key \(parsed.keyID) does not match the file",
                             hint: "the bundle was changed after it was signed, or the signature belongs to another file; do not run it: fetch both again from the publisher")
        }
        guard Ed25519.verify(signature: parsed.globalSignature, message: parsed.globalSignedMessage,
                             publicKey: key.publicKey) else {
            throw StackError(.signatureCommentTampered,
                             "the trusted comment's signature by key \(parsed.keyID) does not verify; the comment was altered")
        }
        return SignatureVerdict(keyID: parsed.keyID, trustedFields: try parsed.trustedFields())
    }

    /// Reads a whole file through its descriptor with positional reads.
    private static func readWhole(_ file: BundleFile) throws -> [UInt8] {
        var contents = [UInt8](repeating: 0, count: Int(file.size))
        var offset = 0
        while offset < contents.count {
            let count = try contents.withUnsafeMutableBytes { raw in
                try file.read(into: UnsafeMutableRawBufferPointer(rebasing: raw[offset...]), at: Int64(offset))
            }
            if count == 0 { break }
            offset += count
        }
        guard offset == contents.count else {
            throw StackError(.signatureInvalid, "\(file.path) is shorter than when it was opened")
        }
        return contents
    }
}
