import Foundation

/// An open, read-only bundle file. Every step after verification reads this same open
/// descriptor (positional reads), never the path again, so the file cannot be swapped
/// between checks and use.
public final class BundleFile: Sendable {
    /// The path it was opened from, for messages.
    public let path: String
    /// The open descriptor; valid until the object is released.
    public let descriptor: Int32
    /// Size in bytes at open time.
    public let size: Int64
    /// Told the furthest offset read so far, for progress while a pass reads the file.
    private let readObserver = LockedBox<ProgressObserver?>(nil)

    /// Opens `path` for reading.
    /// - Parameter path: A regular file.
    /// - Throws: `io.not_found` when missing, `io.failed` when unreadable or not a
    ///   regular file.
    public init(path: String) throws {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            let err = errno
            let code: StackError.Code = err == ENOENT ? .fileNotFound : .ioFailed
            throw StackError(code, "cannot open bundle \(path): \(String(cString: strerror(err)))")
        }
        var info = stat()
        guard fstat(fd, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else {
            let isDirectory = (info.st_mode & S_IFMT) == S_IFDIR
            close(fd)
            if isDirectory {
                throw StackError(.bundleNotABundle, "\(path) is a directory, not a bundle file",
                                 hint: "make a bundle from it with `stackctl bundle create \(path) -o NAME.stack`")
            }
            throw StackError(.ioFailed, "\(path) is not a regular file")
        }
        self.path = path
        self.descriptor = fd
        self.size = Int64(info.st_size)
    }

    deinit { close(descriptor) }

    /// Reads up to `buffer.count` bytes at `offset` without moving any shared position.
    /// - Parameters:
    ///   - buffer: Where the bytes go.
    ///   - offset: The file offset.
    /// - Returns: The number of bytes read; 0 at end of file.
    /// - Throws: `io.failed` on a read error.
    public func read(into buffer: UnsafeMutableRawBufferPointer, at offset: Int64) throws -> Int {
        while true {
            let n = pread(descriptor, buffer.baseAddress, buffer.count, off_t(offset))
            if n >= 0 {
                if let observer = readObserver.withLock({ $0 }) { observer.report(offset + Int64(n), size) }
                return n
            }
            if errno == EINTR { continue }
            throw StackError(.ioFailed, "read error in \(path): \(String(cString: strerror(errno)))")
        }
    }

    /// Reports reads of this file to `observer` (each pass over it, hashing or unpacking,
    /// reads from the start to the end); `nil` stops reporting.
    /// - Parameter observer: The observer, or `nil`.
    public func observeReads(_ observer: ProgressObserver?) {
        readObserver.withLock { $0 = observer }
    }

    /// Refuses a file that is not an archive a bundle can be, by its first bytes: gzip,
    /// xz or zstd compression, or a plain tar. Runs before any signature is looked at, so
    /// a wrong file gets a clear error rather than a signature one.
    /// - Throws: `bundle.not_a_bundle` (exit 4), with a hint.
    public func requireArchiveMagic() throws {
        var head = [UInt8](repeating: 0, count: 512)
        let n = try head.withUnsafeMutableBytes { try read(into: $0, at: 0) }
        let bytes = head.prefix(n)
        func starts(_ magic: [UInt8]) -> Bool { bytes.starts(with: magic) }
        if starts([0x1F, 0x8B]) || starts([0xFD, 0x37, 0x7A, 0x58, 0x5A, 0x00]) || starts([0x28, 0xB5, 0x2F, 0xFD]) { return }
        if n >= 262, Array(head[257..<262]) == Array("ustar".utf8) { return }
        let looksLikeText = n > 0 && bytes.allSatisfy { $0 == 0x09 || $0 == 0x0A || $0 == 0x0D || ($0 >= 0x20 && $0 != 0x7F) || $0 >= 0x80 }
        throw StackError(.bundleNotABundle,
                         n == 0 ? "\(path) is empty, not a bundle"
                             : "\(path) is not a bundle (a .stack file is a gzip, xz or zstd compressed tar archive)\(looksLikeText ? "; it looks like a text file" : "")",
                         hint: "a bundle is made from a folder holding stack.yaml with `stackctl bundle create DIR -o NAME.stack`")
    }
}
