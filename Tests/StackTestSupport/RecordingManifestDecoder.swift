import StackCore

/// A ``ManifestDecoder`` that records every document it is given and answers like the
/// decoder it wraps (usually a ``StubManifestDecoder``).
public struct RecordingManifestDecoder: ManifestDecoder {
    /// One decoded document.
    public struct Document: Sendable, Hashable {
        /// `manifest` or `compose`.
        public var kind: String
        /// The document's path inside the bundle.
        public var path: String
        /// The document's bytes.
        public var bytes: [UInt8]

        /// Creates a record of one decoded document.
        public init(kind: String, path: String, bytes: [UInt8]) {
            self.kind = kind
            self.path = path
            self.bytes = bytes
        }
    }

    /// The decoder whose answers are returned.
    public let stub: any ManifestDecoder
    /// Every document decoded so far, in order.
    public let documents = LockedBox<[Document]>([])

    /// Creates the decoder.
    /// - Parameter stub: The decoder whose answers are returned.
    public init(_ stub: some ManifestDecoder) { self.stub = stub }

    /// Records the manifest and returns the wrapped decoder's answer.
    public func decodeManifest(_ bytes: [UInt8], path: String) throws -> Manifest {
        documents.withLock { $0.append(Document(kind: "manifest", path: path, bytes: bytes)) }
        return try stub.decodeManifest(bytes, path: path)
    }

    /// Records the compose file and returns the wrapped decoder's answer.
    public func decodeCompose(_ bytes: [UInt8], path: String, interpolation: ComposeInterpolation) throws -> ComposeFile {
        documents.withLock { $0.append(Document(kind: "compose", path: path, bytes: bytes)) }
        return try stub.decodeCompose(bytes, path: path)
    }
}
