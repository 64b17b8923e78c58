import Foundation
import StackCore

extension Docker {
    /// The result of a finished child process.
    public struct ProcessResult: Sendable {
        public var status: Int32
        public var stdout: [UInt8]
        public var stderr: [UInt8]
        /// Standard output as text.
        public var output: String { String(decoding: stdout, as: UTF8.self) }
        /// Standard error as text.
        public var errorOutput: String { String(decoding: stderr, as: UTF8.self) }
    }

    /// Runs child processes with `posix_spawn`, resetting the signal mask and dispositions
    /// (a child spawned from a Swift concurrency thread would otherwise inherit blocked
    /// SIGTERM/SIGINT and could not be stopped), on a thread of its own so the blocking
    /// wait never occupies the cooperative pool.
    public enum Subprocess {
        /// Runs `arguments[0]` (searched in `PATH` when it has no `/`) to completion.
        /// - Parameters:
        ///   - arguments: Program and arguments.
        ///   - environment: The child's environment.
        ///   - timeout: Seconds before the child is killed (SIGTERM, then SIGKILL).
        /// - Returns: Exit status (128+signal when killed) and captured output.
        /// - Throws: `io.not_found` when the program does not exist, `io.failed` on spawn errors.
        public static func run(_ arguments: [String], environment: [String: String],
                               timeout: Double = 600) async throws -> ProcessResult {
            try await withCheckedThrowingContinuation { continuation in
                let thread = Thread {
                    continuation.resume(with: Result { try runBlocking(arguments, environment: environment, timeout: timeout) })
                }
                thread.stackSize = 1 << 20
                thread.start()
            }
        }

        /// Finds `name` in `PATH`.
        /// - Returns: The absolute path, or `nil`.
        public static func which(_ name: String, environment: [String: String]) -> String? {
            if name.contains("/") { return FileManager.default.isExecutableFile(atPath: name) ? name : nil }
            let path = environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin:/usr/local/sbin:/usr/sbin:/sbin"
            for dir in path.split(separator: ":") {
                let candidate = "\(dir)/\(name)"
                if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            }
            return nil
        }

        static func runBlocking(_ arguments: [String], environment: [String: String], timeout: Double) throws -> ProcessResult {
            guard let program = arguments.first, let executable = which(program, environment: environment) else {
                throw StackError(.fileNotFound, "\(arguments.first ?? "") was not found in PATH")
            }
            var outPipe: [Int32] = [0, 0]
            var errPipe: [Int32] = [0, 0]
            guard pipe(&outPipe) == 0, pipe(&errPipe) == 0 else {
                throw AtomicFile.ioError("create a pipe for", executable)
            }
            // Close-on-exec, so no other child spawned meanwhile inherits these ends.
            for fd in outPipe + errPipe { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
            var actions = posix_spawn_file_actions_t()
            posix_spawn_file_actions_init(&actions)
            defer { posix_spawn_file_actions_destroy(&actions) }
            posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
            posix_spawn_file_actions_adddup2(&actions, outPipe[1], 1)
            posix_spawn_file_actions_adddup2(&actions, errPipe[1], 2)
            var attributes = posix_spawnattr_t()
            posix_spawnattr_init(&attributes)
            defer { posix_spawnattr_destroy(&attributes) }
            var empty = sigset_t()
            sigemptyset(&empty)
            posix_spawnattr_setsigmask(&attributes, &empty)
            var defaults = sigset_t()
            sigemptyset(&defaults)
            for signal in [SIGTERM, SIGINT, SIGHUP, SIGPIPE, SIGQUIT, SIGCHLD] { sigaddset(&defaults, signal) }
            posix_spawnattr_setsigdefault(&attributes, &defaults)
            posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP))
            posix_spawnattr_setpgroup(&attributes, 0)

            let argv = arguments.map { strdup($0) } + [nil]
            let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
            defer {
                argv.forEach { free($0) }
                envp.forEach { free($0) }
            }
            var pid: pid_t = 0
            let spawned = posix_spawn(&pid, executable, &actions, &attributes, argv, envp)
            close(outPipe[1])
            close(errPipe[1])
            guard spawned == 0 else {
                close(outPipe[0]); close(errPipe[0])
                throw StackError(.ioFailed, "cannot start \(executable): \(String(cString: strerror(spawned)))")
            }
            var stdout: [UInt8] = []
            var stderr: [UInt8] = []
            let deadline = Date().addingTimeInterval(timeout)
            var open = [outPipe[0], errPipe[0]]
            var killedAt: Date?
            var buffer = [UInt8](repeating: 0, count: 65_536)
            while !open.isEmpty {
                var fds = open.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
                let ready = poll(&fds, nfds_t(fds.count), 200)
                if ready < 0 && errno != EINTR { break }
                for entry in fds where entry.revents != 0 {
                    let n = buffer.withUnsafeMutableBytes { read(entry.fd, $0.baseAddress, $0.count) }
                    if n > 0 {
                        if entry.fd == outPipe[0] { stdout += buffer[0..<n] } else { stderr += buffer[0..<n] }
                    } else if n == 0 || (errno != EINTR && errno != EAGAIN) {
                        close(entry.fd)
                        open.removeAll { $0 == entry.fd }
                    }
                }
                if Date() > deadline {
                    if killedAt == nil {
                        kill(-pid, SIGTERM)
                        killedAt = Date()
                    } else if let at = killedAt, Date().timeIntervalSince(at) > 5 {
                        kill(-pid, SIGKILL)
                    }
                }
            }
            var status: Int32 = 0
            while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
            let exited = (status & 0x7F) == 0
            let code = exited ? (status >> 8) & 0xFF : 128 + (status & 0x7F)
            if killedAt != nil {
                stderr += Array("\n[stack-desktop: killed after \(Int(timeout)) s]\n".utf8)
            }
            return ProcessResult(status: code, stdout: stdout, stderr: stderr)
        }
    }
}
