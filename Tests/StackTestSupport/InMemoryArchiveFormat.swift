import Foundation
import StackCore

/// An ``ArchiveFormat`` double whose "archive" is a list of items held in memory. Every
/// item goes through the real ``EntryPolicy``; `extract` writes the admitted items below
/// the directory, and both passes can be made to fail after a number of items.
public struct InMemoryArchiveFormat: ArchiveFormat {
    /// One item of the in-memory archive.
    public enum Item: Sendable {
        /// A regular file: its path and its bytes.
        case file(String, [UInt8])
        /// A directory: its path.
        case directory(String)

        /// The header the archive reports for this item.
        public var header: ArchiveEntryHeader {
            switch self {
            case .file(let path, let bytes):
                ArchiveEntryHeader(path: path, type: .regular, size: Int64(bytes.count), mode: 0o644)
            case .directory(let path):
                ArchiveEntryHeader(path: path, type: .directory, size: 0, mode: 0o755)
            }
        }

        /// The item's contents (empty for a directory).
        public var bytes: [UInt8] {
            if case .file(_, let bytes) = self { return bytes }
            return []
        }
    }

    /// The archive's items, in order.
    public var items: [Item]
    /// The error thrown once `failAfter` items have been handled, if any.
    public var failure: StackError?
    /// How many items are handled (written, for `extract`) before `failure` is thrown.
    public var failAfter: Int

    /// Creates the double.
    /// - Parameters:
    ///   - items: The archive's items, in order.
    ///   - failure: An error to throw part-way, or `nil`.
    ///   - failAfter: How many items are handled before `failure` is thrown.
    public init(_ items: [Item], failure: StackError? = nil, failAfter: Int = 0) {
        self.items = items
        self.failure = failure
        self.failAfter = failAfter
    }

    /// The items of a small valid bundle: manifest, compose file and a README in a folder.
    public static let validItems: [Item] = [
        .file("stack.yaml", Array("name: hello-web\nversion: 1.2.0\nflavor: compose\n".utf8)),
        .file("compose.yaml", Array("services:\n  web:\n    image: stacktest/busybox:1\n".utf8)),
        .directory("docs"),
        .file("docs/README.md", Array("# Hello\n".utf8)),
    ]

    /// Any file stands for the in-memory items.
    public func identify(_ bundle: BundleFile) throws {}

    /// Lists the items through the entry policy, capturing the files `capture` asks for.
    public func list(_ bundle: BundleFile, limits: BundleLimits,
                     capture: @Sendable (String, Int64) -> Bool) throws -> BundleListing {
        try pass(limits: limits) { entry, item, listing in
            if entry.kind == .file && capture(entry.path, entry.size) {
                listing.captured[entry.path] = item.bytes
            }
        }
    }

    /// Writes the admitted items below `directory`.
    public func extract(_ bundle: BundleFile, into directory: URL, limits: BundleLimits) throws -> BundleListing {
        let fm = FileManager.default
        return try pass(limits: limits) { entry, item, _ in
            let target = directory.appendingPathComponent(entry.path)
            switch entry.kind {
            case .directory:
                try fm.createDirectory(at: target, withIntermediateDirectories: true,
                                       attributes: [.posixPermissions: Int(entry.mode)])
            case .file:
                try fm.createDirectory(at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
                guard fm.createFile(atPath: target.path, contents: Data(item.bytes),
                                    attributes: [.posixPermissions: Int(entry.mode)]) else {
                    throw StackError(.ioFailed, "cannot write \(target.path)")
                }
            }
        }
    }

    /// Always throws `internal.error`: the double cannot create archives.
    public func create(from directory: URL, to output: URL, progress: ProgressObserver?) throws -> BundleListing {
        throw StackError(.internalError, "InMemoryArchiveFormat cannot create archives")
    }

    private func pass(limits: BundleLimits,
                      _ handle: (BundleEntry, Item, inout BundleListing) throws -> Void) throws -> BundleListing {
        var policy = EntryPolicy(limits: limits)
        var listing = BundleListing()
        for (index, item) in items.enumerated() {
            if let failure, index == failAfter { throw failure }
            guard let entry = try policy.admit(item.header) else { continue }
            try handle(entry, item, &listing)
            listing.entries.append(entry)
            listing.expandedBytes += entry.size
        }
        if let failure { throw failure }
        try policy.finish()
        return listing
    }
}
