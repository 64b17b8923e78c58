import StackCore

/// An ``ApprovalPrompter`` with a fixed answer that records what it was asked.
public struct StubPrompter: ApprovalPrompter {
    /// The answer to every request.
    public let decision: ApprovalDecision
    /// Every request received so far, in order.
    public let requests = LockedBox<[ApprovalRequest]>([])

    /// Creates the prompter.
    /// - Parameter decision: The answer to every request.
    public init(decision: ApprovalDecision) { self.decision = decision }

    /// Records the request and returns ``decision``.
    public func requestApproval(_ request: ApprovalRequest) async throws -> ApprovalDecision {
        requests.withLock { $0.append(request) }
        return decision
    }
}
