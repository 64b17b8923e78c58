import Foundation
import StackCore

/// The `stackctl` command-line interface as a library: `stackctl`'s `@main` only calls
/// ``main()``; tests and embedders call ``run(_:environment:console:adapters:)``.
public enum StackCLI {
    /// The product version.
    public static let version = "0.1.0"

    static let groups: [CommandGroup] = [BundleCommands.group, KeysCommands.group, TrustCommands.group,
                                         ConfigCommands.group, APICommands.secretGroup, APICommands.tokenGroup,
                                         APICommands.approvalsGroup, ServeCommand.certGroup]
    static let commands: [CommandSpec] = [InitCommand.spec, DoctorCommand.spec] + StackCommands.all
        + BundleCommands.all + KeysCommands.all + TrustCommands.all + ConfigCommands.all + APICommands.all + ServeCommand.all

    /// Runs `stackctl` with the process's arguments and exits with the contract's status.
    public static func main() async -> Never {
        let level = ProcessInfo.processInfo.environment["STACK_LOG"].flatMap { name in
            Logger.Level.allCases.first { $0.description == name }
        } ?? .warning
        LoggingSystem.bootstrap(StandardErrorLogHandler(level: level))
        let status = await run(Array(CommandLine.arguments.dropFirst()),
                               environment: ProcessInfo.processInfo.environment,
                               console: StandardConsole(), adapters: .live())
        exit(status)
    }

    /// Runs one command line.
    /// - Parameters:
    ///   - arguments: The arguments after the program name.
    ///   - environment: The environment (`STACK_HOME`, `HOME`).
    ///   - console: Where output goes.
    ///   - adapters: The adapters to use.
    /// - Returns: The exit status of DESIGN §7.
    public static func run(_ arguments: [String], environment: [String: String],
                           console: any Console, adapters: Adapters) async -> Int32 {
        let json = arguments.contains("--json")
        do {
            let (line, command) = try ArgumentParser.parse(arguments, commands: commands, groups: groups)
            if line.version {
                console.out(line.json ? JSONOutput.encode(["version": version]) : "stackctl \(version)\n")
                return ExitStatus.ok.rawValue
            }
            guard let command else {
                var path = line.commandPath
                if path.first == "help" { path.removeFirst() }
                console.out(try HelpFormatter.help(for: path, commands: commands, groups: groups))
                return ExitStatus.ok.rawValue
            }
            if line.help {
                console.out(try HelpFormatter.help(for: command.path, commands: commands, groups: groups))
                return ExitStatus.ok.rawValue
            }
            try await command.run(Invocation(line: line, console: console, environment: environment,
                                             adapters: adapters))
            return ExitStatus.ok.rawValue
        } catch let reported as ReportedError {
            // The command already printed its document (which includes the error).
            if !json { report(reported.error, json: false, console: console) }
            return reported.error.exitStatus.rawValue
        } catch {
            let failure = StackError.wrap(error)
            report(failure, json: json, console: console)
            return failure.exitStatus.rawValue
        }
    }

    /// An error whose details the command already printed in its own document.
    struct ReportedError: Error {
        let error: StackError
        init(_ error: StackError) { self.error = error }
    }

    static func report(_ error: StackError, json: Bool, console: any Console) {
        if json {
            console.out(JSONOutput.error(error))
            return
        }
        var text = "error: \(error.message) [\(error.code)]\n"
        if let cause = error.cause { text += "  cause: \(cause)\n" }
        if let hint = error.hint { text += "  hint: \(hint)\n" }
        console.err(text.terminalSafe)
    }
}
