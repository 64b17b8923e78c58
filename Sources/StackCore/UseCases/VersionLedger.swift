import Foundation

/// The highest version installed per publisher key and stack name (`state/versions.json`),
/// which rollback protection compares against (DESIGN §3 step 2).
public struct VersionLedger: Sendable {
    static let key = "versions"
    private let store: any StateStore

    /// Creates a ledger over `store`.
    /// - Parameter store: Where the ledger document lives.
    public init(store: any StateStore) { self.store = store }

    /// The highest version recorded for `stack` from `keyID`.
    /// - Parameters:
    ///   - stack: The stack name.
    ///   - keyID: The publisher key id.
    /// - Returns: The version, or `nil` when none was installed.
    /// - Throws: `io.failed` or `config.invalid` when the document is unreadable.
    public func highest(stack: String, keyID: String) throws -> SemanticVersion? {
        try load()[keyID]?[stack].flatMap(SemanticVersion.init)
    }

    /// Records `version` as installed, keeping the highest.
    /// - Parameters:
    ///   - version: The installed version.
    ///   - stack: The stack name.
    ///   - keyID: The publisher key id.
    /// - Throws: `io.failed` when the document cannot be written.
    public func record(_ version: SemanticVersion, stack: String, keyID: String) throws {
        var ledger = try load()
        if let current = ledger[keyID]?[stack].flatMap(SemanticVersion.init), current >= version { return }
        ledger[keyID, default: [:]][stack] = version.description
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try store.write(Self.key, [UInt8](try encoder.encode(ledger)))
    }

    /// Refuses a version lower than the highest recorded one unless `allowDowngrade`.
    /// - Parameters:
    ///   - version: The bundle's version.
    ///   - stack: The stack name.
    ///   - keyID: The key that signed it.
    ///   - allowDowngrade: The CLI's `--allow-downgrade`.
    /// - Throws: `signature.rollback` naming both versions.
    public func checkRollback(_ version: SemanticVersion, stack: String, keyID: String,
                              allowDowngrade: Bool) throws {
        guard let highest = try highest(stack: stack, keyID: keyID), version < highest else { return }
        guard allowDowngrade else {
            throw StackError(.signatureRollback,
                             "\(stack) \(version) is older than \(highest), the highest version ever installed from publisher key \(keyID)",
                             hint: "a rollback can be an attack; if you really want the older version, pass --allow-downgrade")
        }
    }

    private func load() throws -> [String: [String: String]] {
        guard let bytes = try store.read(Self.key) else { return [:] }
        do {
            return try JSONDecoder().decode([String: [String: String]].self, from: Data(bytes))
        } catch {
            throw StackError(.configInvalid, "the version ledger (state/versions.json) is corrupt", cause: error)
        }
    }
}
