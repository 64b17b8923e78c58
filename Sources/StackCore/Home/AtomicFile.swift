import Foundation

/// Crash-safe file writes: write a temp file beside the target, fsync it, rename it over
/// the target, fsync the directory. A crash leaves the old content or the new, never a mix.
public enum AtomicFile {
    /// Writes `bytes` to `url` atomically.
    /// - Parameters:
    ///   - bytes: The new content.
    ///   - url: The target file.
    ///   - mode: Permission bits of the new file.
    /// - Throws: `io.failed` naming the path.
    public static func write(_ bytes: some Collection<UInt8>, to url: URL, mode: mode_t = 0o644) throws {
        let directory = url.deletingLastPathComponent().path
        let name = url.lastPathComponent
        let temp = directory + "/.\(name).tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let fd = open(temp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode)
        guard fd >= 0 else { throw ioError("create", temp) }
        var ok = false
        defer {
            if !ok { unlink(temp) }
        }
        do {
            defer { close(fd) }
            _ = fchmod(fd, mode)
            let data = Array(bytes)
            try data.withUnsafeBytes { raw in
                var offset = 0
                while offset < raw.count {
                    let n = Posix.write(fd, raw.baseAddress! + offset, raw.count - offset)
                    if n < 0 {
                        if errno == EINTR { continue }
                        throw ioError("write", temp)
                    }
                    offset += n
                }
            }
            guard fsync(fd) == 0 else { throw ioError("fsync", temp) }
        }
        guard rename(temp, url.path) == 0 else { throw ioError("rename", url.path) }
        ok = true
        syncDirectory(directory)
    }

    /// fsyncs a directory so a rename in it is durable; errors are ignored (some file
    /// systems refuse directory fsync).
    /// - Parameter path: The directory.
    public static func syncDirectory(_ path: String) {
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if fd >= 0 {
            _ = fsync(fd)
            close(fd)
        }
    }

    /// An `io.failed` error for `action` on `path`, with `errno`'s text.
    public static func ioError(_ action: String, _ path: String) -> StackError {
        let code = errno
        if code == ENOSPC || code == EDQUOT {
            return StackError(.ioNoSpace, "cannot \(action) \(path): \(String(cString: strerror(code)))",
                              hint: "free some space on the disk that holds the home, then try again")
        }
        return StackError(.ioFailed, "cannot \(action) \(path): \(String(cString: strerror(code)))")
    }
}
