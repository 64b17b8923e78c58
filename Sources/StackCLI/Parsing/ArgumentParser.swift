import StackCore

/// The parsed command line of one invocation.
struct ParsedCommandLine {
    var commandPath: [String] = []
    var positionals: [String] = []
    var options: [String: String] = [:]
    var flags: Set<String> = []
    var home: String?
    var json = false
    var help = false
    var version = false
}

/// A small, strict parser: `--name value`, `--name=value`, `-o value`, flags, `--` to end
/// options. Unknown options and missing values are usage errors (exit 2).
enum ArgumentParser {
    static func parse(_ arguments: [String], commands: [CommandSpec], groups: [CommandGroup]) throws -> (ParsedCommandLine, CommandSpec?) {
        var parsed = ParsedCommandLine()
        // First the words that name a command (longest match), skipping global options.
        var words: [String] = []
        var index = 0
        var rest: [String] = []
        while index < arguments.count {
            let argument = arguments[index]
            if argument == "--home" {
                guard index + 1 < arguments.count else { throw usage("--home needs a value") }
                parsed.home = arguments[index + 1]
                index += 2
                continue
            }
            if argument.hasPrefix("--home=") { parsed.home = String(argument.dropFirst(7)); index += 1; continue }
            if argument == "--json" { parsed.json = true; index += 1; continue }
            if argument == "--version" { parsed.version = true; index += 1; continue }
            if argument == "--help" || argument == "-h" { parsed.help = true; index += 1; continue }
            rest.append(argument)
            index += 1
        }
        var command: CommandSpec?
        var consumed = 0
        for length in stride(from: min(3, rest.count), through: 1, by: -1) {
            let candidate = Array(rest.prefix(length))
            if let match = commands.first(where: { $0.path == candidate }) {
                command = match
                consumed = length
                break
            }
        }
        if command == nil {
            // A group name alone (or nothing) is a help request for the group.
            if let first = rest.first, groups.contains(where: { $0.name == first }) {
                words = [first]
                if rest.count > 1, !rest[1].hasPrefix("-") {
                    throw usage("unknown command 'stackctl \(rest.prefix(2).joined(separator: " "))'")
                }
                parsed.commandPath = words
                return (parsed, nil)
            }
            if let first = rest.first, first != "help" {
                throw usage("unknown command '\(first)'")
            }
            parsed.commandPath = rest
            return (parsed, nil)
        }
        guard let command else { return (parsed, nil) }
        parsed.commandPath = command.path
        var tail = Array(rest.dropFirst(consumed))
        var onlyPositionals = false
        while !tail.isEmpty {
            let argument = tail.removeFirst()
            if onlyPositionals || !argument.hasPrefix("-") || argument == "-" {
                parsed.positionals.append(argument)
                continue
            }
            if argument == "--" { onlyPositionals = true; continue }
            var name: String
            var inlineValue: String?
            if argument.hasPrefix("--") {
                name = String(argument.dropFirst(2))
                if let eq = name.firstIndex(of: "=") {
                    inlineValue = String(name[name.index(after: eq)...])
                    name = String(name[..<eq])
                }
            } else {
                guard argument.count == 2, let letter = argument.last,
                      let spec = command.options.first(where: { $0.short == letter }) else {
                    throw usage("unknown option '\(argument)' for 'stackctl \(command.path.joined(separator: " "))'")
                }
                name = spec.name
            }
            guard let spec = command.options.first(where: { $0.name == name }) else {
                throw usage("unknown option '--\(name)' for 'stackctl \(command.path.joined(separator: " "))'")
            }
            if spec.valueName != nil {
                let value: String
                if let inlineValue { value = inlineValue } else {
                    guard !tail.isEmpty else { throw usage("option '--\(name)' needs a value") }
                    value = tail.removeFirst()
                }
                guard parsed.options[name] == nil else { throw usage("option '--\(name)' is given twice") }
                parsed.options[name] = value
            } else {
                guard inlineValue == nil else { throw usage("option '--\(name)' takes no value") }
                parsed.flags.insert(name)
            }
        }
        if !parsed.help && !parsed.version {
            let required = command.arguments.filter { !$0.optional }.count
            if parsed.positionals.count < required {
                let missing = command.arguments[parsed.positionals.count]
                throw usage("missing <\(missing.name)> for 'stackctl \(command.path.joined(separator: " "))'")
            }
            if parsed.positionals.count > command.arguments.count {
                throw usage("unexpected argument '\(parsed.positionals[command.arguments.count])'")
            }
        }
        return (parsed, command)
    }

    static func usage(_ message: String) -> StackError {
        StackError(.usage, message, hint: "see `stackctl help`")
    }
}
