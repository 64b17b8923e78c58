import Foundation
import StackCLI
import StackCore
import StackSecurity
import StackTestSupport

/// The result of one in-process `stackctl` run.
struct CLIResult: Sendable {
    let status: Int32
    let stdout: String
    let stderr: String

    init(status: Int32, stdout: String, stderr: String) {
        self.status = status
        self.stdout = stdout
        self.stderr = stderr
    }

    init(_ result: ChildProcess.Result) {
        self.init(status: result.status, stdout: result.stdout, stderr: result.stderr)
    }

    /// `stdout` parsed as a JSON object.
    var json: [String: Any]? {
        (try? JSONSerialization.jsonObject(with: Data(stdout.utf8))) as? [String: Any]
    }
    /// The `error.code` of a `--json` error document.
    var errorCode: String? { (json?["error"] as? [String: Any])?["code"] as? String }
}

/// Runs `stackctl` in process with the live adapters.
func stackctl(_ arguments: [String], home: URL? = nil, environment extra: [String: String] = [:]) async -> CLIResult {
    let console = BufferConsole()
    var environment = ["HOME": "/nonexistent-home", "PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"]
    environment.merge(extra) { _, new in new }
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
func runBinary(_ arguments: [String], environment: [String: String] = [:]) async throws -> CLIResult {
    CLIResult(try await ChildProcess.run(stackctlBinary().path, arguments,
                                         environment: ProcessInfo.processInfo.environment.merging(environment) { _, new in new }))
}

/// An initialised home with one generated, trusted publisher key, for commands that
/// require signatures.
struct SignedHome {
    let tmp: TemporaryDirectory
    let home: URL
    let key: MinisignSecretKey
    let publicKeyFile: URL
    let secretKeyFile: URL

    static func make(_ label: String = "signed") async throws -> SignedHome {
        let tmp = try TemporaryDirectory(label)
        let home = tmp.path("home")
        guard await stackctl(["init"], home: home).status == 0 else { throw StackError(.internalError, "init failed") }
        let generated = await stackctl(["keys", "generate", "-o", tmp.path("publisher").path], home: home)
        guard generated.status == 0 else { throw StackError(.internalError, "keys generate failed: \(generated.stderr)") }
        let trusted = await stackctl(["keys", "trust", tmp.path("publisher.pub").path], home: home)
        guard trusted.status == 0 else { throw StackError(.internalError, "keys trust failed: \(trusted.stderr)") }
        let key = try MinisignSecretKey.load(from: tmp.path("publisher.key"))
        return SignedHome(tmp: tmp, home: home, key: key, publicKeyFile: tmp.path("publisher.pub"),
                          secretKeyFile: tmp.path("publisher.key"))
    }

    /// Signs any file (even one that would not unpack) with a trusted comment naming
    /// `stack` and `version`, writing `<file>.minisig`.
    @discardableResult
    func sign(_ file: URL, stack: String = "hello-web", version: String = "1.2.0",
              comment: String? = nil) throws -> URL {
        let digests = try OpenSSLDigester().digests(of: try BundleFile(path: file.path))
        let text = try MinisignSigner().sign(digests: digests,
                                             trustedComment: comment ?? "stack:\(stack)\tversion:\(version)",
                                             untrustedComment: "test signature", key: key)
        let signature = URL(fileURLWithPath: file.path + ".minisig")
        try Data(text.utf8).write(to: signature)
        return signature
    }

    /// Runs `stackctl` against this home.
    func run(_ arguments: [String], environment: [String: String] = [:]) async -> CLIResult {
        await stackctl(arguments, home: home, environment: environment)
    }
}
