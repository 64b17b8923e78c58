import Foundation

/// An archive entry header as the archive states it, before any policy.
public struct ArchiveEntryHeader: Sendable, Hashable {
    /// Entry types an archive can state.
    public enum EntryType: Sendable, Hashable {
        case regular
        case directory
        case symlink(target: String)
        case hardlink(target: String)
        case characterDevice
        case blockDevice
        case fifo
        case socket
        case unknown(UInt32)
    }
    /// The path bytes exactly as stored.
    public var rawPath: [UInt8]
    public var type: EntryType
    /// Declared size in bytes.
    public var size: Int64
    /// Declared mode bits (permissions and setuid/setgid/sticky).
    public var mode: UInt32

    public init(rawPath: [UInt8], type: EntryType, size: Int64, mode: UInt32) {
        self.rawPath = rawPath
        self.type = type
        self.size = size
        self.mode = mode
    }

    /// Creates a header from a path string.
    public init(path: String, type: EntryType, size: Int64 = 0, mode: UInt32 = 0o644) {
        self.init(rawPath: Array(path.utf8), type: type, size: size, mode: mode)
    }

    /// The path for messages: control characters escaped, invalid UTF-8 replaced.
    public var displayPath: String { EntryPolicy.display(rawPath) }
}

/// The bundle entry policy of DESIGN §4.2, applied to each header in archive order before
/// anything of that entry is written. It is a value: one instance per pass.
public struct EntryPolicy: Sendable {
    public let limits: BundleLimits
    private var entryCount = 0
    private var declaredBytes: Int64 = 0
    /// Exact normalised paths seen, with their kind and whether they were explicit entries.
    /// Keys are UTF-8 bytes: Swift `String` equality is canonical equivalence, which would
    /// hide an NFC/NFD pair as a plain duplicate.
    private var seen: [[UInt8]: (kind: BundleEntry.Kind, explicit: Bool)] = [:]
    /// Case-folded NFC key → the first exact path with that key.
    private var folded: [String: String] = [:]
    private var manifestCount = 0

    /// Creates a policy for one pass.
    /// - Parameter limits: The limits to enforce.
    public init(limits: BundleLimits = .default) { self.limits = limits }

    /// Checks one header.
    /// - Parameter header: The entry as the archive states it.
    /// - Returns: The sanitised entry, or `nil` for a root `.`/`./` entry, which is skipped.
    /// - Throws: `StackError` with a `bundle.*` code naming the entry.
    public mutating func admit(_ header: ArchiveEntryHeader) throws -> BundleEntry? {
        let shown = header.displayPath
        entryCount += 1
        if entryCount > limits.maxEntries {
            throw StackError(.bundleTooManyEntries,
                             "the bundle has more than \(limits.maxEntries) entries (at \(shown))",
                             hint: "raise limits.maxEntries if this bundle is trusted")
        }
        let kind: BundleEntry.Kind
        switch header.type {
        case .regular: kind = .file
        case .directory: kind = .directory
        case .symlink(let target):
            throw StackError(.bundleSymlink,
                             "entry \(shown) is a symbolic link (to \(Self.display(Array(target.utf8)))); bundles may hold only files and directories")
        case .hardlink(let target):
            throw StackError(.bundleHardlink,
                             "entry \(shown) is a hard link (to \(Self.display(Array(target.utf8)))); bundles may hold only files and directories")
        case .characterDevice, .blockDevice:
            throw StackError(.bundleSpecialFile, "entry \(shown) is a device node")
        case .fifo:
            throw StackError(.bundleSpecialFile, "entry \(shown) is a FIFO")
        case .socket:
            throw StackError(.bundleSpecialFile, "entry \(shown) is a socket")
        case .unknown(let raw):
            throw StackError(.bundleSpecialFile, "entry \(shown) has unsupported type 0o\(String(raw, radix: 8))")
        }
        guard let components = try Self.components(of: header.rawPath, limits: limits) else {
            guard kind == .directory else {
                throw StackError(.bundleInvalidPath, "entry \(shown) is a file without a name")
            }
            return nil
        }
        let path = components.joined(separator: "/")

        // Every proper prefix is an implicit directory; none may be a file.
        var prefix = ""
        for component in components.dropLast() {
            prefix = prefix.isEmpty ? component : prefix + "/" + component
            try register(prefix, kind: .directory, explicit: false, shown: shown)
        }
        try register(path, kind: kind, explicit: true, shown: shown)

        if kind == .file {
            guard header.size >= 0 else {
                throw StackError(.bundleInvalidPath, "entry \(shown) declares a negative size")
            }
            // Compare before adding: a hostile header may declare a size near Int64.max.
            if header.size > limits.maxExpandedBytes - declaredBytes {
                throw StackError(.bundleTooLarge,
                                 "the bundle expands past \(limits.maxExpandedBytes) bytes (at \(shown))",
                                 hint: "raise limits.maxExpandedBytes if this bundle is trusted")
            }
            declaredBytes += header.size
            if path == Manifest.fileName { manifestCount += 1 }
        }
        let permissions = UInt16(header.mode & 0o777) & ~UInt16(0o002)
        let mode: UInt16 = kind == .directory ? (permissions | 0o700) : (permissions | 0o600)
        return BundleEntry(path: path, kind: kind, size: kind == .file ? header.size : 0, mode: mode)
    }

