internal import COpenSSL
import StackCore

/// An incremental message digest over OpenSSL's `EVP_MD_CTX`.
///
/// Feed it with ``update(_:)`` as bytes arrive (a download, a file read in chunks) and call
/// ``finish()`` once at the end. The context is freed by ``finish()`` or in `deinit`.
/// An instance is not thread-safe; use it from one task at a time.
public final class StreamingDigest {
    /// The algorithms this digest offers.
    public enum Algorithm: String, Sendable, CaseIterable {
        /// SHA-256 (32 bytes).
        case sha256 = "SHA256"
        /// BLAKE2b with a 512-bit output (64 bytes), the prehash of minisign's `ED`.
        case blake2b512 = "BLAKE2B-512"
    }

    /// The digest length in bytes.
    public let outputSize: Int
    private var context: OpaquePointer?
    private var result: [UInt8]?
    private let name: String

    /// Starts a digest.
    /// - Parameter algorithm: The algorithm.
    /// - Throws: `crypto.failed` when OpenSSL cannot provide it.
    public convenience init(_ algorithm: Algorithm) throws {
        try self.init(algorithmName: algorithm.rawValue)
    }

    /// Starts a digest by OpenSSL algorithm name (tests use it to reach the failure path).
    /// - Parameter name: An OpenSSL digest name such as `SHA256`.
    /// - Throws: `crypto.failed` when OpenSSL cannot fetch or initialise it.
    init(algorithmName name: String) throws {
        self.name = name
        let md = try OpenSSLError.check(EVP_MD_fetch(nil, name, nil), "EVP_MD_fetch(\(name))")
        defer { EVP_MD_free(md) }
        let context = try OpenSSLError.check(EVP_MD_CTX_new(), "EVP_MD_CTX_new")
        guard EVP_DigestInit_ex2(context, md, nil) == 1 else {
            let error = OpenSSLError.failure("EVP_DigestInit_ex2(\(name))")
            EVP_MD_CTX_free(context)
            throw error
        }
        self.context = context
        self.outputSize = Int(EVP_MD_get_size(md))
    }

    deinit { EVP_MD_CTX_free(context) }

    /// Adds bytes to the digest.
    /// - Parameter bytes: The next bytes of the message.
    /// - Throws: `crypto.failed` when OpenSSL fails or the digest was already finished.
    public func update(_ bytes: UnsafeRawBufferPointer) throws {
        guard let context else {
            throw StackError(.cryptoFailed, "\(name) digest updated after finish()")
        }
        guard let base = bytes.baseAddress, !bytes.isEmpty else { return }
        try OpenSSLError.check(EVP_DigestUpdate(context, base, bytes.count), "EVP_DigestUpdate(\(name))")
    }

    /// Adds bytes to the digest.
    /// - Parameter bytes: The next bytes of the message.
    /// - Throws: `crypto.failed` when OpenSSL fails or the digest was already finished.
    public func update(_ bytes: some Collection<UInt8>) throws {
        let done: Bool? = try bytes.withContiguousStorageIfAvailable { buffer in
            try update(UnsafeRawBufferPointer(buffer))
            return true
        }
        if done == nil {
            try Array(bytes).withUnsafeBytes { try update($0) }
        }
    }

    /// Completes the digest and frees the OpenSSL context. Calling it again returns the
    /// same value.
    /// - Returns: The digest, ``outputSize`` bytes.
    /// - Throws: `crypto.failed` when OpenSSL fails.
    public func finish() throws -> [UInt8] {
        if let result { return result }
        guard let context else {
            throw StackError(.cryptoFailed, "\(name) digest has no context")
        }
        var output = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        try output.withUnsafeMutableBufferPointer { buffer in
            try OpenSSLError.check(EVP_DigestFinal_ex(context, buffer.baseAddress, &length),
                                   "EVP_DigestFinal_ex(\(name))")
        }
        EVP_MD_CTX_free(context)
        self.context = nil
        let digest = Array(output.prefix(Int(length)))
        result = digest
        return digest
    }
}

extension Sequence<UInt8> {
    /// Lower-case hexadecimal text of the bytes.
    var lowercaseHex: String {
        let digits = Array("0123456789abcdef".utf8)
        var text: [UInt8] = []
        text.reserveCapacity(underestimatedCount * 2)
        for byte in self {
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: text, as: UTF8.self)
    }
}
