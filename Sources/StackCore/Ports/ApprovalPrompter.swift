/// What the user is asked to approve (DESIGN §3 step 6).
public struct ApprovalRequest: Sendable, Hashable {
    public var manifest: Manifest
    /// The publisher key id that signed the bundle, if known.
    public var publisherKeyID: String?
    /// Lines describing findings, resources, ports, egress and volumes.
    public var summary: [String]
    public init(manifest: Manifest, publisherKeyID: String? = nil, summary: [String] = []) {
        self.manifest = manifest
        self.publisherKeyID = publisherKeyID
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
