import Foundation

/// A local URL of a running stack.
public struct StackURL: Sendable, Hashable, Codable {
    public var service: String
    public var url: String
    public var label: String?
    /// Whether this is the stack's UI (`open: true` in the manifest).
    public var open: Bool
}
