import StackCore

/// Signs bundles in minisign's prehashed `ED` format; `minisign -V` verifies the result.
public struct MinisignSigner: Sendable {
    /// Creates a signer.
    public init() {}

    /// Signs a file by its digests.
    ///
    /// The signature is Ed25519(seed, BLAKE2b-512(file)); the global signature is
    /// Ed25519(seed, signature ‖ trusted comment), exactly as `minisign -S` computes them.
    /// - Parameters:
    ///   - digests: The file's digests; ``FileDigests/blake2b512`` is what gets signed.
    ///   - trustedComment: One line of printable UTF-8, at most
    ///     ``MinisignSignature/maxTrustedCommentBytes`` (see ``trustedComment(stack:version:sha256:size:timestamp:)``).
    ///   - untrustedComment: One line of UTF-8 (not covered by any signature).
    ///   - key: The secret key.
    /// - Returns: The `.minisig` text.
    /// - Throws: `signature.malformed` when a comment breaks the format's rules,
    ///   `internal.error` when the BLAKE2b-512 digest is not 64 bytes, `crypto.failed`
    ///   when OpenSSL fails.
    public func sign(digests: FileDigests, trustedComment: String, untrustedComment: String,
                     key: MinisignSecretKey) throws -> String {
        guard digests.blake2b512.count == 64 else {
            throw StackError(.internalError, "a BLAKE2b-512 digest is 64 bytes, not \(digests.blake2b512.count)")
        }
        try MinisignSignature.checkUntrustedComment(Array(untrustedComment.utf8))
        try MinisignSignature.checkTrustedComment(Array(trustedComment.utf8))
        let signature = try key.withSeed { seed in
            try digests.blake2b512.withUnsafeBytes { try Ed25519.sign(message: $0, seed: seed) }
        }
        let global = try key.withSeed { seed in
            try (signature + Array(trustedComment.utf8)).withUnsafeBytes { try Ed25519.sign(message: $0, seed: seed) }
        }
        return try MinisignSignature(algorithm: .prehashed, keyIDBytes: key.keyIDBytes, signature: signature,
                                     untrustedComment: untrustedComment, trustedComment: trustedComment,
                                     globalSignature: global).text
    }

    /// The trusted comment Stack Desktop signs:
    /// `stack:NAME\tversion:VER\tsha256:HEX\tsize:N\ttimestamp:T`.
    /// - Parameters:
    ///   - stack: The stack name from `stack.yaml`.
    ///   - version: The version from `stack.yaml`.
    ///   - sha256: The bundle's SHA-256, lower-case hex.
    ///   - size: The bundle's size in bytes.
    ///   - timestamp: Seconds since 1970 (what minisign's default comment records).
    /// - Returns: The comment.
    public static func trustedComment(stack: String, version: String, sha256: String, size: Int64,
                                      timestamp: Int) -> String {
        "stack:\(stack)\tversion:\(version)\tsha256:\(sha256)\tsize:\(size)\ttimestamp:\(timestamp)"
    }
}
