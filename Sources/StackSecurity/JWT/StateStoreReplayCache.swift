import Foundation
import StackCore

/// A ``ReplayCache`` persisted in the home's state (`state/jti.json`), so restarting the
/// server does not reopen the replay window of live tokens.
///
/// The ids live in memory and every new id is written through, atomically (temp file,
/// fsync, rename, via ``StateStore``), before the request is accepted. Entries expire at
/// `exp` + leeway and are dropped on the next write; at most ``capacity`` live ids are kept
/// and more are refused (`auth.replay_cache_full`), never evicted. One process (the server)
/// should own the cache of a home.
///
/// When the stored document cannot be parsed, the cache starts empty but treats every
/// token issued before `load time + skew` as already used, so a lost record can delay
/// requests briefly but never lets a used token through.
public final class StateStoreReplayCache: ReplayCache {
    /// The default most live ids kept.
    public static let defaultCapacity = 10_000
    /// The state key (`state/jti.json`).
    public static let defaultKey = "jti"

    private let store: any StateStore
    private let key: String
    private let ledger: LockedBox<ReplayLedger>

    /// The most live ids kept.
    public var capacity: Int { ledger.withLock { $0.capacity } }

    /// Opens the cache, loading the ids still live.
    /// - Parameters:
    ///   - store: The state store (``FileStateStore`` over the home's `state/`).
    ///   - key: The document's key.
    ///   - capacity: The most live ids kept.
    ///   - skew: How far into the future a token's `iat` may be (the verifier's leeway,
    ///     with margin); used only when the stored document is corrupt.
    ///   - now: The current time.
    ///   - logger: Receives a warning when the stored document is corrupt.
    /// - Throws: `io.failed` when the document exists but cannot be read.
    public init(store: some StateStore, key: String = defaultKey, capacity: Int = defaultCapacity,
                skew: TimeInterval = 60, now: Date = Date(), logger: Logger? = nil) throws {
        self.store = store
        self.key = key
        var ledger = ReplayLedger(capacity: capacity)
        if let bytes = try store.read(key) {
            if let entries = Self.decode(bytes) {
                ledger.entries = entries
                ledger.purge(now: now)
            } else {
                ledger.distrustIssuedBefore = now.addingTimeInterval(skew)
                logger?.warning("the replay cache state/\(key).json is corrupt; tokens issued before now are refused")
            }
        }
        self.ledger = LockedBox(ledger)
    }

    /// Opens the cache in `home`'s `state/jti.json`.
    /// - Parameters:
    ///   - home: The home.
    ///   - capacity: The most live ids kept.
    ///   - logger: Receives a warning when the stored document is corrupt.
    /// - Throws: `io.failed` when the document exists but cannot be read.
    public convenience init(home: StackHome, capacity: Int = defaultCapacity, logger: Logger? = nil) throws {
        try self.init(store: FileStateStore(home: home), capacity: capacity, logger: logger)
    }

    /// Records `key` unless already recorded, and persists the record before returning.
    /// - Parameters:
    ///   - key: The id.
    ///   - issuedAt: The token's `iat`.
    ///   - expiry: When the id may be forgotten.
    ///   - now: The current time.
    /// - Returns: `true` when recorded now, `false` for a replay.
    /// - Throws: `auth.replay_cache_full`, `io.failed` (the id stays recorded in memory, so
    ///   the token is refused now and later).
    public func insert(_ key: String, issuedAt: Date, expiry: Date, now: Date) throws -> Bool {
        try ledger.withLock { ledger in
            guard try ledger.insert(key, issuedAt: issuedAt, expiry: expiry, now: now) else { return false }
            try store.write(self.key, Self.encode(ledger.entries))
            return true
        }
    }

    /// The number of ids recorded (expired ones included until the next insert).
    public var count: Int { ledger.withLock { $0.entries.count } }

    // MARK: Document `{"entries": {"<id>": <expiry, Unix seconds>}, "version": 1}`

    static func encode(_ entries: [String: Date]) -> [UInt8] {
        let object = entries.mapValues { ConfigValue.int(Int($0.timeIntervalSince1970.rounded(.up))) }
        return Array(StrictJSON.compact(.object(["version": .int(1), "entries": .object(object)])).utf8)
    }

    static func decode(_ bytes: [UInt8]) -> [String: Date]? {
        guard let document = try? StrictJSON.parse(bytes).objectValue,
              document["version"] == .int(1),
              let stored = document["entries"]?.objectValue else { return nil }
        var entries: [String: Date] = [:]
        for (id, value) in stored {
            guard case .int(let seconds) = value else { return nil }
            entries[id] = Date(timeIntervalSince1970: TimeInterval(seconds))
        }
        return entries
    }
}
