internal import CArchive
import Foundation
import StackCore

/// Writes reproducible bundles: entries sorted by path bytes, directories first within
/// their parent's order, mtime fixed at ``fixedModificationTime``, uid/gid 0 with no owner
/// names, modes normalised to 0755 (directories, executables) or 0644, pax-restricted tar,
/// gzip without a timestamp or file name. Every name passes the same ``EntryPolicy`` that
/// readers apply, so a created bundle is always one that unpacks.
struct DeterministicWriter {
    /// 2000-01-01T00:00:00Z: fixed, and after the epoch so no tool warns about it.
    static let fixedModificationTime = 946_684_800

    let limits: BundleLimits
    /// Told the content bytes archived so far, out of the total.
    var progress: ProgressObserver? = nil

    func write(from directory: URL, to output: URL) throws -> BundleListing {
        try withUTF8Locale { try writeArchive(from: directory, to: output) }
    }

    private func writeArchive(from directory: URL, to output: URL) throws -> BundleListing {
        let root = directory.standardizedFileURL.path
        var policy = EntryPolicy(limits: limits)
        let items = try collect(root: root)
        for item in items {
            _ = try policy.admit(item.header)
        }
        try policy.finish()

        let outDir = output.standardizedFileURL.deletingLastPathComponent().path
        let temp = outDir + "/.\(output.lastPathComponent).tmp-\(getpid())"
        let fd = open(temp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0o644)
        guard fd >= 0 else { throw AtomicFile.ioError("create", temp) }
        var done = false
        defer {
            if !done { unlink(temp) }
        }
        var listing = BundleListing()
        do {
            defer { Posix.close(fd) }
            let archive = try ArchiveHandle(mode: .write)
            let a = archive.raw
            try archive.check(archive_write_set_format_pax_restricted(a), .internalError, "pax format")
            try archive.check(archive_write_add_filter_gzip(a), .internalError, "gzip filter")
            // No timestamp and no original file name in the gzip header.
            try archive.check(archive_write_set_filter_option(a, "gzip", "timestamp", nil), .internalError,
                              "gzip options", allowWarn: true)
            try archive.check(archive_write_set_bytes_in_last_block(a, 1), .internalError, "block size")
            try archive.check(archive_write_open_fd(a, fd), .ioFailed, "open \(temp)")
            let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 16)
            defer { buffer.deallocate() }
            let total = items.reduce(Int64(0)) { $0 + ($1.isDirectory ? 0 : $1.size) }
            var done: Int64 = 0
            for item in items {
                let entry = archive_entry_new()
                defer { archive_entry_free(entry) }
                archive_entry_set_pathname_utf8(entry, item.path)
                archive_entry_set_mtime(entry, time_t(Self.fixedModificationTime), 0)
                archive_entry_set_uid(entry, 0)
                archive_entry_set_gid(entry, 0)
                if item.isDirectory {
                    archive_entry_set_filetype(entry, stack_AE_IFDIR())
                    archive_entry_set_perm(entry, 0o755)
                    archive_entry_set_size(entry, 0)
                } else {
                    archive_entry_set_filetype(entry, stack_AE_IFREG())
                    archive_entry_set_perm(entry, item.executable ? 0o755 : 0o644)
                    archive_entry_set_size(entry, la_int64_t(item.size))
                }
                try archive.check(archive_write_header(a, entry), .ioFailed, "write header of \(item.path)")
                if !item.isDirectory {
                    try copy(root + "/" + item.path, size: item.size, into: archive, buffer: buffer) { n in
                        done += n
                        progress?.report(done, total)
                    }
                    listing.expandedBytes += item.size
                }
                listing.entries.append(BundleEntry(path: item.path, kind: item.isDirectory ? .directory : .file,
                                                   size: item.size,
                                                   mode: item.isDirectory || item.executable ? 0o755 : 0o644))
            }
            try archive.check(archive_write_close(a), .ioFailed, "finish \(temp)")
            archive.close()
            guard fsync(fd) == 0 else { throw AtomicFile.ioError("fsync", temp) }
        }
        guard rename(temp, output.path) == 0 else { throw AtomicFile.ioError("rename to", output.path) }
        done = true
        AtomicFile.syncDirectory(outDir)
        var info = stat()
        if stat(output.path, &info) == 0 { listing.compressedBytes = Int64(info.st_size) }
        return listing
    }

    private struct Item {
        var path: String
        var isDirectory: Bool
        var executable: Bool
        var size: Int64
        var header: ArchiveEntryHeader {
            ArchiveEntryHeader(path: path, type: isDirectory ? .directory : .regular, size: size,
                               mode: executable || isDirectory ? 0o755 : 0o644)
        }
    }

    /// Walks the tree (without following links), sorted by UTF-8 bytes, refusing anything a
    /// bundle may not hold.
    private func collect(root: String) throws -> [Item] {
        var info = stat()
        guard lstat(root, &info) == 0, (info.st_mode & S_IFMT) == S_IFDIR else {
            throw StackError(.fileNotFound, "\(root) is not a directory")
        }
        var items: [Item] = []
        func walk(_ relative: String) throws {
            let full = relative.isEmpty ? root : root + "/" + relative
            let names: [String]
            do {
                names = try FileManager.default.contentsOfDirectory(atPath: full)
            } catch {
                throw StackError(.ioFailed, "cannot list \(full)", cause: error)
            }
            for name in names.sorted(by: { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }) {
                let path = relative.isEmpty ? name : relative + "/" + name
                var st = stat()
                guard lstat(root + "/" + path, &st) == 0 else { throw AtomicFile.ioError("stat", root + "/" + path) }
                switch st.st_mode & S_IFMT {
                case S_IFDIR:
                    items.append(Item(path: path, isDirectory: true, executable: true, size: 0))
                    try walk(path)
                case S_IFREG:
                    items.append(Item(path: path, isDirectory: false, executable: st.st_mode & 0o111 != 0,
                                      size: Int64(st.st_size)))
                case S_IFLNK:
                    throw StackError(.bundleSymlink, "\(root)/\(path) is a symbolic link; bundles may hold only files and directories",
                                     hint: "replace the link with a copy of its target")
                default:
                    throw StackError(.bundleSpecialFile, "\(root)/\(path) is not a regular file or directory")
                }
            }
        }
        try walk("")
        return items
    }

    private func copy(_ path: String, size: Int64, into archive: ArchiveHandle,
                      buffer: UnsafeMutableRawBufferPointer, copied: (Int64) -> Void) throws {
        let fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)
        guard fd >= 0 else { throw AtomicFile.ioError("open", path) }
        defer { Posix.close(fd) }
        var remaining = size
        while remaining > 0 {
            let n = read(fd, buffer.baseAddress, Int(min(Int64(buffer.count), remaining)))
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else {
                throw StackError(.ioFailed, "\(path) changed while it was being archived")
            }
            let written = archive_write_data(archive.raw, buffer.baseAddress, n)
            guard written == n else {
                throw StackError(.ioFailed, "cannot archive \(path): \(archive.errorString)")
            }
            remaining -= Int64(n)
            copied(Int64(n))
        }
    }
}
