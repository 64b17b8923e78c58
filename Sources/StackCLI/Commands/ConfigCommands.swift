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

    /// VALUE for KEY, typed by the setting's current value: a list takes one item or a
    /// JSON list, a switch takes true/false (on/off, yes/no), a number must be one, a word
    /// setting must be one of its words, a text setting takes the text as written.
    static func typed(_ raw: String, for key: String, current: Any) throws -> Any {
        let parsed = try? JSONSerialization.jsonObject(with: Data(raw.utf8), options: [.fragmentsAllowed])
        if let words = StackConfig.enumValues[key] {
            let word = (parsed as? String) ?? raw
            guard words.contains(word) else {
                throw StackError(.configInvalid, "\(key) must be one of \(words.joined(separator: ", ")), not '\(raw)'",
                                 hint: "for example `stackctl config set \(key) \(words[0])`")
            }
            return word
        }
        func isBoolean(_ value: Any?) -> Bool {
            guard let value, let token = try? json(value).trimmingCharacters(in: .whitespacesAndNewlines) else { return false }
            return token == "true" || token == "false"
        }
        switch current {
        case is [Any]:
            if let list = parsed as? [Any] { return list }
            return [(parsed as? String) ?? raw]
        case _ where isBoolean(current):
            switch raw.lowercased() {
            case "true", "on", "yes", "1": return true
            case "false", "off", "no", "0": return false
            default:
                throw StackError(.configInvalid, "\(key) is true or false, not '\(raw)'",
                                 hint: "`stackctl config set \(key) true`")
            }
        case is NSNumber:
            guard let number = parsed as? NSNumber, !isBoolean(parsed) else {
                throw StackError(.configInvalid, "\(key) needs a number, not '\(raw)'",
                                 hint: "`stackctl config get \(key)` shows the current value")
            }
            return number
        case is String:
            return (parsed as? String) ?? raw
        case is [String: Any]:
            guard let object = parsed as? [String: Any] else {
                throw StackError(.configInvalid, "\(key) is a group of settings; set one of its keys",
                                 hint: "`stackctl config get \(key)` lists them")
            }
            return object
        default:
            return parsed ?? raw
        }
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
        let lock = try HomeLock(home: home)
        defer { lock.unlock() }
        var object = try document(home)
        let path = key.split(separator: ".").map(String.init)
        let value = try typed(raw, for: key, current: try lookup(object, path, key: key))
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
        try AtomicFile.write(Array(config.encoded()), to: home.configFile, mode: 0o600)
        invocation.console.out(invocation.json ? try json([key: value]) : "\(key) = \(try json(value))")
    }
}
