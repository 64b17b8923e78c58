import Foundation
import StackCore
import StackTestSupport
import Testing

@Suite("Home lock")
struct HomeLockTests {
    /// A short wait: these tests assert who gets the lock, not how fast.
    static let timeout = 0.2

    @Test("a second lock times out with home.locked while the first is held")
    func contended() throws {
        let tmp = try TemporaryDirectory("lock")
        let home = StackHome(root: tmp.url)
        let first = try HomeLock(home: home, timeout: Self.timeout)
        defer { first.unlock() }
        let error = stackError { _ = try HomeLock(home: home, timeout: Self.timeout) }
        #expect(error?.code == .homeLocked)
        #expect(error?.message.contains(home.lockFile.path) == true)
        #expect(error?.hint != nil)
    }

    @Test("the lock can be taken again after unlock()")
    func afterUnlock() throws {
        let tmp = try TemporaryDirectory("lock-again")
        let home = StackHome(root: tmp.url)
        let first = try HomeLock(home: home, timeout: Self.timeout)
        first.unlock()
        let second = try HomeLock(home: home, timeout: Self.timeout)
        defer { second.unlock() }
        #expect(stackError { _ = try HomeLock(home: home, timeout: Self.timeout) }?.code == .homeLocked)
    }

    @Test("unlock() is idempotent: a second call does not release someone else's lock")
    func unlockIdempotent() throws {
        let tmp = try TemporaryDirectory("lock-idempotent")
        let home = StackHome(root: tmp.url)
        let first = try HomeLock(home: home, timeout: Self.timeout)
        first.unlock()
        // The descriptor number is free again and is likely reused by this lock.
        let second = try HomeLock(home: home, timeout: Self.timeout)
        defer { second.unlock() }
        first.unlock()
        first.unlock()
        #expect(stackError { _ = try HomeLock(home: home, timeout: Self.timeout) }?.code == .homeLocked)
    }

    @Test("releasing the last reference releases the lock")
    func releasedOnDeinit() throws {
        let tmp = try TemporaryDirectory("lock-deinit")
        let home = StackHome(root: tmp.url)
        func holdBriefly() throws { _ = try HomeLock(home: home, timeout: Self.timeout) }
        try holdBriefly()
        let again = try HomeLock(home: home, timeout: Self.timeout)
        again.unlock()
    }

    @Test("fails with io.failed when the home does not exist")
    func missingHome() throws {
        let tmp = try TemporaryDirectory("lock-missing")
        let home = StackHome(root: tmp.path("absent"))
        #expect(stackError { _ = try HomeLock(home: home, timeout: Self.timeout) }?.code == .ioFailed)
        #expect(tmp.snapshot() == [])
    }
}
