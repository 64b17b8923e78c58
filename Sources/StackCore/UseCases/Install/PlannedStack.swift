/// Step 5: the rule table judged the bundle and its plan exists.
public struct PlannedStack: Sendable {
    public let staged: StagedStack
    public let plan: StackPlan
    /// The diff against the last approved plan of this stack, if one was approved.
    public let changes: [PlanChange]?
}
