import Foundation

/// An exclusive advisory lock on the home (`flock` on `.lock`), so the CLI and a running
/// server never mutate it at the same time. Released by ``unlock()`` or on deinit.
public final class HomeLock: Sendable {
    private let fd: Int32
    private let released = LockedBox(false)

    /// Takes the lock, waiting up to `timeout` seconds.
    /// - Parameters:
    ///   - home: The home.
    ///   - timeout: How long to wait for another holder.
    /// - Throws: `home.locked` after the timeout, `io.failed` when the lock file cannot be opened.
    public convenience init(home: StackHome, timeout: Double = 30) throws {
        try self.init(lockFile: home.lockFile, timeout: timeout)
    }

    /// Takes an exclusive lock on any lock file (created 0600 when missing), waiting up to
    /// `timeout` seconds: for host-wide resources shared by every home, such as the firewall.
    /// - Parameters:
    ///   - lockFile: The lock file.
    ///   - timeout: How long to wait for another holder.
    /// - Throws: `home.locked` after the timeout, `io.failed` when the file cannot be opened.
    public init(lockFile: URL, timeout: Double = 30) throws {
        let path = lockFile.path
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard fd >= 0 else { throw AtomicFile.ioError("open lock file", path) }
        let deadline = Date().addingTimeInterval(timeout)
        while flock(fd, LOCK_EX | LOCK_NB) != 0 {
            guard errno == EWOULDBLOCK || errno == EINTR, Date() < deadline else {
                close(fd)
                throw StackError(.homeLocked, "another stackctl process holds \(path)",
                                 hint: "wait for it to finish, or stop `stackctl serve`")
            }
            usleep(20_000)
        }
        self.fd = fd
    }

    /// Runs `body` while holding the home's lock, and releases it however `body` ends.
    /// - Parameters:
    ///   - home: The home.
    ///   - body: The mutation.
    /// - Returns: What `body` returns.
    /// - Throws: `home.locked`, `io.failed`, or what `body` throws.
    public static func held<T>(_ home: StackHome, _ body: () throws -> T) throws -> T {
        let lock = try HomeLock(home: home)
        defer { lock.unlock() }
        return try body()
    }

    /// Releases the lock; calling it again does nothing.
    public func unlock() {
        let first = released.withLock { done -> Bool in
            defer { done = true }
            return !done
        }
        if first {
            flock(fd, LOCK_UN)
            close(fd)
        }
    }

    deinit { unlock() }
}
