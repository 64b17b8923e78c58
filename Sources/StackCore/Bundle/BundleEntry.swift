/// One archive entry that passed the entry policy.
public struct BundleEntry: Sendable, Hashable, Codable {
    /// The entry kinds a bundle may contain.
    public enum Kind: String, Sendable, Hashable, Codable {
        case file, directory
    }
    /// The normalised relative path (`/`-separated, no `./` prefix, no trailing `/`).
    public var path: String
    public var kind: Kind
    /// Size in bytes (0 for directories).
    public var size: Int64
    /// Permission bits after sanitising: no setuid/setgid/sticky, no world-write.
    public var mode: UInt16

    public init(path: String, kind: Kind, size: Int64, mode: UInt16) {
        self.path = path
        self.kind = kind
        self.size = size
        self.mode = mode
    }
}

/// What a streamed pass over a bundle saw.
public struct BundleListing: Sendable, Hashable {
    /// Entries in archive order.
    public var entries: [BundleEntry]
    /// Sum of all file sizes.
    public var expandedBytes: Int64
    /// Bytes of the archive file read.
    public var compressedBytes: Int64
    /// Contents of files the caller asked to capture, by path.
    public var captured: [String: [UInt8]]

    public init(entries: [BundleEntry] = [], expandedBytes: Int64 = 0, compressedBytes: Int64 = 0,
                captured: [String: [UInt8]] = [:]) {
        self.entries = entries
        self.expandedBytes = expandedBytes
        self.compressedBytes = compressedBytes
        self.captured = captured
    }
}
