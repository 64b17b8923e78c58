import Foundation

/// The current time, injectable so token lifetimes and timeouts can be tested.
public protocol WallClock: Sendable {
    /// Now.
    func now() -> Date
}

/// The system clock.
public struct SystemWallClock: WallClock {
    public init() {}
    public func now() -> Date { Date() }
}
