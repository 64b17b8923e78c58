import Foundation
import StackCore
#if canImport(Glibc)
import Glibc
#endif

/// Runs a real program to completion for a test: `input` on stdin (then EOF), stdout and
/// stderr collected through files (a chatty child can never block on a full pipe), and
/// SIGKILL at the time bound (SIGTERM may be blocked in a child spawned from a Swift
/// concurrency thread). `run` waits on a thread of its own; `runBlocking` is for
/// synchronous contexts.
public enum ChildProcess {
    /// Exit status and output.
    public struct Result: Sendable {
        public var status: Int32
        public var stdout: String
        public var stderr: String
    }

    /// Runs `executable arguments`.
    /// - Parameters:
    ///   - executable: Absolute path of the program.
    ///   - arguments: Its arguments.
    ///   - directory: Working directory, or the test's own.
    ///   - environment: The child's whole environment, or the test's.
    ///   - input: Bytes written to stdin before it is closed.
    ///   - timeout: When the child is killed and an error thrown.
    /// - Returns: Status and output.
    /// - Throws: When the program cannot start or outlives `timeout`.
    public static func run(_ executable: String, _ arguments: [String], directory: URL? = nil,
                           environment: [String: String]? = nil, input: Data = Data(),
                           timeout: Duration = .seconds(120)) async throws -> Result {
        try await onOwnThread {
            try runBlocking(executable, arguments, directory: directory, environment: environment,
                            input: input, timeout: timeout)
        }
    }

    /// The blocking form of ``run(_:_:directory:environment:input:timeout:)``.
    public static func runBlocking(_ executable: String, _ arguments: [String], directory: URL? = nil,
                                   environment: [String: String]? = nil, input: Data = Data(),
                                   timeout: Duration = .seconds(120)) throws -> Result {
        let scratch = try TemporaryDirectory("child")
        let outURL = scratch.path("stdout")
        let errURL = scratch.path("stderr")
        _ = FileManager.default.createFile(atPath: outURL.path, contents: nil)
        _ = FileManager.default.createFile(atPath: errURL.path, contents: nil)
        let out = try FileHandle(forWritingTo: outURL)
        let err = try FileHandle(forWritingTo: errURL)
        defer {
            try? out.close()
            try? err.close()
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if let directory { process.currentDirectoryURL = directory }
        if let environment { process.environment = environment }
        let stdin = Pipe()
        process.standardInput = stdin
        process.standardOutput = out
        process.standardError = err
        try process.run()
        try? stdin.fileHandleForWriting.write(contentsOf: input)   // a child may exit without reading
        try? stdin.fileHandleForWriting.close()
        let deadline = ContinuousClock.now + timeout
        while process.isRunning {
            if ContinuousClock.now > deadline {
                kill(process.processIdentifier, SIGKILL)
                process.waitUntilExit()
                throw StackError(.internalError, "\(executable) \(arguments.joined(separator: " ")) did not finish within \(timeout)")
            }
            usleep(5_000)
        }
        process.waitUntilExit()
        return Result(status: process.terminationStatus,
                      stdout: String(decoding: (try? Data(contentsOf: outURL)) ?? Data(), as: UTF8.self),
                      stderr: String(decoding: (try? Data(contentsOf: errURL)) ?? Data(), as: UTF8.self))
    }
}
