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
    /// Why the user is asked (`the stack is not trusted`, or a trusted stack whose plan
    /// raises a privilege since the approved one), for prompts and declines.
    public var reason: String

    public init(manifest: Manifest, publisherKeyID: String? = nil, plan: StackPlan? = nil,
                changes: [PlanChange]? = nil, summary: [String] = [],
                reason: String = "the stack is not trusted") {
        self.manifest = manifest
        self.publisherKeyID = publisherKeyID
        self.plan = plan
        self.changes = changes
        self.summary = summary
        self.reason = reason
    }

    /// The first line of a prompt: a new stack, or one approved before that comes back.
    public var headline: String {
        changes == nil ? "wants to run a new stack" : "wants to run \(manifest.name) \(manifest.version), which you approved before in another version or form"
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
