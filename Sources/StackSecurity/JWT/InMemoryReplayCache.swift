import Foundation
import StackCore

/// A ``ReplayCache`` in memory: for tests, embedders and processes whose restart is
/// covered otherwise. A restart forgets every id; prefer ``StateStoreReplayCache``.
public final class InMemoryReplayCache: ReplayCache {
    private let ledger: LockedBox<ReplayLedger>

    /// Creates an empty cache.
    /// - Parameter capacity: The most live ids kept; more are refused, not evicted.
    public init(capacity: Int = StateStoreReplayCache.defaultCapacity) {
        ledger = LockedBox(ReplayLedger(capacity: capacity))
    }

    /// Records `key` unless already recorded; see ``ReplayCache/insert(_:issuedAt:expiry:now:)``.
    /// - Parameters:
    ///   - key: The id.
    ///   - issuedAt: The token's `iat`.
    ///   - expiry: When the id may be forgotten.
    ///   - now: The current time.
    /// - Returns: `true` when recorded now, `false` for a replay.
    /// - Throws: `auth.replay_cache_full`.
    public func insert(_ key: String, issuedAt: Date, expiry: Date, now: Date) throws -> Bool {
        try ledger.withLock { try $0.insert(key, issuedAt: issuedAt, expiry: expiry, now: now) }
    }

    /// The number of ids recorded (expired ones included until the next insert).
    public var count: Int { ledger.withLock { $0.entries.count } }
}
