import Foundation

/// Pending approvals shared between `stackctl serve` and `stackctl approvals` through the
/// home (`state/approvals.json`, under the home lock): the server queues a request and
/// waits; the user approves or denies it from another terminal.
public struct ApprovalQueue: Sendable {
    /// One queued approval.
    public struct Entry: Sendable, Hashable, Codable {
        public enum Decision: String, Sendable, Hashable, Codable { case pending, approved, denied }
        public var id: String
        public var stack: String
        public var version: String
        public var keyID: String?
        public var summary: [String]
        /// Why the user is asked (see ``ApprovalRequest/reason``).
        public var reason: String?
        /// The plan to approve, and the changes since the last approved plan.
        public var plan: StackPlan?
        public var changes: [PlanChange]?
        public var createdAt: Date
        public var expiresAt: Date
        public var decision: Decision
    }

    static let key = "approvals"
    private let home: StackHome
    private let store: FileStateStore

    /// Creates the queue over `home`.
    public init(home: StackHome) {
        self.home = home
        self.store = FileStateStore(home: home)
    }

    /// Every entry (expired ones dropped).
    public func entries(now: Date = Date()) throws -> [Entry] {
        try load().filter { $0.expiresAt > now || $0.decision != .pending }.sorted { $0.createdAt < $1.createdAt }
    }

    /// Queues a request unless `cap` pending entries exist.
    /// - Returns: The entry, or `nil` when the queue is full.
    public func enqueue(_ request: ApprovalRequest, timeout: Double, cap: Int, now: Date = Date()) throws -> Entry? {
        try HomeLock.held(home) {
            var all = try load().filter { $0.expiresAt > now }
            guard all.filter({ $0.decision == .pending }).count < cap else { return nil }
            let entry = Entry(id: String(UUID().uuidString.prefix(8)).lowercased(), stack: request.manifest.name,
                              version: request.manifest.version.description, keyID: request.publisherKeyID,
                              summary: request.summary, reason: request.reason, plan: request.plan,
                              changes: request.changes, createdAt: now, expiresAt: now.addingTimeInterval(timeout),
                              decision: .pending)
            all.append(entry)
            try save(all)
            return entry
        }
    }

    /// Records a decision.
    /// - Throws: `approval.not_found` when no pending entry has that id.
    public func decide(_ id: String, approve: Bool, now: Date = Date()) throws -> Entry {
        try HomeLock.held(home) {
            var all = try load()
            guard let index = all.firstIndex(where: { $0.id == id && $0.decision == .pending && $0.expiresAt > now }) else {
                throw StackError(.approvalNotFound, "no pending approval with id \(id)", hint: "see `stackctl approvals list`")
            }
            all[index].decision = approve ? .approved : .denied
            try save(all)
            return all[index]
        }
    }

    /// The current decision of `id`.
    public func decision(of id: String) throws -> Entry.Decision? { try load().first { $0.id == id }?.decision }

    /// Removes `id` (after it was consumed).
    public func remove(_ id: String) throws {
        try HomeLock.held(home) { try save(try load().filter { $0.id != id }) }
    }

    private func load() throws -> [Entry] {
        guard let bytes = try store.read(Self.key) else { return [] }
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        do { return try decoder.decode([Entry].self, from: Data(bytes)) } catch {
            throw StackError(.configInvalid, "state/approvals.json is corrupt", cause: error)
        }
    }

    private func save(_ entries: [Entry]) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        encoder.dateEncodingStrategy = .iso8601
        try store.write(Self.key, [UInt8](try encoder.encode(entries)))
    }

}

/// An ``ApprovalPrompter`` for the server without a terminal: queues the request in the
/// home and waits (polling) for `stackctl approvals approve|deny`, declining on timeout.
/// At most `cap` requests wait at once, so a page cannot flood the user.
public struct QueuedApprovalPrompter: ApprovalPrompter {
    private let queue: ApprovalQueue
    private let timeout: Double
    private let cap: Int
    private let pollInterval: Double
    private let onQueued: @Sendable (ApprovalQueue.Entry) -> Void

    /// Creates the prompter.
    /// - Parameters:
    ///   - home: The home holding the queue.
    ///   - timeout: Seconds before an unanswered request is declined.
    ///   - cap: Most pending requests.
    ///   - pollInterval: Seconds between checks.
    ///   - onQueued: Called with the entry once queued (for events and logs).
    public init(home: StackHome, timeout: Double = 300, cap: Int = 5, pollInterval: Double = 0.25,
                onQueued: @escaping @Sendable (ApprovalQueue.Entry) -> Void = { _ in }) {
        self.queue = ApprovalQueue(home: home)
        self.timeout = timeout
        self.cap = cap
        self.pollInterval = pollInterval
        self.onQueued = onQueued
    }

    public func requestApproval(_ request: ApprovalRequest) async throws -> ApprovalDecision {
        guard let entry = try queue.enqueue(request, timeout: timeout, cap: cap) else {
            return .declined(reason: "too many approvals are already waiting (at most \(cap))")
        }
        onQueued(entry)
        defer { try? queue.remove(entry.id) }
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            switch try queue.decision(of: entry.id) {
            case .approved?: return .approved
            case .denied?: return .declined(reason: "denied with `stackctl approvals deny \(entry.id)`")
            case .pending?, nil: break
            }
            try await Task.sleep(nanoseconds: UInt64(pollInterval * 1_000_000_000))
        }
        return .declined(reason: "no answer within \(Int(timeout)) s")
    }
}

extension StackError.Code {
    /// No pending approval has that id.
    public static let approvalNotFound = Self("approval.not_found", exit: .failure)
}
