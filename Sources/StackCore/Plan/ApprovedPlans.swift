import Foundation

/// The last approved ``StackPlan`` of every stack name (`state/plans.json`): what an
/// installed stack runs (``StackRunner`` renders it at every start), and the baseline an
/// update or a re-install is diffed against. A plan stays after `rm`, so installing the
/// same stack again shows what changed since the user last approved it.
public struct ApprovedPlans: Sendable {
    static let key = "plans"
    private let store: any StateStore

    /// Creates the store over `store`.
    /// - Parameter store: Where the document lives.
    public init(store: any StateStore) { self.store = store }

    /// The last approved plan of `name`.
    /// - Parameter name: The stack name.
    /// - Returns: The plan, or `nil` when none was approved.
    /// - Throws: `io.failed` or `config.invalid` when the document is unreadable.
    public func plan(_ name: String) throws -> StackPlan? { try load()[name] }

    /// Records `plan` as the last approved plan of its stack.
    /// - Parameter plan: The plan.
    /// - Throws: `io.failed` when the document cannot be written.
    public func save(_ plan: StackPlan) throws {
        var all = try load()
        all[plan.name] = plan
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try store.write(Self.key, [UInt8](try encoder.encode(all)))
    }

    private func load() throws -> [String: StackPlan] {
        guard let bytes = try store.read(Self.key) else { return [:] }
        do {
            return try JSONDecoder().decode([String: StackPlan].self, from: Data(bytes))
        } catch {
            throw StackError(.configInvalid, "the approved plans (state/plans.json) are corrupt", cause: error)
        }
    }
}
