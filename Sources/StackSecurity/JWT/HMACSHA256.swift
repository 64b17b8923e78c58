internal import COpenSSL
import StackCore

/// HMAC-SHA256 (RFC 2104) through OpenSSL's `EVP_Q_mac`.
enum HMACSHA256 {
    /// The MAC length in bytes.
    static let size = 32

    /// Computes HMAC-SHA256.
    /// - Parameters:
    ///   - key: The key bytes (any length; OpenSSL hashes keys longer than a block).
    ///   - message: The message.
    /// - Returns: The 32-byte MAC.
    /// - Throws: `crypto.failed` when OpenSSL fails.
    static func mac(key: UnsafeRawBufferPointer, message: UnsafeRawBufferPointer) throws -> [UInt8] {
        var output = [UInt8](repeating: 0, count: size)
        var length = 0
        var dummy: UInt8 = 0
        let result = withUnsafeMutablePointer(to: &dummy) { dummyPointer -> UnsafeMutablePointer<UInt8>? in
            let keyBase = UnsafeRawPointer(key.baseAddress ?? UnsafeRawPointer(dummyPointer))
            let messageBase = message.baseAddress.map { $0.assumingMemoryBound(to: UInt8.self) }
                ?? UnsafePointer(dummyPointer)
            return output.withUnsafeMutableBufferPointer { buffer in
                EVP_Q_mac(nil, "HMAC", nil, "SHA256", nil, keyBase, key.count,
                          messageBase, message.count, buffer.baseAddress, buffer.count, &length)
            }
        }
        _ = try OpenSSLError.check(result, "EVP_Q_mac(HMAC-SHA256)")
        guard length == size else {
            throw StackError(.cryptoFailed, "EVP_Q_mac(HMAC-SHA256) returned \(length) bytes")
        }
        return output
    }
}
