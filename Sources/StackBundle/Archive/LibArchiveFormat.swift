import Foundation
import StackCore

/// The bundle format over libarchive: streaming reads through the entry policy,
/// descriptor-relative writes, and reproducible creation.
public struct LibArchiveFormat: ArchiveFormat {
    /// Creates the adapter.
    public init() {}

    /// Streams every entry through the policy without writing anything.
    /// - Parameters:
    ///   - bundle: The open bundle.
    ///   - limits: The limits.
    ///   - capture: Which files to keep in memory.
    /// - Returns: The listing with captured files.
    /// - Throws: `StackError` with a `bundle.*` code.
    /// A gzip, xz or zstd compressed tar, or a plain tar, by its first bytes.
    /// - Parameter bundle: The open bundle.
    /// - Throws: `bundle.not_a_bundle`.
    public func identify(_ bundle: BundleFile) throws {
        try bundle.requireArchiveMagic()
    }

    public func list(_ bundle: BundleFile, limits: BundleLimits,
                     capture: @Sendable (String, Int64) -> Bool) throws -> BundleListing {
        try identify(bundle)
        return try withoutActuallyEscaping(capture) { capture in
            var sink = CapturingSink(shouldCapture: capture)
            var listing = try BundleStreamer.run(bundle, limits: limits, sink: &sink)
            listing.captured = sink.captured
            return listing
        }
    }

    /// Streams every entry through the policy and writes it below `directory`.
    /// - Parameters:
    ///   - bundle: The open bundle.
    ///   - directory: An existing, empty, private directory.
    ///   - limits: The limits.
    /// - Returns: The listing.
    /// - Throws: `StackError` with a `bundle.*` or `io.*` code; the caller removes `directory`.
    public func extract(_ bundle: BundleFile, into directory: URL, limits: BundleLimits) throws -> BundleListing {
        try identify(bundle)
        var sink = try SafeExtractor(directory: directory)
        defer { sink.close() }
        return try BundleStreamer.run(bundle, limits: limits, sink: &sink)
    }

    /// Writes a reproducible gzip-compressed pax archive of `directory`.
    /// - Parameters:
    ///   - directory: The source tree; it must hold `stack.yaml` at its root.
    ///   - output: The archive; replaced atomically.
    /// - Returns: The listing of what was written.
    /// - Throws: `StackError` for links, special files, policy violations or I/O errors.
    public func create(from directory: URL, to output: URL, progress: ProgressObserver?) throws -> BundleListing {
        try DeterministicWriter(limits: .default, progress: progress).write(from: directory, to: output)
    }
}
