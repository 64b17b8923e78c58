import Foundation

/// A bundle archive format: streams entries through the ``EntryPolicy`` and writes them
/// safely, and creates reproducible archives. `LibArchiveFormat` implements it.
public protocol ArchiveFormat: Sendable {
    /// Says whether the file is an archive of this format at all, from its first bytes,
    /// before anything else (a signature lookup included) looks at it.
    /// - Parameter bundle: The open bundle.
    /// - Throws: `bundle.not_a_bundle` (exit 4) with a hint.
    func identify(_ bundle: BundleFile) throws

    /// Streams every entry through the policy without writing anything.
    /// - Parameters:
    ///   - bundle: The open bundle; read from its start.
    ///   - limits: The limits to enforce.
    ///   - capture: Says, for a file entry's path and size, whether to keep its bytes in
    ///     ``BundleListing/captured``.
    /// - Returns: The listing.
    /// - Throws: `StackError` with a `bundle.*` code on the first violation.
    func list(_ bundle: BundleFile, limits: BundleLimits,
              capture: @Sendable (String, Int64) -> Bool) throws -> BundleListing

    /// Streams every entry through the policy and writes it below `directory`, which must
    /// exist, be empty and be private to the caller. Nothing is written for an entry
    /// before it passes the policy; on error the caller removes `directory`.
    /// - Parameters:
    ///   - bundle: The open bundle; read from its start.
    ///   - directory: An empty directory.
    ///   - limits: The limits to enforce.
    /// - Returns: The listing.
    /// - Throws: `StackError` with a `bundle.*` or `io.*` code.
    func extract(_ bundle: BundleFile, into directory: URL, limits: BundleLimits) throws -> BundleListing

    /// Writes a reproducible archive of `directory`: sorted entries, fixed times, owner 0,
    /// normalised modes, no compression timestamp. Identical input gives identical bytes.
    /// - Parameters:
    ///   - directory: The bundle's source tree.
    ///   - output: The archive to write; replaced atomically.
    /// - Returns: The listing of what was written.
    ///   - progress: Told the bytes of file content archived so far, out of the total.
    /// - Throws: `StackError` when the tree holds something a bundle may not (links,
    ///   special files) or on I/O errors.
    func create(from directory: URL, to output: URL, progress: ProgressObserver?) throws -> BundleListing
}

extension ArchiveFormat {
    /// Creates an archive without reporting progress.
    /// - Parameters:
    ///   - directory: The bundle's source tree.
    ///   - output: The archive to write.
    /// - Returns: The listing of what was written.
    /// - Throws: As ``create(from:to:progress:)``.
    public func create(from directory: URL, to output: URL) throws -> BundleListing {
        try create(from: directory, to: output, progress: nil)
    }
}
