/// The digests of one streamed pass over a file.
public struct FileDigests: Sendable, Hashable, Codable {
    /// SHA-256, lower-case hex.
    public var sha256: String
    /// BLAKE2b-512, raw bytes (what minisign's `ED` algorithm signs).
    public var blake2b512: [UInt8]
    /// Bytes read.
    public var size: Int64
    public init(sha256: String, blake2b512: [UInt8], size: Int64) {
        self.sha256 = sha256
        self.blake2b512 = blake2b512
        self.size = size
    }
}

/// Computes file digests in one pass. `OpenSSLDigester` implements it.
public protocol Digester: Sendable {
    /// Reads `bundle` from its start once and returns its digests.
    /// - Parameter bundle: The open file.
    /// - Returns: SHA-256 and BLAKE2b-512 of the whole file.
    /// - Throws: `io.failed` on read errors.
    func digests(of bundle: BundleFile) throws -> FileDigests

    /// An accumulator for bytes that arrive in pieces (downloads, request bodies).
    /// - Returns: A fresh accumulator.
    func accumulator() throws -> any DigestAccumulator
}

/// Computes SHA-256 and BLAKE2b-512 of bytes fed in pieces.
public protocol DigestAccumulator: AnyObject {
    /// Adds the next bytes.
    func update(_ bytes: UnsafeRawBufferPointer) throws
    /// The digests of everything added; call once.
    func finish() throws -> FileDigests
}

extension Digester {
    /// The default for digesters that only read files: streaming is not supported.
    public func accumulator() throws -> any DigestAccumulator {
        throw StackError(.internalError, "\(type(of: self)) cannot digest streamed bytes")
    }
}
