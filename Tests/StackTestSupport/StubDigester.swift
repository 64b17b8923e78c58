import StackCore

/// A ``Digester`` that reports fixed digests (and the file's real size).
public struct StubDigester: Digester {
    /// The SHA-256 every file is reported to have.
    public static let sha256 = String(repeating: "ab", count: 32)

    /// Creates the digester.
    public init() {}

    /// Returns ``sha256``, a fixed BLAKE2b-512 and the file's size.
    public func digests(of bundle: BundleFile) throws -> FileDigests {
        FileDigests(sha256: Self.sha256, blake2b512: [UInt8](repeating: 0xcd, count: 64), size: bundle.size)
    }
}
