import Dispatch
import StackCore

/// A task executor owned by one connection thread: jobs enqueued from anywhere (the task
/// itself, actor hops, continuations resumed by other threads) are run by that thread in
/// ``run(until:)``. A request's handler thus runs on the thread that read the request,
/// without a hand-off to another thread and back for each request.
final class ThreadTaskExecutor: TaskExecutor, Sendable {
    // `jobs` is only touched under its lock; `ready` is a semaphore.
    private let jobs = LockedBox([UnownedJob]())
    private let ready = DispatchSemaphore(value: 0)

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        jobs.withLock { $0.append(job) }
        ready.signal()
    }

    /// Runs enqueued jobs on the calling thread until `done()` is true.
    func run(until done: () -> Bool) {
        let executor = asUnownedTaskExecutor()
        while !done() {
            ready.wait()
            while let job = jobs.withLock({ $0.isEmpty ? nil : $0.removeFirst() }) {
                job.runSynchronously(on: executor)
            }
        }
    }

    /// Wakes ``run(until:)`` so it re-checks its condition.
    func wake() { ready.signal() }
}
