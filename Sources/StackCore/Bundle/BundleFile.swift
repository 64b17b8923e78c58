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
            close(fd)
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
            if n >= 0 { return n }
            if errno == EINTR { continue }
            throw StackError(.ioFailed, "read error in \(path): \(String(cString: strerror(errno)))")
        }
    }
}
