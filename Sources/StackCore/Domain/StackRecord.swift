import Foundation

/// What the home knows about one installed stack (`state/stacks.json`).
public struct StackRecord: Sendable, Hashable, Codable {
    /// The lifecycle states the home records.
    public enum Status: String, Sendable, Hashable, Codable {
        case installed, running, stopped, failed
    }
    public var name: String
    public var version: SemanticVersion
    public var flavor: String
    /// SHA-256 of the bundle it was installed from.
    public var digest: String
    /// The publisher key that signed it.
    public var keyID: String
    public var title: String?
    public var status: Status
    public var egressApproved: Bool
    public var installedAt: Date
    public var updatedAt: Date
    /// The last failure, when `status` is `failed`.
    public var lastError: String?

    public init(name: String, version: SemanticVersion, flavor: String, digest: String, keyID: String,
                title: String? = nil, status: Status, egressApproved: Bool, installedAt: Date,
                updatedAt: Date, lastError: String? = nil) {
        self.name = name
        self.version = version
        self.flavor = flavor
        self.digest = digest
        self.keyID = keyID
        self.title = title
        self.status = status
        self.egressApproved = egressApproved
        self.installedAt = installedAt
        self.updatedAt = updatedAt
        self.lastError = lastError
    }
}

/// The installed stacks, by name, in one atomically written document.
public struct StackRegistry: Sendable {
    static let key = "stacks"
    private let store: any StateStore

    /// Creates the registry over `store`.
    public init(store: any StateStore) { self.store = store }

    /// Every record, sorted by name.
    /// - Throws: `config.invalid` when the document is corrupt.
    public func all() throws -> [StackRecord] {
        try load().values.sorted { $0.name < $1.name }
    }

    /// The record of `name`.
    public func record(_ name: String) throws -> StackRecord? { try load()[name] }

    /// The record of `name`, or `stack.not_found`.
    public func require(_ name: String) throws -> StackRecord {
        guard let record = try record(name) else {
            throw StackError(.stackNotFound, "no stack named \(name) is installed",
                             hint: "see `stackctl ps`")
        }
        return record
    }

    /// Inserts or replaces a record.
    public func save(_ record: StackRecord) throws {
        var all = try load()
        all[record.name] = record
        try write(all)
    }

    /// Removes a record; absent is fine.
    public func remove(_ name: String) throws {
        var all = try load()
        guard all.removeValue(forKey: name) != nil else { return }
        try write(all)
    }

    private func load() throws -> [String: StackRecord] {
        guard let bytes = try store.read(Self.key) else { return [:] }
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        do {
            return try decoder.decode([String: StackRecord].self, from: Data(bytes))
        } catch {
            throw StackError(.configInvalid, "the stack registry (state/stacks.json) is corrupt", cause: error)
        }
    }

    private func write(_ all: [String: StackRecord]) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        encoder.dateEncodingStrategy = .iso8601
        try store.write(Self.key, [UInt8](try encoder.encode(all)))
    }
}

/// Trusted stacks (`trust.json`): names whose bundles run without an approval prompt when
/// signed by any trusted key, or by the one key named.
public struct TrustedStacks: Sendable {
    /// One rule.
    public struct Rule: Sendable, Hashable, Codable {
        public var name: String
        /// When set, only bundles signed by this key id are trusted.
        public var keyID: String?
        public init(name: String, keyID: String? = nil) {
            self.name = name
            self.keyID = keyID
        }
    }

    private let file: URL

    /// Creates the store over `home.trustFile`.
    public init(home: StackHome) { self.file = home.trustFile }

    /// All rules, sorted.
    public func rules() throws -> [Rule] {
        guard let data = FileManager.default.contents(atPath: file.path) else { return [] }
        do {
            return try JSONDecoder().decode([Rule].self, from: data).sorted { ($0.name, $0.keyID ?? "") < ($1.name, $1.keyID ?? "") }
        } catch {
            throw StackError(.configInvalid, "\(file.path) is corrupt", cause: error)
        }
    }

    /// Whether a bundle of `name` signed by `keyID` is trusted.
    public func isTrusted(name: String, keyID: String) throws -> Bool {
        try rules().contains { $0.name == name && ($0.keyID == nil || $0.keyID == keyID) }
    }

    /// Adds a rule; returns `false` when it already existed.
    @discardableResult
    public func add(_ rule: Rule) throws -> Bool {
        guard Manifest.isValidName(rule.name) else {
            throw StackError(.usage, "'\(rule.name)' is not a valid stack name")
        }
        var all = try rules()
        guard !all.contains(rule) else { return false }
        all.append(rule)
        try save(all)
        return true
    }

    /// Removes every rule for `name`; `stack.not_found` when there was none.
    public func remove(name: String) throws {
        let all = try rules()
        let kept = all.filter { $0.name != name }
        guard kept.count != all.count else {
            throw StackError(.stackNotFound, "\(name) is not a trusted stack")
        }
        try save(kept)
    }

    private func save(_ rules: [Rule]) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try AtomicFile.write([UInt8](try encoder.encode(rules)), to: file, mode: 0o644)
    }
}
