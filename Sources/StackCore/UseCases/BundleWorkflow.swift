import Foundation

/// What inspecting or unpacking a bundle found.
public struct BundleInspection: Sendable {
    public var manifest: Manifest
    /// The compose model, every value interpolated with ``interpolation``.
    public var compose: ComposeFile
    public var listing: BundleListing
    /// The parameter values the compose file was interpolated with.
    public var interpolation: ComposeInterpolation
    public init(manifest: Manifest, compose: ComposeFile, listing: BundleListing,
                interpolation: ComposeInterpolation = .none) {
        self.manifest = manifest
        self.compose = compose
        self.listing = listing
        self.interpolation = interpolation
    }
}

/// The bundle steps of the run pipeline (DESIGN §3 steps 3–4) as one use case:
/// stream through the entry policy, parse `stack.yaml` and the compose file, and place the
/// result atomically. Signature verification (step 2) runs before it on the same
/// ``BundleFile``.
public struct BundleWorkflow: Sendable {
    /// Largest `stack.yaml` or compose file read into memory.
    public static let maxDocumentBytes: Int64 = 1 << 20

    private let format: any ArchiveFormat
    private let decoder: any ManifestDecoder
    private let logger: Logger?

    /// Creates the use case.
    /// - Parameters:
    ///   - format: The archive adapter.
    ///   - decoder: The YAML adapter.
    ///   - logger: Optional logger.
    public init(format: some ArchiveFormat, decoder: some ManifestDecoder, logger: Logger? = nil) {
        self.format = format
        self.decoder = decoder
        self.logger = logger
    }

    /// Streams the bundle through the policy and parses its documents, writing nothing.
    /// - Parameters:
    ///   - bundle: The open bundle.
    ///   - limits: The limits.
    ///   - parameters: Parameter values the user set; the others take their defaults.
    /// - Returns: Manifest, compose model and listing.
    /// - Throws: `StackError` (`bundle.*`, `yaml.*`, `manifest.*`, `policy.interpolation`, `compose.*`).
    public func inspect(_ bundle: BundleFile, limits: BundleLimits = .default,
                        parameters: [String: String] = [:]) throws -> BundleInspection {
        let maxBytes = Self.maxDocumentBytes
        let listing = try format.list(bundle, limits: limits) { path, size in
            size <= maxBytes && Self.mayBeDocument(path)
        }
        guard let manifestBytes = listing.captured[Manifest.fileName] else {
            throw tooLarge(Manifest.fileName, bundle: bundle)
        }
        let manifest = try decoder.decodeManifest(manifestBytes, path: Manifest.fileName)
        try requireFile(manifest.compose, in: listing, bundle: bundle)
        var composeBytes = listing.captured[manifest.compose]
        if composeBytes == nil,
           listing.entries.contains(where: { $0.path == manifest.compose && $0.size <= maxBytes }) {
            // A compose file without a YAML/JSON extension: one more streaming pass for it.
            let wanted = manifest.compose
            composeBytes = try format.list(bundle, limits: limits) { path, _ in path == wanted }.captured[wanted]
        }
        guard let composeBytes else { throw tooLarge(manifest.compose, bundle: bundle) }
        let interpolation = ComposeInterpolation(parameters: manifest.parameters, overrides: parameters)
        let compose = try decoder.decodeCompose(composeBytes, path: manifest.compose, interpolation: interpolation)
        return BundleInspection(manifest: manifest, compose: compose, listing: listing, interpolation: interpolation)
    }

    /// Refuses a file that is not an archive of the bundle format, by its first bytes.
    /// - Parameter bundle: The open bundle.
    /// - Throws: `bundle.not_a_bundle`.
    public func identify(_ bundle: BundleFile) throws {
        try format.identify(bundle)
    }

    /// Reads small files of the bundle (the env files a plan needs) in one streaming pass,
    /// writing nothing.
    /// - Parameters:
    ///   - paths: Normalised bundle paths.
    ///   - bundle: The open bundle.
    ///   - limits: The limits.
    /// - Returns: The contents of each path that is a file of at most 1 MiB.
    /// - Throws: `bundle.*` errors of the stream.
    public func readFiles(_ paths: [String], in bundle: BundleFile, limits: BundleLimits = .default) throws -> [String: [UInt8]] {
        guard !paths.isEmpty else { return [:] }
        let wanted = Set(paths)
        let maxBytes = Self.maxDocumentBytes
        return try format.list(bundle, limits: limits) { path, size in wanted.contains(path) && size <= maxBytes }.captured
    }

