import StackCore

/// An option a command accepts.
public struct OptionSpec: Sendable {
    /// Long name without dashes (`output`).
    public let name: String
    /// One-letter short name (`o`), if any.
    public let short: Character?
    /// Placeholder of the value (`file`); `nil` for a flag.
    public let valueName: String?
    /// One-line help.
    public let help: String

    public init(_ name: String, short: Character? = nil, value valueName: String? = nil, help: String) {
        self.name = name
        self.short = short
        self.valueName = valueName
        self.help = help
    }
}

/// A positional argument a command takes.
public struct ArgumentSpec: Sendable {
    public let name: String
    public let help: String
    public let optional: Bool
    public init(_ name: String, help: String, optional: Bool = false) {
        self.name = name
        self.help = help
        self.optional = optional
    }
}

/// A command: its words, help text, inputs and implementation.
struct CommandSpec: Sendable {
    let path: [String]
    let abstract: String
    var discussion: String? = nil
    var arguments: [ArgumentSpec] = []
    var options: [OptionSpec] = []
    let run: @Sendable (Invocation) async throws -> Void

    var usage: String {
        var parts = ["stackctl"] + path
        for argument in arguments {
            parts.append(argument.optional ? "[<\(argument.name)>]" : "<\(argument.name)>")
        }
        if !options.isEmpty { parts.append("[<options>]") }
        return parts.joined(separator: " ")
    }
}

/// A group of commands under one noun (`bundle`, `keys`).
struct CommandGroup: Sendable {
    let name: String
    let abstract: String
}

/// The global options every command accepts.
enum GlobalOptions {
    static let specs: [OptionSpec] = [
        OptionSpec("home", value: "dir", help: "Use this home instead of $STACK_HOME or ~/.stack."),
        OptionSpec("json", help: "Print one machine-readable JSON document (errors too)."),
        OptionSpec("version", help: "Print the version and exit."),
        OptionSpec("help", short: "h", help: "Show help for the command."),
    ]
}
