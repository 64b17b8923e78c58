/// One step of an install, in order, as ``StackInstaller/install(_:digests:options:)``
/// reports it.
public enum InstallEvent: Sendable {
    /// The install entered a phase (verifying, awaiting approval, unpacking, starting).
    case phase(Operation.State)
    /// The bundle was judged and planned; `changes` is the diff against the last approved
    /// plan of this stack, if any.
    case planned(StackPlan, changes: [PlanChange]?)
    /// The stack runs; always the last event of a successful install.
    case finished(StackStatus)
}
