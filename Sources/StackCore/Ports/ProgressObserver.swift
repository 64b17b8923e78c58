/// Told how far long work has come: bytes done out of a total, from whatever thread does
/// the work. The CLI draws a progress bar from it on a terminal; a UI can forward it.
public struct ProgressObserver: Sendable {
    /// Receives `(done, total)` in bytes; `done` never decreases within one piece of work.
    public let report: @Sendable (_ done: Int64, _ total: Int64) -> Void

    /// Creates an observer.
    /// - Parameter report: Called with bytes done and the total.
    public init(_ report: @escaping @Sendable (_ done: Int64, _ total: Int64) -> Void) {
        self.report = report
    }
}
