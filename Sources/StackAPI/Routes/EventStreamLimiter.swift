import StackCore

/// Caps server-sent event streams per token and in total, so that one short-lived read
/// token cannot take every connection of the server (issue 12): each stream holds a
/// connection for as long as it lasts.
public final class EventStreamLimiter: Sendable {
    /// Streams one token may hold at once.
    public let perToken: Int
    /// Streams the server holds at once, well under its connection cap.
    public let total: Int
    private let open = LockedBox<[String: Int]>([:])

    /// - Parameters:
    ///   - perToken: Streams per token (by `jti`).
    ///   - total: Streams in all.
    public init(perToken: Int = 4, total: Int = 32) {
        self.perToken = perToken
        self.total = total
    }

    /// Takes a place for a stream of the token with id `key`.
    /// - Parameter key: The token's `jti`.
    /// - Returns: The function that gives the place back (call it once, when the stream
    ///   ends), or `nil` when the token or the server holds its maximum.
    public func acquire(_ key: String) -> (@Sendable () -> Void)? {
        let granted = open.withLock { counts -> Bool in
            guard counts.values.reduce(0, +) < total, counts[key, default: 0] < perToken else { return false }
            counts[key, default: 0] += 1
            return true
        }
        guard granted else { return nil }
        let released = LockedBox(false)
        return { [open] in
            guard released.withLock({ done in defer { done = true }; return !done }) else { return }
            open.withLock { counts in
                counts[key, default: 1] -= 1
                if counts[key] == 0 { counts[key] = nil }
            }
        }
    }

    /// Streams open now, in all.
    public var count: Int { open.withLock { $0.values.reduce(0, +) } }
}
