import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The platform layer: the C library calls whose names or behaviour differ between Linux
/// and macOS, or that clash with methods of the same name (`close`, `read`, `write`,
/// `send`, `shutdown`), in one place, so a port to another platform changes this file.
/// Every other file reaches plain POSIX (`open`, `fstat`, `flock`, …) through Foundation,
/// which re-exports the C library on both platforms, and imports no C library itself.
package enum Posix {
    /// Closes a descriptor; errors are ignored (the descriptor is gone either way).
    package static func close(_ fd: Int32) {
        #if canImport(Glibc)
        _ = Glibc.close(fd)
        #else
        _ = Darwin.close(fd)
        #endif
    }

    /// `read(2)`.
    package static func read(_ fd: Int32, _ buffer: UnsafeMutableRawPointer?, _ count: Int) -> Int {
        #if canImport(Glibc)
        Glibc.read(fd, buffer, count)
        #else
        Darwin.read(fd, buffer, count)
        #endif
    }

    /// `write(2)`.
    package static func write(_ fd: Int32, _ buffer: UnsafeRawPointer?, _ count: Int) -> Int {
        #if canImport(Glibc)
        Glibc.write(fd, buffer, count)
        #else
        Darwin.write(fd, buffer, count)
        #endif
    }

    /// `send(2)` that never raises SIGPIPE when the peer has gone (`MSG_NOSIGNAL` on Linux;
    /// macOS sets `SO_NOSIGPIPE` on the socket instead, see ``streamSocket(family:)``).
    package static func sendNoSignal(_ fd: Int32, _ buffer: UnsafeRawPointer?, _ count: Int) -> Int {
        #if canImport(Glibc)
        Glibc.send(fd, buffer, count, Int32(MSG_NOSIGNAL))
        #else
        Darwin.send(fd, buffer, count, 0)
        #endif
    }

    /// Shuts both directions of a socket down (wakes a thread blocked on it).
    package static func shutdownBoth(_ fd: Int32) {
        #if canImport(Glibc)
        _ = Glibc.shutdown(fd, Int32(SHUT_RDWR))
        #else
        _ = Darwin.shutdown(fd, SHUT_RDWR)
        #endif
    }

    /// A new TCP socket of `family` (`AF_INET`, `AF_INET6`), or -1 with `errno` set.
    package static func streamSocket(family: Int32) -> Int32 {
        #if canImport(Glibc)
        socket(family, Int32(SOCK_STREAM.rawValue), 0)
        #else
        let fd = socket(family, SOCK_STREAM, 0)
        if fd >= 0 {
            var on: Int32 = 1
            _ = setsockopt(fd, SOL_SOCKET, SO_NOSIGPIPE, &on, socklen_t(MemoryLayout<Int32>.size))
        }
        return fd
        #endif
    }

    /// A path that opens the file behind an open descriptor (`/proc/self/fd/N` on Linux,
    /// `/dev/fd/N` on macOS).
    package static func descriptorPath(_ fd: Int32) -> String {
        #if os(Linux)
        "/proc/self/fd/\(fd)"
        #else
        "/dev/fd/\(fd)"
        #endif
    }

    /// Whether nothing holds `port` on 127.0.0.1 for `proto` (`tcp` or `udp`): tries to
    /// bind it, and lets it go at once.
    /// - Returns: `false` when the address is in use (`EADDRINUSE`), `true` otherwise
    ///   (other bind errors are left to the engine to report).
    package static func isLoopbackPortFree(_ port: Int, proto: String) -> Bool {
        #if canImport(Glibc)
        let type = proto == "udp" ? Int32(SOCK_DGRAM.rawValue) : Int32(SOCK_STREAM.rawValue)
        #else
        let type = proto == "udp" ? SOCK_DGRAM : SOCK_STREAM
        #endif
        let fd = socket(AF_INET, type, 0)
        guard fd >= 0 else { return true }
        defer { close(fd) }
        if proto != "udp" {
            // Connections that just closed leave TIME_WAIT sockets on the port; they do not
            // stop a server (docker-proxy sets SO_REUSEADDR too), so they must not stop us.
            // A live listener still makes `listen` fail below.
            var on: Int32 = 1
            _ = setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, socklen_t(MemoryLayout<Int32>.size))
        }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard result == 0 else { return errno != EADDRINUSE }
        if proto != "udp", listen(fd, 1) != 0 { return errno != EADDRINUSE }
        return true
    }

    /// A file's inode, size and modification time in nanoseconds, links followed; `nil`
    /// when it cannot be examined.
    package static func fileStamp(_ path: String) -> (inode: UInt64, size: Int64, modified: Int64)? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        #if os(Linux)
        let time = info.st_mtim
        #else
        let time = info.st_mtimespec
        #endif
        return (UInt64(info.st_ino), Int64(info.st_size), Int64(time.tv_sec) * 1_000_000_000 + Int64(time.tv_nsec))
    }

    /// Sends small writes at once on a TCP socket (`TCP_NODELAY`: no Nagle delay).
    package static func setNoDelay(_ fd: Int32) {
        var on: Int32 = 1
        _ = setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &on, socklen_t(MemoryLayout<Int32>.size))
    }
}
