import Foundation
import StackCore
import StackSecurity

/// Everything a command needs: its parsed inputs, the console, the environment and the
/// adapters built by the composition root.
struct Invocation: Sendable {
    let line: ParsedCommandLine
    let console: any Console
    let environment: [String: String]
    let adapters: Adapters

    var json: Bool { line.json }
    var home: StackHome { StackHome.resolve(override: line.home, environment: environment) }

    func argument(_ index: Int) -> String? {
        index < line.positionals.count ? line.positionals[index] : nil
    }
    func option(_ name: String) -> String? { line.options[name] }
    func flag(_ name: String) -> Bool { line.flags.contains(name) }

    /// A required option's value.
    func require(_ name: String) throws -> String {
        guard let value = option(name) else {
            throw StackError(.usage, "'stackctl \(line.commandPath.joined(separator: " "))' needs --\(name)",
                             hint: "see `stackctl help \(line.commandPath.joined(separator: " "))`")
        }
        return value
    }

    /// Resolves a user-given path against the working directory.
    func url(_ path: String) -> URL {
        URL(fileURLWithPath: path, relativeTo: URL(fileURLWithPath: FileManager.default.currentDirectoryPath))
            .standardizedFileURL
    }

    /// Prints the JSON document with `--json`, else the text.
    func emit(_ document: some Encodable, text: @autoclosure () -> String) {
        // Text can hold what a bundle, a request or a container wrote: made terminal-safe.
        if json { console.out(JSONOutput.encode(document)) } else { console.out(text().terminalSafe) }
    }

    /// Limits from the home's config when it has one, else the defaults.
    func isolation() throws -> IsolationPolicy {
        try StackConfig.load(from: try initializedHome()).isolation
    }

    func limits() throws -> BundleLimits {
        home.isInitialized ? try StackConfig.load(from: home).limits : .default
    }
}

extension Invocation {
    /// The home, which must have been initialised.
    func initializedHome() throws -> StackHome {
        let home = home
        try home.requireInitialized()
        return home
    }

    /// The home's settings (defaults when not initialised).
    func config() throws -> StackConfig {
        home.isInitialized ? try StackConfig.load(from: home) : StackConfig()
    }

    /// The publisher keyring of the home.
    func keyring() throws -> MinisignKeyring {
        MinisignKeyring(directory: try initializedHome().trustedKeysDirectory)
    }

    /// Checksum, signature (`--sig F`, else `FILE.minisig`) and downgrade options.
    func verificationOptions(bundlePath: String) throws -> VerificationOptions {
        let signaturePath = option("sig").map { url($0).path } ?? bundlePath + ".minisig"
        var signature: [UInt8]?
        if FileManager.default.fileExists(atPath: signaturePath) {
            guard let data = FileManager.default.contents(atPath: signaturePath), data.count <= 1 << 16 else {
                throw StackError(.signatureMalformed, "cannot read the signature \(signaturePath) (or it is over 64 KiB)")
            }
            signature = [UInt8](data)
        } else if option("sig") != nil {
            throw StackError(.signatureMissing, "the signature file \(signaturePath) does not exist")
        }
        return VerificationOptions(announcedSHA256: option("sha256"), signature: signature,
                                   signatureSource: signaturePath, allowDowngrade: flag("allow-downgrade"))
    }

    /// The install pipeline and the lifecycle over the live adapters, sharing one runtime
    /// registry: the composition root of every command that runs stacks.
    /// - Parameter prompter: Who approves (the terminal prompt unless given).
    /// - Returns: The installer and the runner.
    func stacks(prompter: (any ApprovalPrompter)? = nil) throws -> (installer: StackInstaller, runner: StackRunner) {
        let home = try initializedHome()
        let config = try StackConfig.load(from: home)
        let runtimes = try adapters.runtimes(home, environment, config.isolation)
        let planner = StackPlanner(policy: config.isolation)
        let store = FileStateStore(home: home)
        let installer = StackInstaller(home: home, workflow: adapters.bundleWorkflow(), digester: adapters.digester,
                                       verifier: try keyring().verifier(allowLegacy: false), planner: planner,
                                       runtimes: runtimes, prompter: prompter ?? adapters.prompter(console),
                                       store: store, limits: config.limits, approvalMode: config.approval.mode)
        let runner = StackRunner(home: home, workflow: adapters.bundleWorkflow(), planner: planner, runtimes: runtimes,
                                 store: store)
        return (installer, runner)
    }

    /// The install pipeline alone, for `bundle verify` and `bundle unpack` (no runtime is
    /// reached).
    func installer() throws -> StackInstaller {
        let home = try initializedHome()
        let config = try StackConfig.load(from: home)
        return StackInstaller(home: home, workflow: adapters.bundleWorkflow(), digester: adapters.digester,
                              verifier: try keyring().verifier(allowLegacy: false),
                              planner: StackPlanner(policy: config.isolation), runtimes: RuntimeRegistry(),
                              prompter: adapters.prompter(console), store: FileStateStore(home: home),
                              limits: config.limits, approvalMode: config.approval.mode)
    }

    /// The lifecycle over the live adapters.
    func runner() throws -> StackRunner { try stacks().runner }
}
