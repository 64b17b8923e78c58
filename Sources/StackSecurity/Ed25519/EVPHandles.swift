internal import COpenSSL
import StackCore

/// An owned OpenSSL `EVP_PKEY`, freed in `deinit` or by ``close()``.
final class EVPKeyHandle {
    private(set) var pointer: OpaquePointer?

    /// Takes ownership of `pointer`.
    /// - Parameter pointer: A key from an `EVP_PKEY_new_*` call.
    init(_ pointer: OpaquePointer) { self.pointer = pointer }

    deinit { close() }

    /// Frees the key; calling it again does nothing.
    func close() {
        if let pointer { EVP_PKEY_free(pointer) }
        pointer = nil
    }

    /// An Ed25519 private key from its 32-byte seed (OpenSSL keeps its own copy).
    /// - Parameter seed: The seed.
    /// - Returns: The key.
    /// - Throws: `crypto.failed` when OpenSSL refuses the seed.
    static func ed25519Private(seed: UnsafeRawBufferPointer) throws -> EVPKeyHandle {
        guard seed.count == Ed25519.seedSize, let base = seed.baseAddress else {
            throw StackError(.cryptoFailed, "an Ed25519 seed is \(Ed25519.seedSize) bytes, not \(seed.count)")
        }
        let key = try OpenSSLError.check(
            EVP_PKEY_new_raw_private_key_ex(nil, "ED25519", nil,
                                            base.assumingMemoryBound(to: UInt8.self), seed.count),
            "EVP_PKEY_new_raw_private_key_ex(ED25519)")
        return EVPKeyHandle(key)
    }

    /// An Ed25519 public key from its 32 raw bytes.
    /// - Parameter publicKey: The key bytes.
    /// - Returns: The key, or `nil` when OpenSSL refuses the bytes (the error queue is cleared).
    static func ed25519Public(_ publicKey: [UInt8]) -> EVPKeyHandle? {
        guard publicKey.count == Ed25519.publicKeySize else { return nil }
        let key = publicKey.withUnsafeBufferPointer { buffer in
            EVP_PKEY_new_raw_public_key_ex(nil, "ED25519", nil, buffer.baseAddress, buffer.count)
        }
        guard let key else {
            ERR_clear_error()
            return nil
        }
        return EVPKeyHandle(key)
    }
}

/// An owned OpenSSL `EVP_MD_CTX`, freed in `deinit` or by ``close()``.
final class EVPDigestContext {
    private(set) var pointer: OpaquePointer?

    /// Allocates a context.
    /// - Throws: `crypto.failed` when OpenSSL cannot allocate.
    init() throws {
        pointer = try OpenSSLError.check(EVP_MD_CTX_new(), "EVP_MD_CTX_new")
    }

    deinit { close() }

    /// Frees the context; calling it again does nothing.
    func close() {
        if let pointer { EVP_MD_CTX_free(pointer) }
        pointer = nil
    }
}