    /// Checks the expanded/compressed ratio while data streams (a compression bomb stops
    /// here before the block that crosses the line is written).
    /// - Parameters:
    ///   - expanded: Bytes expanded so far, including the block about to be written.
    ///   - compressed: Archive bytes consumed so far.
    ///   - path: The entry being written, for the message.
    /// - Throws: `bundle.compression_ratio` or `bundle.too_large`.
    public func checkStream(expanded: Int64, compressed: Int64, path: String) throws {
        if expanded > limits.maxExpandedBytes {
            throw StackError(.bundleTooLarge,
                             "the bundle expands past \(limits.maxExpandedBytes) bytes (at \(path))")
        }
        guard expanded > limits.ratioThresholdBytes else { return }
        let ratio = Double(expanded) / Double(max(compressed, 1))
        if ratio > limits.maxCompressionRatio {
            throw StackError(.bundleCompressionRatio,
                             "the bundle expands \(Int(ratio))× its compressed size (at \(path), \(expanded) bytes from \(compressed)); the limit is \(Int(limits.maxCompressionRatio))×",
                             hint: "this looks like a compression bomb")
        }
    }

    /// Checks what can only be known at the end: `stack.yaml` at the root exactly once.
    /// - Throws: `bundle.manifest_missing`.
    public func finish() throws {
        guard manifestCount == 1 else {
            let nested = seen.keys.map { String(decoding: $0, as: UTF8.self) }
                .filter { $0.hasSuffix("/" + Manifest.fileName) }.sorted().first
            throw StackError(.bundleManifestMissing,
                             "the bundle has no \(Manifest.fileName) at its root"
                                + (nested.map { " (found \($0); it must be at the root)" } ?? ""))
        }
    }

    private mutating func register(_ path: String, kind: BundleEntry.Kind, explicit: Bool,
                                   shown: String) throws {
        let bytes = Array(path.utf8)
        if let existing = seen[bytes] {
            if existing.kind != kind || (kind == .file) {
                if existing.kind == .file && kind == .file {
                    throw StackError(.bundleDuplicateEntry, "entry \(shown) appears twice in the bundle")
                }
                throw StackError(.bundleTypeConflict,
                                 "entry \(shown) conflicts with \(path) (\(existing.kind.rawValue) vs \(kind.rawValue))")
            }
            if explicit && existing.explicit {
                throw StackError(.bundleDuplicateEntry, "entry \(shown) appears twice in the bundle")
            }
            if explicit { seen[bytes] = (kind, true) }
            return
        }
        let key = Self.foldKey(path)
        if let other = folded[key], Array(other.utf8) != bytes {
            throw StackError(.bundleNameCollision,
                             "entry \(shown) collides with \(other) on case-insensitive or Unicode-normalising file systems")
        }
        folded[key] = path
        seen[bytes] = (kind, explicit)
    }

