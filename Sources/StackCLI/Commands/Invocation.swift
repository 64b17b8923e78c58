import Foundation
import StackCore

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
        if json { console.out(JSONOutput.encode(document)) } else { console.out(text()) }
    }

    /// Limits from the home's config when it has one, else the defaults.
    func limits() throws -> BundleLimits {
        home.isInitialized ? try StackConfig.load(from: home).limits : .default
    }
}