    /// Reads small files of an unpacked bundle (the env files a plan needs).
    /// - Parameters:
    ///   - paths: Normalised bundle paths.
    ///   - directory: The unpacked (or staged) bundle.
    /// - Returns: The contents of each path that is a regular file of at most 1 MiB.
    public func readFiles(_ paths: [String], in directory: URL) -> [String: [UInt8]] {
        var out: [String: [UInt8]] = [:]
        for path in paths {
            if let bytes = try? readDocument(directory.path, path) { out[path] = bytes }
        }
        return out
    }

    /// Unpacks the bundle into a fresh private staging directory beside `destination`,
    /// parses its documents there, runs `validate`, and renames it to `destination`. On any
    /// error the staging directory is removed and `destination` does not exist.
    /// - Parameters:
    ///   - bundle: The open bundle.
    ///   - destination: A path that must not exist; its parent must.
    ///   - limits: The limits.
    ///   - directoryMode: Mode of the placed root directory.
    ///   - validate: Runs after parsing and before placing (signature binding, scan); an
    ///     error it throws unwinds like any other.
    /// - Returns: Manifest, compose model and listing.
    /// - Throws: `io.destination_exists`, `io.not_found`, or the errors of ``inspect(_:limits:)``.
    public func unpack(_ bundle: BundleFile, to destination: URL, limits: BundleLimits = .default,
                       directoryMode: mode_t = 0o755,
                       validate: (BundleInspection) throws -> Void = { _ in }) throws -> BundleInspection {
        let staged = try stage(bundle, besides: destination, limits: limits)
        do {
            try validate(staged.inspection)
            try staged.commit(to: destination, directoryMode: directoryMode)
        } catch {
            staged.discard()
            throw error
        }
        logger?.info("unpacked \(staged.inspection.manifest.name) \(staged.inspection.manifest.version)",
                     metadata: ["entries": "\(staged.inspection.listing.entries.count)", "to": destination.path])
        return staged.inspection
    }

    /// Steps 3–4 without placing: unpacks into a fresh private staging directory in
    /// `destination`'s parent (same file system, so the commit is a rename) and parses both
    /// documents there. The caller then commits or discards; on error nothing is left.
    /// - Parameters:
    ///   - bundle: The open bundle.
    ///   - destination: Where the bundle will be committed; must not exist yet.
    ///   - limits: The limits.
    /// - Returns: The staged bundle.
    /// - Throws: `io.destination_exists`, `io.not_found`, `bundle.*`, `yaml.*`, `manifest.*`, `compose.*`.
    public func stage(_ bundle: BundleFile, besides destination: URL, limits: BundleLimits = .default,
                      parameters: [String: String] = [:]) throws -> StagedBundle {
        let fm = FileManager.default
        let destinationPath = destination.standardizedFileURL.path
        if fm.fileExists(atPath: destinationPath) || isSymlink(destinationPath) {
            throw StackError(.destinationExists, "\(destinationPath) already exists",
                             hint: "choose a new directory; unpack never overwrites")
        }
        let parent = destination.standardizedFileURL.deletingLastPathComponent().path
        var isDir: ObjCBool = false
        guard fm.fileExists(atPath: parent, isDirectory: &isDir), isDir.boolValue else {
            throw StackError(.fileNotFound, "the parent directory \(parent) does not exist")
        }
        // Staging a killed process left beside this destination goes first.
        Self.removeAbandonedStaging(in: URL(fileURLWithPath: parent))
        let staging = try makeStagingDirectory(in: parent)
        do {
            let listing = try format.extract(bundle, into: URL(fileURLWithPath: staging), limits: limits)
            let manifest = try decoder.decodeManifest(
                try readDocument(staging, Manifest.fileName), path: Manifest.fileName)
            try requireFile(manifest.compose, in: listing, bundle: bundle)
            let interpolation = ComposeInterpolation(parameters: manifest.parameters, overrides: parameters)
            let compose = try decoder.decodeCompose(try readDocument(staging, manifest.compose),
                                                    path: manifest.compose, interpolation: interpolation)
            return StagedBundle(directory: URL(fileURLWithPath: staging),
                                inspection: BundleInspection(manifest: manifest, compose: compose, listing: listing,
                                                             interpolation: interpolation))
        } catch {
            try? fm.removeItem(atPath: staging)
            throw error
        }
    }

