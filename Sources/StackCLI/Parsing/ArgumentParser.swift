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
                    let names = commands.filter { $0.path.first == first }.compactMap { $0.path.dropFirst().first }
                    throw usage("unknown command 'stackctl \(rest.prefix(2).joined(separator: " "))'"
                                + suggestion(rest[1], among: names, prefix: "stackctl \(first) "),
                                command: [first])
                }
                parsed.commandPath = words
                return (parsed, nil)
            }
            if let first = rest.first, first != "help" {
                if let nested = commands.first(where: { $0.path.count == 2 && $0.path[1] == first }) {
                    throw usage("unknown command '\(first)'; did you mean 'stackctl \(nested.path.joined(separator: " "))'?")
                }
                let names = Set(commands.compactMap(\.path.first) + groups.map(\.name)).sorted()
                throw usage("unknown command '\(first)'" + suggestion(first, among: names, prefix: "stackctl "))
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
                    throw usage("unknown option '\(argument)' for 'stackctl \(command.path.joined(separator: " "))'",
                                command: command.path)
                }
                name = spec.name
            }
            guard let spec = command.options.first(where: { $0.name == name }) else {
                throw usage("unknown option '--\(name)' for 'stackctl \(command.path.joined(separator: " "))'"
                            + suggestion(name, among: command.options.map(\.name), prefix: "--"), command: command.path)
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
                throw usage("missing <\(missing.name)> for 'stackctl \(command.path.joined(separator: " "))'",
                            command: command.path)
            }
            if parsed.positionals.count > command.arguments.count {
                throw usage("unexpected argument '\(parsed.positionals[command.arguments.count])'", command: command.path)
            }
        }
        return (parsed, command)
    }

    /// A usage error (exit 2); its hint points at the command's own help when known.
    static func usage(_ message: String, command: [String] = []) -> StackError {
        StackError(.usage, message, hint: "see `stackctl help\(command.isEmpty ? "" : " " + command.joined(separator: " "))`")
    }

    /// `; did you mean 'stackctl run'?` when a known name is close to `word` (an edit
    /// distance of at most 2, or one is a prefix of the other), else nothing.
    static func suggestion(_ word: String, among names: [String], prefix: String) -> String {
        let scored = names.map { ($0, distance(word.lowercased(), $0)) }
            .filter { $0.1 <= 2 || ($0.0.hasPrefix(word.lowercased()) && word.count >= 2) }
            .sorted { ($0.1, $0.0) < ($1.1, $1.0) }
        guard let best = scored.first else { return "" }
        return "; did you mean '\(prefix)\(best.0)'?"
    }

    /// The edit distance between two short words, an adjacent swap counting as one edit
    /// (`rnu` is one edit from `run`).
    static func distance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var d = Array(repeating: Array(repeating: 0, count: b.count + 1), count: a.count + 1)
        for i in 0...a.count { d[i][0] = i }
        for j in 0...b.count { d[0][j] = j }
        for i in 1...a.count {
            for j in 1...b.count {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                d[i][j] = min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost)
                if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] {
                    d[i][j] = min(d[i][j], d[i - 2][j - 2] + 1)
                }
            }
        }
        return d[a.count][b.count]
    }
}