    /// The collision key: NFC, then case-folded.
    static func foldKey(_ path: String) -> String {
        path.precomposedStringWithCanonicalMapping.folding(options: [.caseInsensitive], locale: nil)
            .precomposedStringWithCanonicalMapping
    }

    /// Validates a raw path and splits it into components. `./` prefixes and one trailing
    /// `/` are accepted; `nil` means the root itself (`.`, `./`).
    static func components(of raw: [UInt8], limits: BundleLimits) throws -> [String]? {
        let shown = display(raw)
        if let bad = raw.first(where: { $0 < 0x20 || $0 == 0x7F }) {
            throw StackError(.bundleControlCharacter,
                             "entry \(shown) has control character 0x\(String(bad, radix: 16, uppercase: true)) in its path")
        }
        guard let text = String(validating: raw, as: UTF8.self) else {
            throw StackError(.bundleInvalidPath, "entry \(shown) has a path that is not valid UTF-8")
        }
        if let bad = text.unicodeScalars.first(where: { (0x80...0x9F).contains($0.value) }) {
            throw StackError(.bundleControlCharacter,
                             "entry \(shown) has control character U+\(String(bad.value, radix: 16, uppercase: true)) in its path")
        }
        if text.contains("\\") {
            throw StackError(.bundleBackslash, "entry \(shown) has a backslash in its path")
        }
        if text.hasPrefix("/") {
            throw StackError(.bundleAbsolutePath, "entry \(shown) has an absolute path")
        }
        var parts = text.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        if parts.last == "" { parts.removeLast() }
        while parts.first == "." { parts.removeFirst() }
        if parts.isEmpty { return nil }
        // A drive letter (`C:`) in the first real component, also behind `./`.
        let first = Array(parts[0].utf8)
        if first.count >= 2, first[1] == UInt8(ascii: ":"),
           (first[0] | 0x20) >= UInt8(ascii: "a"), (first[0] | 0x20) <= UInt8(ascii: "z") {
            throw StackError(.bundleAbsolutePath, "entry \(shown) starts with a drive letter")
        }
        if parts.contains("..") {
            throw StackError(.bundlePathTraversal, "entry \(shown) has a '..' component")
        }
        if parts.contains("") || parts.contains(".") {
            throw StackError(.bundleInvalidPath, "entry \(shown) has an empty or '.' component")
        }
        let normalised = parts.joined(separator: "/")
        if normalised.utf8.count > limits.maxPathBytes {
            throw StackError(.bundlePathTooLong,
                             "entry \(String(shown.prefix(80)))… has a \(normalised.utf8.count)-byte path; the limit is \(limits.maxPathBytes)")
        }
        if let long = parts.first(where: { $0.utf8.count > limits.maxComponentBytes }) {
            throw StackError(.bundleComponentTooLong,
                             "entry \(String(shown.prefix(80)))… has a \(long.utf8.count)-byte path component; the limit is \(limits.maxComponentBytes)")
        }
        return parts
    }

    /// A path for messages: printable ASCII and valid UTF-8 kept, the rest escaped.
    public static func display(_ raw: [UInt8]) -> String {
        let text = String(decoding: raw, as: UTF8.self)
        var out = ""
        for scalar in text.unicodeScalars {
            if scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value) {
                out += "\\x" + String(scalar.value, radix: 16, uppercase: true).leftPad(2)
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
        return "'" + out + "'"
    }
}

extension String {
    fileprivate func leftPad(_ width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
