import StackCore

/// `stackctl trust add|list|remove`: stacks that run without an approval prompt.
enum TrustCommands {
    static let group = CommandGroup(name: "trust", abstract: "Manage trusted stacks (run without a prompt).")

    static let add = CommandSpec(
        path: ["trust", "add"], abstract: "Trust a stack name, signed by any trusted key or by one key.",
        arguments: [ArgumentSpec("name", help: "The stack name.")],
        options: [OptionSpec("key", value: "keyid", help: "Trust it only when signed by this publisher key.")],
        run: runAdd)
    static let list = CommandSpec(path: ["trust", "list"], abstract: "List trusted stacks.", run: runList)
    static let remove = CommandSpec(
        path: ["trust", "remove"], abstract: "Stop trusting a stack name.",
        arguments: [ArgumentSpec("name", help: "The stack name.")], run: runRemove)

    static let all = [add, list, remove]

    static func runAdd(_ invocation: Invocation) async throws {
        let home = try invocation.initializedHome()
        let rule = TrustedStacks.Rule(name: invocation.argument(0) ?? "", keyID: invocation.option("key")?.uppercased())
        if let key = rule.keyID, key.count != 16 || !key.allSatisfy(\.isHexDigit) {
            throw StackError(.usage, "--key needs a 16-hex-digit key id, not '\(key)'")
        }
        let lock = try HomeLock(home: home)
        defer { lock.unlock() }
        let added = try TrustedStacks(home: home).add(rule)
        invocation.emit(rule, text: (added ? "trusting " : "already trusting ") + "\(rule.name)"
                        + (rule.keyID.map { " when signed by \($0)" } ?? " when signed by any trusted key") + "\n")
    }

    static func runList(_ invocation: Invocation) async throws {
        let rules = try TrustedStacks(home: try invocation.initializedHome()).rules()
        invocation.emit(rules, text: rules.isEmpty ? "no trusted stacks\n"
                        : rules.map { "\($0.name)  \($0.keyID ?? "any trusted key")\n" }.joined())
    }

    static func runRemove(_ invocation: Invocation) async throws {
        let home = try invocation.initializedHome()
        let lock = try HomeLock(home: home)
        defer { lock.unlock() }
        let name = invocation.argument(0) ?? ""
        try TrustedStacks(home: home).remove(name: name)
        struct Report: Encodable { let removed: String }
        invocation.emit(Report(removed: name), text: "no longer trusting \(name)\n")
    }
}
