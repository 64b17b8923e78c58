internal import CArchive
import Foundation
import StackCore

/// Streams the entries of a bundle archive with libarchive, reading the open
/// ``BundleFile`` through positional reads so the caller's verified descriptor is the one
/// decompressed. Only tar (ustar, pax, GNU) is accepted, compressed with gzip, xz, zstd or
/// nothing; libarchive's filters that would start external programs are not enabled.
final class ArchiveReader {
    /// Read-callback state; libarchive holds its address for the whole pass.
    private final class Source {
        let file: BundleFile
        let buffer: UnsafeMutableRawBufferPointer
        var offset: Int64 = 0
        var failure: (any Error)?

        init(file: BundleFile, bufferSize: Int) {
            self.file = file
            buffer = .allocate(byteCount: bufferSize, alignment: 16)
        }
        deinit { buffer.deallocate() }
    }

    private let handle: ArchiveHandle
    private let source: Source
    private var sourceRef: Unmanaged<Source>?
    private(set) var entriesRead = 0
    private let displayName: String

    /// Bytes of the archive consumed so far.
    var consumedBytes: Int64 { source.offset }

    /// Opens `file` for one streaming pass from its start.
    /// - Parameters:
    ///   - file: The open bundle.
    ///   - bufferSize: Bytes per read.
    init(file: BundleFile, bufferSize: Int = 1 << 20) throws {
        handle = try ArchiveHandle(mode: .read)
        source = Source(file: file, bufferSize: bufferSize)
        displayName = file.path
        let a = handle.raw
        try handle.check(archive_read_support_format_tar(a), .internalError, "tar support")
        try handle.check(archive_read_support_filter_gzip(a), .internalError, "gzip support")
        // xz and zstd are linked into Debian's libarchive; a WARN would mean an external
        // program, which we do not want to run, so it is tolerated only as "unsupported".
        _ = archive_read_support_filter_xz(a)
        _ = archive_read_support_filter_zstd(a)
        let ref = Unmanaged.passRetained(source)
        sourceRef = ref
        let status = archive_read_open(a, ref.toOpaque(), nil, { archive, context, out in
            guard let context, let out else { return -1 }
            let source = Unmanaged<Source>.fromOpaque(context).takeUnretainedValue()
            do {
                let n = try source.file.read(into: source.buffer, at: source.offset)
                source.offset += Int64(n)
                out.pointee = UnsafeRawPointer(source.buffer.baseAddress)
                return n
            } catch {
                source.failure = error
                return -1
            }
        }, nil)
        if status != ARCHIVE_OK {
            throw classify(status, during: "opening")
        }
    }

    deinit {
        handle.close()
        sourceRef?.release()
    }

    /// Advances to the next entry.
    /// - Returns: Its header, or `nil` at the end of the archive.
    /// - Throws: `bundle.unreadable` or `bundle.truncated`.
    func nextHeader() throws -> ArchiveEntryHeader? {
        var entry: OpaquePointer?
        let status = archive_read_next_header(handle.raw, &entry)
        if status == ARCHIVE_EOF { return nil }
        guard status == ARCHIVE_OK || status == ARCHIVE_WARN, let entry else {
            throw classify(status, during: "reading entry \(entriesRead + 1)")
        }
        entriesRead += 1
        return Self.header(of: entry)
    }

    /// Reads the next block of the current entry's data.
    /// - Returns: The block and its offset in the entry, or `nil` at the entry's end.
    /// - Throws: `bundle.truncated` on corrupt or short data.
    func nextBlock() throws -> (UnsafeRawBufferPointer, Int64)? {
        var buffer: UnsafeRawPointer?
        var size = 0
        var offset: la_int64_t = 0
        let status = archive_read_data_block(handle.raw, &buffer, &size, &offset)
        if status == ARCHIVE_EOF { return nil }
        guard status == ARCHIVE_OK || status == ARCHIVE_WARN else {
            throw classify(status, during: "reading data of entry \(entriesRead)")
        }
        return (UnsafeRawBufferPointer(start: buffer, count: size), Int64(offset))
    }

    private func classify(_ status: Int32, during what: String) -> StackError {
        if let failure = source.failure { return StackError.wrap(failure, as: .ioFailed) }
        let message = handle.errorString
        let lower = message.lowercased()
        let truncated = entriesRead > 0 || lower.contains("truncat") || lower.contains("premature")
            || lower.contains("unexpected end")
        if truncated {
            return StackError(.bundleTruncated,
                              "\(displayName) is truncated or corrupt (\(what)): \(message)",
                              hint: "download the bundle again")
        }
        return StackError(.bundleUnreadable,
                          "\(displayName) is not a bundle archive (\(what)): \(message)",
                          hint: "a .stack file is a tar archive, gzip-, xz- or zstd-compressed")
    }

    private static func header(of entry: OpaquePointer) -> ArchiveEntryHeader {
        var raw: [UInt8] = []
        if let path = archive_entry_pathname(entry) {
            raw = Array(UnsafeBufferPointer(start: UnsafeRawPointer(path).assumingMemoryBound(to: UInt8.self),
                                            count: strlen(path)))
        }
        let size = archive_entry_size_is_set(entry) != 0 ? Int64(archive_entry_size(entry)) : 0
        let mode = UInt32(archive_entry_perm(entry)) | (UInt32(archive_entry_mode(entry)) & 0o7000)
        let type: ArchiveEntryHeader.EntryType
        if let link = archive_entry_hardlink(entry) {
            type = .hardlink(target: String(cString: link))
        } else {
            let filetype = UInt32(archive_entry_filetype(entry))
            switch filetype {
            case stack_AE_IFREG(): type = .regular
            case stack_AE_IFDIR(): type = .directory
            case stack_AE_IFLNK():
                type = .symlink(target: archive_entry_symlink(entry).map { String(cString: $0) } ?? "")
            case stack_AE_IFCHR(): type = .characterDevice
            case stack_AE_IFBLK(): type = .blockDevice
            case stack_AE_IFIFO(): type = .fifo
            case stack_AE_IFSOCK(): type = .socket
            default: type = .unknown(filetype)
            }
        }
        return ArchiveEntryHeader(rawPath: raw, type: type, size: size, mode: mode)
    }
}
