internal import COpenSSL

/// A fixed-size heap buffer for secret material (an Ed25519 seed) that is wiped with
/// `OPENSSL_cleanse` when released.
///
/// Unlike an `Array`, the bytes live in exactly one allocation that this object owns, so
/// no copy-on-write duplicate is left behind and the wipe reaches the only copy Swift made.
///
/// `@unchecked Sendable` is sound: the buffer is written only inside `init` (before the
/// object is shared), every later access is a read through ``withUnsafeBytes(_:)``, and
/// `deinit` runs only once no other reference exists.
final class SecureBytes: @unchecked Sendable {
    private let buffer: UnsafeMutableRawBufferPointer

    /// The number of secret bytes.
    let count: Int

    /// Copies `bytes` into a fresh secret buffer.
    /// - Parameter bytes: The secret; the caller wipes its own copy.
    init(copying bytes: UnsafeRawBufferPointer) {
        buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: max(bytes.count, 1), alignment: 16)
        buffer.initializeMemory(as: UInt8.self, repeating: 0)
        if let base = bytes.baseAddress, !bytes.isEmpty {
            buffer.baseAddress?.copyMemory(from: base, byteCount: bytes.count)
        }
        count = bytes.count
    }

    deinit {
        if let base = buffer.baseAddress { OPENSSL_cleanse(base, buffer.count) }
        buffer.deallocate()
    }

    /// Lends the secret bytes to `body`; the pointer must not escape.
    /// - Parameter body: Reads the bytes.
    /// - Returns: What `body` returns.
    /// - Throws: What `body` throws.
    func withUnsafeBytes<Result>(_ body: (UnsafeRawBufferPointer) throws -> Result) rethrows -> Result {
        try body(UnsafeRawBufferPointer(rebasing: buffer[0..<count]))
    }
}

/// Overwrites an array's bytes with zeros through `OPENSSL_cleanse` (the compiler cannot
/// drop it as a dead store). Use it on buffers this module owns once their secret is used.
/// - Parameter bytes: The array to wipe in place; its length is kept.
func wipe(_ bytes: inout [UInt8]) {
    bytes.withUnsafeMutableBytes { raw in
        if let base = raw.baseAddress, !raw.isEmpty { OPENSSL_cleanse(base, raw.count) }
    }
}
