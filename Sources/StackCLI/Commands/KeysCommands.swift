import Foundation
import StackCore
import StackSecurity

/// `stackctl keys generate|trust|list|untrust`.
enum KeysCommands {
    static let group = CommandGroup(name: "keys", abstract: "Generate publisher keys and manage the trusted ones.")

    static let generate = CommandSpec(
        path: ["keys", "generate"],
        abstract: "Generate a publisher key pair in minisign's formats.",
        discussion: "Writes PREFIX.pub (public key) and PREFIX.key (unencrypted secret key, mode 0600). Both work with the minisign tool. Existing files are never overwritten.",
        options: [OptionSpec("output", short: "o", value: "prefix", help: "Path prefix of the two files."),
                  OptionSpec("comment", value: "text", help: "Untrusted comment of the public key file.")],
        run: runGenerate)

    static let trust = CommandSpec(
        path: ["keys", "trust"],
        abstract: "Trust a publisher's public key (minisign format).",
        arguments: [ArgumentSpec("pubfile", help: "The publisher's .pub file.")],
        run: runTrust)

    static let list = CommandSpec(path: ["keys", "list"], abstract: "List the trusted publisher keys.", run: runList)

    static let untrust = CommandSpec(
        path: ["keys", "untrust"], abstract: "Stop trusting a publisher key.",
        arguments: [ArgumentSpec("keyid", help: "The key id (16 hex digits), as `keys list` shows it.")],
        run: runUntrust)

    static let all = [generate, trust, list, untrust]

    struct KeyReport: Encodable {
        let keyId: String
        let publicKey: String
        let file: String?
    }

    static func runGenerate(_ invocation: Invocation) async throws {
        let prefix = invocation.url(try invocation.require("output")).path
        let pub = URL(fileURLWithPath: prefix + ".pub")
        let key = URL(fileURLWithPath: prefix + ".key")
        for file in [pub, key] where FileManager.default.fileExists(atPath: file.path) {
            throw StackError(.destinationExists, "\(file.path) already exists", hint: "choose another prefix")
        }
        let (publicKey, secretKey) = try MinisignKeyring.generateKeyPair(
            untrustedComment: invocation.option("comment") ?? "stack desktop publisher key")
        try secretKey.writeUnencrypted(to: key)
        do {
            try AtomicFile.write(Array(publicKey.fileContents.utf8), to: pub, mode: 0o644)
        } catch {
            try? FileManager.default.removeItem(at: key)
            throw error
        }
        invocation.emit(KeyReport(keyId: publicKey.keyID, publicKey: publicKey.base64, file: pub.path),
                        text: "generated key \(publicKey.keyID)\n  public key: \(pub.path)\n  secret key: \(key.path) (keep it private)\n")
    }

    static func runTrust(_ invocation: Invocation) async throws {
        let path = invocation.url(invocation.argument(0) ?? "").path
        guard let data = FileManager.default.contents(atPath: path) else {
            throw StackError(.fileNotFound, "cannot read \(path)")
        }
        let key = try MinisignPublicKey(parsing: [UInt8](data))
        let home = try invocation.initializedHome()
        let lock = try HomeLock(home: home)
        defer { lock.unlock() }
        let added = try invocation.keyring().trust(key)
        invocation.emit(KeyReport(keyId: key.keyID, publicKey: key.base64, file: nil),
                        text: added ? "trusted publisher key \(key.keyID)\n" : "publisher key \(key.keyID) was already trusted\n")
    }

    static func runList(_ invocation: Invocation) async throws {
        let keyring = try invocation.keyring()
        let keys = try keyring.list()
        let reports = keys.map { KeyReport(keyId: $0.keyID, publicKey: $0.base64, file: keyring.file(forKeyID: $0.keyID).path) }
        invocation.emit(reports, text: keys.isEmpty ? "no trusted publisher keys (add one with `stackctl keys trust FILE`)\n"
                        : keys.map { "\($0.keyID)  \($0.base64)\n" }.joined())
    }

    static func runUntrust(_ invocation: Invocation) async throws {
        let keyID = invocation.argument(0) ?? ""
        let home = try invocation.initializedHome()
        let lock = try HomeLock(home: home)
        defer { lock.unlock() }
        try invocation.keyring().untrust(keyID: keyID)
        struct Report: Encodable { let untrusted: String }
        invocation.emit(Report(untrusted: keyID.uppercased()), text: "no longer trusting \(keyID.uppercased())\n")
    }
}
