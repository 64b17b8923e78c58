import Foundation
import StackCore

/// A ``WallClock`` stopped at one instant.
public struct FixedClock: WallClock {
    /// The instant ``now()`` returns.
    public var date: Date

    /// Creates a clock stopped `seconds` after the Unix epoch.
    public init(_ seconds: Int) { date = Date(timeIntervalSince1970: TimeInterval(seconds)) }

    /// Creates a clock stopped at `date`.
    public init(date: Date) { self.date = date }

    /// Returns ``date``.
    public func now() -> Date { date }
}
