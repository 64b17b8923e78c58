import Foundation
import StackCore

/// A sink that writes entries below one directory using descriptor-relative calls only:
/// every component is opened with `O_NOFOLLOW | O_DIRECTORY`, every file is created with
/// `O_CREAT | O_EXCL | O_NOFOLLOW`. Nothing can be written outside the root, even if the
/// tree were changed under it, and nothing existing is ever replaced.
final class SafeExtractor: EntrySink {
    private var rootFD: Int32
    private let rootPath: String
    /// The most recently used parent directory, which most archives reuse entry after entry.
    private var cachedParent: (path: String, fd: Int32)?
    private var fileFD: Int32 = -1
    private var currentPath = ""

    /// Opens `directory` (which must exist and should be empty and private).
    init(directory: URL) throws {
        rootPath = directory.path
        rootFD = open(rootPath, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        guard rootFD >= 0 else { throw AtomicFile.ioError("open", rootPath) }
    }

    deinit { close() }

    /// Closes every descriptor; idempotent.
    func close() {
        if fileFD >= 0 { Posix.close(fileFD); fileFD = -1 }
        if let cached = cachedParent { Posix.close(cached.fd); cachedParent = nil }
        if rootFD >= 0 { Posix.close(rootFD); rootFD = -1 }
    }

    func begin(_ entry: BundleEntry) throws {
        currentPath = entry.path
        let components = entry.path.split(separator: "/").map(String.init)
        guard let name = components.last else { return }
        let parent = try parentDirectory(components.dropLast())
        switch entry.kind {
        case .directory:
            if mkdirat(parent, name, 0o700) != 0 && errno != EEXIST { throw failure("create directory") }
            // New or made implicitly for an earlier entry: open it without following links
            // and give it its mode (mkdir's mode is filtered by the umask).
            let fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
            guard fd >= 0 else { throw failure("open directory") }
            defer { Posix.close(fd) }
            guard fchmod(fd, mode_t(entry.mode)) == 0 else { throw failure("chmod directory") }
        case .file:
            let fd = openat(parent, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
                            mode_t(entry.mode))
            guard fd >= 0 else { throw failure("create file") }
            fileFD = fd
            guard fchmod(fd, mode_t(entry.mode)) == 0 else { throw failure("chmod") }
        }
    }

    func write(_ block: UnsafeRawBufferPointer, at offset: Int64) throws {
        guard fileFD >= 0, let base = block.baseAddress else { return }
        var done = 0
        while done < block.count {
            let n = pwrite(fileFD, base + done, block.count - done, off_t(offset) + off_t(done))
            if n < 0 {
                if errno == EINTR { continue }
                throw failure("write")
            }
            done += n
        }
    }

    func end(_ entry: BundleEntry) throws {
        guard fileFD >= 0 else { return }
        defer { Posix.close(fileFD); fileFD = -1 }
        // Sparse archives may end in a hole; give the file its declared size.
        guard ftruncate(fileFD, off_t(entry.size)) == 0 else { throw failure("truncate") }
    }

    /// Opens (creating as needed) the directory for `components`, relative to the root.
    private func parentDirectory(_ components: ArraySlice<String>) throws -> Int32 {
        if components.isEmpty { return rootFD }
        let path = components.joined(separator: "/")
        if let cached = cachedParent, cached.path == path { return cached.fd }
        var fd = dup(rootFD)
        guard fd >= 0 else { throw failure("dup") }
        for component in components {
            if mkdirat(fd, component, 0o755) != 0 && errno != EEXIST {
                let error = failure("create directory")
                Posix.close(fd)
                throw error
            }
            let next = openat(fd, component, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
            let saved = errno
            Posix.close(fd)
            guard next >= 0 else {
                errno = saved
                throw failure("open directory")
            }
            fd = next
        }
        if let cached = cachedParent { Posix.close(cached.fd) }
        cachedParent = (path, fd)
        return fd
    }

    private func failure(_ action: String) -> StackError {
        StackError(.ioFailed, "cannot \(action) '\(currentPath)' under \(rootPath): \(String(cString: strerror(errno)))")
    }
}
