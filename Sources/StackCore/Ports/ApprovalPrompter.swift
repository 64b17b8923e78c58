/// What the user is asked to approve (DESIGN §3 step 6): the stack, who signed it, the
/// ``StackPlan`` in full and, when a plan of this stack was approved before, what changed.
public struct ApprovalRequest: Sendable, Hashable {
    public var manifest: Manifest
    /// The publisher key id that signed the bundle, if known.
    public var publisherKeyID: String?
    /// What will run and be granted; `nil` only for requests made by hand.
    public var plan: StackPlan?
    /// The changes since the last approved plan of this stack; `nil` when there was none.
    public var changes: [PlanChange]?
    /// The plan (and changes) in plain words, one line each, for terminals and queues.
    public var summary: [String]

    public init(manifest: Manifest, publisherKeyID: String? = nil, plan: StackPlan? = nil,
                changes: [PlanChange]? = nil, summary: [String] = []) {
        self.manifest = manifest
        self.publisherKeyID = publisherKeyID
        self.plan = plan
        self.changes = changes
        self.summary = summary
    }
}

/// The user's answer.
public enum ApprovalDecision: Sendable, Hashable {
    case approved
    case declined(reason: String)
}

/// Asks the user to approve a stack: a TTY prompt, a queue served by the API, or a test
/// double.
public protocol ApprovalPrompter: Sendable {
    /// Asks and waits for the answer.
    /// - Parameter request: What to show.
    /// - Returns: The decision; a timeout is a decline.
    func requestApproval(_ request: ApprovalRequest) async throws -> ApprovalDecision
}
