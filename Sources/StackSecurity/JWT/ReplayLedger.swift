import Foundation
import StackCore

/// The bookkeeping shared by the replay caches: ids with their expiry, bounded in size.
struct ReplayLedger: Sendable {
    /// Recorded ids and when each may be forgotten.
    var entries: [String: Date] = [:]
    /// When set, tokens issued before this instant count as replays (the persistent record
    /// was lost, so any of them may already have been used).
    var distrustIssuedBefore: Date?
    /// The most ids kept at once.
    let capacity: Int

    init(capacity: Int) { self.capacity = max(1, capacity) }

    /// Forgets ids whose expiry has passed.
    /// - Parameter now: The current time.
    /// - Returns: Whether anything was forgotten.
    @discardableResult
    mutating func purge(now: Date) -> Bool {
        let before = entries.count
        entries = entries.filter { $0.value > now }
        return entries.count != before
    }

    /// Records `key` unless it is already recorded or untrusted.
    /// - Parameters:
    ///   - key: The id.
    ///   - issuedAt: The token's `iat`.
    ///   - expiry: When the id may be forgotten.
    ///   - now: The current time.
    /// - Returns: `true` when recorded now, `false` for a replay.
    /// - Throws: `auth.replay_cache_full` when ``capacity`` unexpired ids are recorded.
    mutating func insert(_ key: String, issuedAt: Date, expiry: Date, now: Date) throws -> Bool {
        purge(now: now)
        if let barrier = distrustIssuedBefore {
            if issuedAt < barrier { return false }
        }
        guard entries[key] == nil else { return false }
        guard entries.count < capacity else {
            throw StackError(.authReplayCacheFull,
                             "\(capacity) single-use tokens are still live; refusing more until some expire",
                             hint: "retry in a few minutes, or mint fewer tokens")
        }
        entries[key] = expiry
        return true
    }
}
