import Foundation

/// A value guarded by a lock, for short critical sections where an actor would be too much.
public final class LockedBox<Value: Sendable>: @unchecked Sendable {
    // @unchecked: `value` is only touched while `lock` is held.
    private let lock = NSLock()
    private var value: Value

    /// Creates the box.
    /// - Parameter value: The initial value.
    public init(_ value: Value) { self.value = value }

    /// Runs `body` with exclusive access to the value.
    /// - Parameter body: Reads or changes the value.
    /// - Returns: What `body` returns.
    public func withLock<T>(_ body: (inout Value) throws -> T) rethrows -> T {
        lock.lock()
        defer { lock.unlock() }
        return try body(&value)
    }
}
