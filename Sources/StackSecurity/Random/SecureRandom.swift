internal import COpenSSL
import StackCore

/// Cryptographically secure random bytes from OpenSSL's DRBG.
public enum SecureRandom {
    /// Returns `count` random bytes from `RAND_bytes`.
    /// - Parameter count: How many bytes; `0` gives an empty array.
    /// - Returns: The bytes.
    /// - Throws: `internal.error` for a negative or oversized count, `crypto.failed` when
    ///   OpenSSL's generator fails (for example, when it cannot be seeded).
    public static func bytes(_ count: Int) throws -> [UInt8] {
        guard count >= 0, count <= Int(Int32.max) else {
            throw StackError(.internalError, "invalid random byte count \(count)")
        }
        var bytes = [UInt8](repeating: 0, count: count)
        guard count > 0 else { return bytes }
        try bytes.withUnsafeMutableBufferPointer { buffer in
            try OpenSSLError.check(RAND_bytes(buffer.baseAddress, Int32(count)), "RAND_bytes")
        }
        return bytes
    }
}

/// Compares two byte strings in time that depends only on their lengths, never on where
/// they differ (`CRYPTO_memcmp`). Use it for MACs, tokens and secrets.
/// - Parameters:
///   - a: One byte string.
///   - b: The other; lengths are not secret, so different lengths return `false` at once.
/// - Returns: `true` when both have the same length and bytes.
public func constantTimeEquals(_ a: [UInt8], _ b: [UInt8]) -> Bool {
    guard a.count == b.count else { return false }
    guard !a.isEmpty else { return true }
    return a.withUnsafeBytes { left in
        b.withUnsafeBytes { right in
            CRYPTO_memcmp(left.baseAddress, right.baseAddress, left.count) == 0
        }
    }
}
