import Foundation

/// The result of running or inspecting a stack.
public struct StackStatus: Sendable {
    public var record: StackRecord
    public var state: StackRunState
    public var containers: [StackContainer]
    public var urls: [StackURL]
    /// Findings of the scan (warnings and info), when the stack was just installed.
    public var findings: [Finding]
    /// Why ``state`` is ``StackRunState/unknown``: the runtime's error.
    public var unreachable: StackError?
}
