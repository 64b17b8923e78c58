/// Step 6: the user (or a trust rule) approved the plan.
public struct ApprovedStack: Sendable {
    public let planned: PlannedStack
    /// Who approved: `trust`, `yes` (the caller's `--yes`) or `user`.
    public let approvedBy: String
}
