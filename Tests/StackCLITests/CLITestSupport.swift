import Foundation
import StackCLI
import StackCore
import StackTestSupport

/// The result of one in-process `stackctl` run.
struct CLIResult {
    let status: Int32
    let stdout: String
    let stderr: String

    /// `stdout` parsed as a JSON object.
    var json: [String: Any]? {
        (try? JSONSerialization.jsonObject(with: Data(stdout.utf8))) as? [String: Any]
    }
    /// The `error.code` of a `--json` error document.
    var errorCode: String? { (json?["error"] as? [String: Any])?["code"] as? String }
}

/// Runs `stackctl` in process with the live adapters.
func stackctl(_ arguments: [String], home: URL? = nil) async -> CLIResult {
    let console = BufferConsole()
    var environment = ["HOME": "/nonexistent-home"]
    if let home { environment["STACK_HOME"] = home.path }
    let status = await StackCLI.run(arguments, environment: environment, console: console, adapters: .live())
    return CLIResult(status: status, stdout: console.stdout, stderr: console.stderr)
}

/// The built `stackctl` binary, beside the test bundle.
func stackctlBinary() -> URL {
    let testBinary = URL(fileURLWithPath: CommandLine.arguments[0]).standardizedFileURL
    var directory = testBinary.deletingLastPathComponent()
    while directory.path != "/" {
        let candidate = directory.appendingPathComponent("stackctl")
        if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
        directory = directory.deletingLastPathComponent()
    }
    return URL(fileURLWithPath: ".build/debug/stackctl")
}

/// Runs the real `stackctl` binary as a child process.
func runBinary(_ arguments: [String], environment: [String: String] = [:]) throws -> CLIResult {
    let process = Process()
    process.executableURL = stackctlBinary()
    process.arguments = arguments
    process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
    let out = Pipe()
    let err = Pipe()
    process.standardOutput = out
    process.standardError = err
    try process.run()
    let stdout = out.fileHandleForReading.readDataToEndOfFile()
    let stderr = err.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return CLIResult(status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self),
                     stderr: String(decoding: stderr, as: UTF8.self))
}
