import StackCore

/// Computes a file's SHA-256 and BLAKE2b-512 in one streaming pass with OpenSSL.
///
/// The file is read once from offset 0 with positional reads of 1 MiB, so it never moves
/// the descriptor's shared position and a verified file is hashed exactly as it is read
/// later.
public struct OpenSSLDigester: Digester {
    /// The size of each positional read.
    public static let readSize = 1 << 20

    /// Creates the digester.
    public init() {}

    /// Reads `bundle` from its start to end of file once and returns its digests.
    /// - Parameter bundle: The open file.
    /// - Returns: SHA-256 (hex) and BLAKE2b-512 (raw) of the whole file, and its size.
    /// - Throws: `io.failed` on read errors, `crypto.failed` when OpenSSL fails.
    public func digests(of bundle: BundleFile) throws -> FileDigests {
        let sha256 = try StreamingDigest(.sha256)
        let blake2b = try StreamingDigest(.blake2b512)
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: Self.readSize, alignment: 16)
        defer { buffer.deallocate() }
        var offset: Int64 = 0
        while true {
            let count = try bundle.read(into: buffer, at: offset)
            if count == 0 { break }
            let chunk = UnsafeRawBufferPointer(rebasing: buffer[0..<count])
            try sha256.update(chunk)
            try blake2b.update(chunk)
            offset += Int64(count)
        }
        return FileDigests(sha256: try sha256.finish().lowercaseHex,
                           blake2b512: try blake2b.finish(), size: offset)
    }

    /// SHA-256 of some bytes.
    /// - Parameter bytes: The message.
    /// - Returns: The digest as lower-case hex (64 characters).
    /// - Throws: `crypto.failed` when OpenSSL fails.
    public static func sha256Hex(_ bytes: some Collection<UInt8>) throws -> String {
        let digest = try StreamingDigest(.sha256)
        try digest.update(bytes)
        return try digest.finish().lowercaseHex
    }

    /// BLAKE2b-512 of some bytes.
    /// - Parameter bytes: The message.
    /// - Returns: The 64-byte digest.
    /// - Throws: `crypto.failed` when OpenSSL fails.
    public static func blake2b512(_ bytes: some Collection<UInt8>) throws -> [UInt8] {
        let digest = try StreamingDigest(.blake2b512)
        try digest.update(bytes)
        return try digest.finish()
    }
}
