/// Step 7: the bundle is in `stacks/<name>/<version>/` and recorded.
public struct CommittedStack: Sendable {
    public let plan: StackPlan
    public let record: StackRecord
    public let runtime: any ContainerRuntime
}
