import StackCore

/// Help in the familiar OVERVIEW / USAGE / ARGUMENTS / OPTIONS / SUBCOMMANDS layout.
enum HelpFormatter {
    static func help(for path: [String], commands: [CommandSpec], groups: [CommandGroup]) throws -> String {
        if path.isEmpty { return root(commands: commands, groups: groups) }
        if let command = commands.first(where: { $0.path == path }) { return help(command) }
        if path.count == 1, let group = groups.first(where: { $0.name == path[0] }) {
            let members = commands.filter { $0.path.first == group.name && $0.path.count > 1 }
            var text = "OVERVIEW: \(group.abstract)\n\nUSAGE: stackctl \(group.name) <subcommand>\n\n"
            text += options(GlobalOptions.specs)
            text += "SUBCOMMANDS:\n"
            for member in members {
                text += row(member.path.dropFirst().joined(separator: " "), member.abstract)
            }
            text += "\n  See 'stackctl help \(group.name) <subcommand>' for detailed help.\n"
            return text
        }
        throw StackError(.usage, "no help for unknown command '\(path.joined(separator: " "))'",
                         hint: "see `stackctl help`")
    }

    static func root(commands: [CommandSpec], groups: [CommandGroup]) -> String {
        var text = """
            OVERVIEW: Run the software stacks a catalog offers, verified and isolated.

            USAGE: stackctl [--home <dir>] [--json] <subcommand>


            """
        text += options(GlobalOptions.specs)
        text += "SUBCOMMANDS:\n"
        for command in commands where command.path.count == 1 {
            text += row(command.path[0], command.abstract)
        }
        for group in groups { text += row(group.name, group.abstract) }
        text += row("help", "Show help for a command.")
        text += """

              See 'stackctl help <subcommand>' for detailed help.

            EXIT CODES:
              0 ok, 1 failure, 2 usage, 3 verification failed, 4 rejected by policy or scan,
              5 runtime/Docker error, 6 declined by user, 7 authentication.

            """
        return text
    }

    static func help(_ command: CommandSpec) -> String {
        var text = "OVERVIEW: \(command.abstract)\n"
        if let discussion = command.discussion { text += "\n\(wrap(discussion, width: 88))\n" }
        text += "\nUSAGE: \(command.usage)\n\n"
        if !command.arguments.isEmpty {
            text += "ARGUMENTS:\n"
            for argument in command.arguments { text += row("<\(argument.name)>", argument.help) }
            text += "\n"
        }
        text += options(command.options + GlobalOptions.specs)
        return text
    }

    static func options(_ specs: [OptionSpec]) -> String {
        var text = "OPTIONS:\n"
        for spec in specs {
            var label = spec.short.map { "-\($0), " } ?? ""
            label += "--\(spec.name)"
            if let value = spec.valueName { label += " <\(value)>" }
            text += row(label, spec.help)
        }
        return text + "\n"
    }

    /// Wraps text at word boundaries.
    static func wrap(_ text: String, width: Int) -> String {
        var lines: [String] = []
        var line = ""
        for word in text.split(separator: " ", omittingEmptySubsequences: true) {
            if !line.isEmpty && line.count + 1 + word.count > width {
                lines.append(line)
                line = String(word)
            } else {
                line += line.isEmpty ? String(word) : " " + word
            }
        }
        if !line.isEmpty { lines.append(line) }
        return lines.joined(separator: "\n")
    }

    static func row(_ label: String, _ help: String) -> String {
        let padded = "  " + label
        if padded.count >= 26 { return padded + "\n" + String(repeating: " ", count: 26) + help + "\n" }
        return padded.rightPadded(26) + help + "\n"
    }
}
