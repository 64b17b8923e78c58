import Foundation
import StackCore

/// `stackctl config get|set KEY [VALUE]`.
enum ConfigCommands {
    static let group = CommandGroup(name: "config", abstract: "Read and change settings (config.json).")

    static let get = CommandSpec(
        path: ["config", "get"], abstract: "Print a setting (or every setting) as JSON.",
        arguments: [ArgumentSpec("key", help: "A dotted key such as catalog.origins or limits.maxEntries.", optional: true)],
        run: runGet)
    static let set = CommandSpec(
        path: ["config", "set"], abstract: "Change a setting.",
        discussion: "VALUE is JSON when it parses as JSON (8080, true, [\"https://a\"]), else a string. The whole configuration is validated before it is written; unknown keys and wrong types are refused.",
        arguments: [ArgumentSpec("key", help: "A dotted key."), ArgumentSpec("value", help: "The new value.")],
        run: runSet)

    static let all = [get, set]

    static func document(_ home: StackHome) throws -> [String: Any] {
        let config = try StackConfig.load(from: home)
        guard let object = try JSONSerialization.jsonObject(with: config.encoded()) as? [String: Any] else {
            throw StackError(.internalError, "the configuration did not encode as an object")
        }
        return object
    }

    static func lookup(_ object: [String: Any], _ path: [String], key: String) throws -> Any {
        var current: Any = object
        for part in path {
            guard let dict = current as? [String: Any], let next = dict[part] else {
                throw StackError(.configInvalid, "unknown setting '\(key)'", hint: "`stackctl config get` lists every setting")
            }
            current = next
        }
        return current
    }

    static func json(_ value: Any) throws -> String {
        let data = try JSONSerialization.data(withJSONObject: value,
                                              options: [.prettyPrinted, .sortedKeys, .fragmentsAllowed, .withoutEscapingSlashes])
        return String(decoding: data, as: UTF8.self) + "\n"
    }

    static func runGet(_ invocation: Invocation) async throws {
        let home = try invocation.initializedHome()
        let object = try document(home)
        let key = invocation.argument(0)
        let value = try key.map { try lookup(object, $0.split(separator: ".").map(String.init), key: $0) } ?? object
        invocation.console.out(try json(value))
    }

    static func runSet(_ invocation: Invocation) async throws {
        let home = try invocation.initializedHome()
        let key = invocation.argument(0) ?? ""
        let raw = invocation.argument(1) ?? ""
        let value: Any = (try? JSONSerialization.jsonObject(with: Data(raw.utf8), options: [.fragmentsAllowed])) ?? raw
        let lock = try HomeLock(home: home)
        defer { lock.unlock() }
        var object = try document(home)
        let path = key.split(separator: ".").map(String.init)
        _ = try lookup(object, path, key: key)
        func assign(_ dict: inout [String: Any], _ path: ArraySlice<String>) {
            guard let first = path.first else { return }
            if path.count == 1 { dict[first] = value; return }
            var child = dict[first] as? [String: Any] ?? [:]
            assign(&child, path.dropFirst())
            dict[first] = child
        }
        assign(&object, path[...])
        let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
        let config = try StackConfig.decode(data, source: "config set \(key)")
        if key == "api.port", !(1...65535).contains(config.api.port) {
            throw StackError(.configInvalid, "api.port must be between 1 and 65535")
        }
        if key == "approval.mode", !["prompt", "deny"].contains(config.approval.mode) {
            throw StackError(.configInvalid, "approval.mode must be prompt or deny")
        }
        try AtomicFile.write(Array(config.encoded()), to: home.configFile, mode: 0o600)
        invocation.console.out(invocation.json ? try json([key: value]) : "\(key) = \(try json(value))")
    }
}
