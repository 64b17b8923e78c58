internal import COpenSSL
import StackCore

/// Ed25519 signatures (RFC 8032, pure mode) over OpenSSL's EVP interface.
///
/// Private keys are the 32-byte seed (RFC 8032 §5.1.5), public keys and signatures are the
/// raw 32 and 64 bytes. OpenSSL handles live only for the duration of one call.
public enum Ed25519 {
    /// The size of a seed (private key), in bytes.
    public static let seedSize = 32
    /// The size of a public key, in bytes.
    public static let publicKeySize = 32
    /// The size of a signature, in bytes.
    public static let signatureSize = 64

    /// Returns a fresh random seed from OpenSSL's DRBG.
    /// - Returns: 32 random bytes; wipe them when done.
    /// - Throws: `crypto.failed` when the generator fails.
    public static func generateSeed() throws -> [UInt8] {
        try SecureRandom.bytes(seedSize)
    }

    /// Derives the public key of a seed.
    /// - Parameter seed: The 32-byte seed.
    /// - Returns: The 32-byte public key.
    /// - Throws: `crypto.failed` when the seed has the wrong length or OpenSSL fails.
    public static func publicKey(seed: [UInt8]) throws -> [UInt8] {
        try seed.withUnsafeBytes { try publicKey(seed: $0) }
    }

    /// Signs a message.
    /// - Parameters:
    ///   - message: The whole message (Ed25519 is not incremental).
    ///   - seed: The 32-byte seed.
    /// - Returns: The 64-byte signature.
    /// - Throws: `crypto.failed` when the seed has the wrong length or OpenSSL fails.
    public static func sign(_ message: some Collection<UInt8>, seed: [UInt8]) throws -> [UInt8] {
        try seed.withUnsafeBytes { seedBytes in
            try withContiguousBytes(message) { try sign(message: $0, seed: seedBytes) }
        }
    }

    /// Verifies a signature.
    /// - Parameters:
    ///   - signature: The 64-byte signature.
    ///   - message: The whole message.
    ///   - publicKey: The 32-byte public key.
    /// - Returns: `true` only when the signature is valid; wrong lengths and invalid keys
    ///   give `false`.
    public static func verify(signature: [UInt8], message: some Collection<UInt8>, publicKey: [UInt8]) -> Bool {
        withContiguousBytes(message) { verify(signature: signature, message: $0, publicKey: publicKey) }
    }

    // MARK: Raw-buffer forms (secret seeds stay in their owner's buffer)

    /// Derives the public key of a seed held in a buffer.
    /// - Parameter seed: The 32-byte seed.
    /// - Returns: The 32-byte public key.
    /// - Throws: `crypto.failed`.
    static func publicKey(seed: UnsafeRawBufferPointer) throws -> [UInt8] {
        let key = try EVPKeyHandle.ed25519Private(seed: seed)
        var output = [UInt8](repeating: 0, count: publicKeySize)
        var length = output.count
        try output.withUnsafeMutableBufferPointer { buffer in
            try OpenSSLError.check(EVP_PKEY_get_raw_public_key(key.pointer, buffer.baseAddress, &length),
                                   "EVP_PKEY_get_raw_public_key")
        }
        guard length == publicKeySize else {
            throw StackError(.cryptoFailed, "EVP_PKEY_get_raw_public_key returned \(length) bytes")
        }
        return output
    }

    /// Signs a message held in a buffer with a seed held in a buffer.
    /// - Parameters:
    ///   - message: The message.
    ///   - seed: The 32-byte seed.
    /// - Returns: The 64-byte signature.
    /// - Throws: `crypto.failed`.
    static func sign(message: UnsafeRawBufferPointer, seed: UnsafeRawBufferPointer) throws -> [UInt8] {
        let key = try EVPKeyHandle.ed25519Private(seed: seed)
        let context = try EVPDigestContext()
        try OpenSSLError.check(EVP_DigestSignInit_ex(context.pointer, nil, nil, nil, nil, key.pointer, nil),
                               "EVP_DigestSignInit_ex(ED25519)")
        var signature = [UInt8](repeating: 0, count: signatureSize)
        var length = signature.count
        try withNonNullBase(message) { base in
            try signature.withUnsafeMutableBufferPointer { buffer in
                try OpenSSLError.check(EVP_DigestSign(context.pointer, buffer.baseAddress, &length,
                                                      base, message.count),
                                       "EVP_DigestSign(ED25519)")
            }
        }
        guard length == signatureSize else {
            throw StackError(.cryptoFailed, "EVP_DigestSign returned \(length) bytes")
        }
        return signature
    }

    /// Verifies a signature over a message held in a buffer.
    /// - Parameters:
    ///   - signature: The 64-byte signature.
    ///   - message: The message.
    ///   - publicKey: The 32-byte public key.
    /// - Returns: `true` only when the signature is valid.
    static func verify(signature: [UInt8], message: UnsafeRawBufferPointer, publicKey: [UInt8]) -> Bool {
        guard signature.count == signatureSize,
              let key = EVPKeyHandle.ed25519Public(publicKey),
              let context = try? EVPDigestContext() else {
            ERR_clear_error()
            return false
        }
        guard EVP_DigestVerifyInit_ex(context.pointer, nil, nil, nil, nil, key.pointer, nil) == 1 else {
            ERR_clear_error()
            return false
        }
        let status = withNonNullBase(message) { base in
            signature.withUnsafeBufferPointer { sig in
                EVP_DigestVerify(context.pointer, sig.baseAddress, sig.count, base, message.count)
            }
        }
        if status != 1 { ERR_clear_error() }
        return status == 1
    }

    /// Calls `body` with a contiguous view of `bytes`, copying only when the collection
    /// has no contiguous storage.
    private static func withContiguousBytes<Result>(
        _ bytes: some Collection<UInt8>, _ body: (UnsafeRawBufferPointer) throws -> Result
    ) rethrows -> Result {
        if let result = try bytes.withContiguousStorageIfAvailable({ try body(UnsafeRawBufferPointer($0)) }) {
            return result
        }
        return try Array(bytes).withUnsafeBytes(body)
    }

    /// Calls `body` with a non-NULL pointer to the buffer's bytes (a one-byte dummy for an
    /// empty buffer), because some OpenSSL paths reject a NULL message pointer.
    private static func withNonNullBase<Result>(
        _ buffer: UnsafeRawBufferPointer, _ body: (UnsafePointer<UInt8>) throws -> Result
    ) rethrows -> Result {
        if let base = buffer.baseAddress, !buffer.isEmpty {
            return try body(base.assumingMemoryBound(to: UInt8.self))
        }
        var dummy: UInt8 = 0
        return try withUnsafePointer(to: &dummy) { try body($0) }
    }
}
