import Dispatch

/// A task executor on a concurrent dispatch queue of its own, so request handlers never
/// wait for a cooperative-pool thread: if blocking work elsewhere (a prompt, a lock wait,
/// a synchronous library call) occupies the pool, the API still answers.
final class DispatchTaskExecutor: TaskExecutor {
    private let queue: DispatchQueue

    init(label: String) {
        queue = DispatchQueue(label: label, attributes: .concurrent)
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        let executor = asUnownedTaskExecutor()
        queue.async { job.runSynchronously(on: executor) }
    }
}
