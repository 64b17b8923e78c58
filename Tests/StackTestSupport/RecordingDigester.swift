import StackCore

/// A ``Digester`` whose accumulator (a ``RecordingDigestAccumulator``) records the
/// streamed bytes; it never reads files.
public struct RecordingDigester: Digester {
    /// Creates the digester.
    public init() {}

    /// Always throws `internal.error`: this double only digests streamed bytes.
    public func digests(of bundle: BundleFile) throws -> FileDigests {
        throw StackError(.internalError, "RecordingDigester only digests streamed bytes")
    }

    /// A fresh ``RecordingDigestAccumulator``.
    public func accumulator() throws -> any DigestAccumulator {
        RecordingDigestAccumulator()
    }
}