    /// Reads and decodes the documents of an already unpacked bundle (a stack installed
    /// before plans were recorded is planned again from it).
    /// - Parameters:
    ///   - directory: The unpacked bundle.
    ///   - parameters: Parameter values the user set.
    /// - Returns: The manifest, the compose model and the interpolation used.
    /// - Throws: `io.*`, `yaml.*`, `manifest.*`, `policy.interpolation`, `compose.*`.
    public func loadUnpacked(_ directory: URL, parameters: [String: String] = [:]) throws -> (Manifest, ComposeFile, ComposeInterpolation) {
        let manifest = try decoder.decodeManifest(try readDocument(directory.path, Manifest.fileName),
                                                  path: Manifest.fileName)
        let interpolation = ComposeInterpolation(parameters: manifest.parameters, overrides: parameters)
        let compose = try decoder.decodeCompose(try readDocument(directory.path, manifest.compose),
                                                path: manifest.compose, interpolation: interpolation)
        return (manifest, compose, interpolation)
    }

    /// The name prefix of staging directories: `.stack-staging-<pid>-XXXXXX`.
    public static let stagingPrefix = ".stack-staging-"

    /// Removes the staging directories in `directory` whose process no longer runs (a
    /// `SIGKILL` mid-unpack leaves one behind; nothing else ever would). Staging of a live
    /// process, and names without a pid, are left alone.
    /// - Parameter directory: Where staging may have been made (the home's `tmp/`, or the
    ///   parent of an `unpack -o` target).
    /// - Returns: The directories removed.
    @discardableResult
    public static func removeAbandonedStaging(in directory: URL) -> [URL] {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory.path) else { return [] }
        var removed: [URL] = []
        for name in names where name.hasPrefix(stagingPrefix) {
            let rest = name.dropFirst(stagingPrefix.count)
            guard let dash = rest.firstIndex(of: "-"), let pid = Int32(rest[..<dash]), pid > 0 else { continue }
            // kill(pid, 0): 0 or EPERM means the process exists.
            if kill(pid, 0) == 0 || errno == EPERM { continue }
            let url = directory.appendingPathComponent(name)
            if (try? StagedBundle.removeTree(url)) != nil { removed.append(url) }
        }
        return removed
    }

    static func mayBeDocument(_ path: String) -> Bool {
        path.hasSuffix(".yaml") || path.hasSuffix(".yml") || path.hasSuffix(".json")
    }

    private func requireFile(_ path: String, in listing: BundleListing, bundle: BundleFile) throws {
        guard listing.entries.contains(where: { $0.path == path && $0.kind == .file }) else {
            throw StackError(.composeMissing,
                             "\(bundle.path): the compose file \(path) named in \(Manifest.fileName) is not in the bundle")
        }
    }

    private func tooLarge(_ path: String, bundle: BundleFile) -> StackError {
        StackError(.composeInvalid,
                   "\(bundle.path): \(path) is larger than \(Self.maxDocumentBytes) bytes")
    }

    private func readDocument(_ root: String, _ relative: String) throws -> [UInt8] {
        let path = root + "/" + relative
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)
        guard fd >= 0 else { throw AtomicFile.ioError("open", path) }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else {
            throw StackError(.composeInvalid, "\(relative) is not a regular file")
        }
        guard Int64(info.st_size) <= Self.maxDocumentBytes else {
            throw StackError(.composeInvalid, "\(relative) is larger than \(Self.maxDocumentBytes) bytes")
        }
        var bytes = [UInt8](repeating: 0, count: Int(info.st_size))
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeMutableBytes { pread(fd, $0.baseAddress! + offset, $0.count - offset, off_t(offset)) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { throw AtomicFile.ioError("read", path) }
            offset += n
        }
        return bytes
    }

    private func makeStagingDirectory(in parent: String) throws -> String {
        // The pid in the name says whose it is: ``removeAbandonedStaging(in:)`` removes only
        // staging whose process is gone.
        var template = Array((parent + "/\(Self.stagingPrefix)\(getpid())-XXXXXX").utf8CString)
        let made = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
        guard made != nil else { throw AtomicFile.ioError("create a staging directory in", parent) }
        return String(decoding: template.dropLast().map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    private func isSymlink(_ path: String) -> Bool {
        var info = stat()
        return lstat(path, &info) == 0
    }
}

/// Renames directory `from` to `to`, failing if `to` exists. Linux's `rename` silently
/// replaces an empty directory, so the name is first claimed with an exclusive `mkdir`
/// and that empty directory is then atomically replaced.
func renameNoReplace(_ from: String, _ to: String) throws {
    guard mkdir(to, 0o700) == 0 else {
        if errno == EEXIST { throw StackError(.destinationExists, "\(to) already exists") }
        throw AtomicFile.ioError("create", to)
    }
    guard rename(from, to) == 0 else {
        let error = AtomicFile.ioError("rename to", to)
        rmdir(to)
        throw error
    }
}

/// A bundle unpacked into private staging and parsed, waiting to be committed (renamed
/// into place) or discarded. Discarding is idempotent; committing twice is an error.
public final class StagedBundle: Sendable {
    /// The staging directory (0700 until committed).
    public let directory: URL
    /// What was unpacked.
    public let inspection: BundleInspection
    private let state = LockedBox<State>(.staged)
    private enum State { case staged, committed, discarded }

    init(directory: URL, inspection: BundleInspection) {
        self.directory = directory
        self.inspection = inspection
    }

    /// Renames the staging directory to `destination` (which must not exist).
    /// - Parameters:
    ///   - destination: The final place, in the same parent directory as staging.
    ///   - directoryMode: The placed root directory's mode.
    ///   - readOnly: Also remove write permission from every file and directory below it.
    /// - Throws: `io.destination_exists`, `io.failed`; staging is kept for ``discard()``.
    public func commit(to destination: URL, directoryMode: mode_t = 0o755, readOnly: Bool = false) throws {
        try state.withLock { state in
            guard state == .staged else { throw StackError(.internalError, "the staged bundle was already \(state)") }
            if readOnly { try StagedBundle.removeWritePermission(below: directory) }
            guard chmod(directory.path, readOnly ? directoryMode & ~0o222 : directoryMode) == 0 else {
                throw AtomicFile.ioError("chmod", directory.path)
            }
            try renameNoReplace(directory.path, destination.standardizedFileURL.path)
            state = .committed
            AtomicFile.syncDirectory(destination.standardizedFileURL.deletingLastPathComponent().path)
        }
    }

    /// Removes the staging directory unless committed; idempotent.
    public func discard() {
        state.withLock { state in
            guard state == .staged else { return }
            try? StagedBundle.removeTree(directory)
            state = .discarded
        }
    }

    deinit { discard() }

    /// Removes a tree, first restoring owner write permission on its directories (trees
    /// committed read-only could not be emptied otherwise by a non-root user).
    /// - Parameter url: The tree's root.
    /// - Throws: `io.failed`.
    public static func removeTree(_ url: URL) throws {
        let fm = FileManager.default
        var info = stat()
        guard lstat(url.path, &info) == 0 else { return }
        if (info.st_mode & S_IFMT) == S_IFLNK {
            // A link is removed as a link: nothing it points to is touched.
            guard unlink(url.path) == 0 else { throw AtomicFile.ioError("remove", url.path) }
            return
        }
        if let walker = fm.enumerator(atPath: url.path) {
            _ = chmod(url.path, 0o700)
            while let relative = walker.nextObject() as? String {
                let path = url.path + "/" + relative
                var info = stat()
                if lstat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFDIR { _ = chmod(path, 0o700) }
            }
        }
        do { try fm.removeItem(at: url) } catch {
            throw StackError(.ioFailed, "cannot remove \(url.path)", cause: error)
        }
    }

    static func removeWritePermission(below root: URL) throws {
        let fm = FileManager.default
        guard let walker = fm.enumerator(atPath: root.path) else { return }
        var directories: [String] = []
        while let relative = walker.nextObject() as? String {
            let path = root.path + "/" + relative
            var info = stat()
            guard lstat(path, &info) == 0 else { throw AtomicFile.ioError("stat", path) }
            if (info.st_mode & S_IFMT) == S_IFDIR {
                directories.append(path)
            } else {
                guard chmod(path, info.st_mode & 0o7555) == 0 else { throw AtomicFile.ioError("chmod", path) }
            }
        }
        // Directories last, deepest first, so the walk above could still enter them.
        for path in directories.reversed() {
            guard chmod(path, 0o555) == 0 else { throw AtomicFile.ioError("chmod", path) }
        }
    }
}
