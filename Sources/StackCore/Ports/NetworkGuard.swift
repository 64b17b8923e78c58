/// Host packet filtering that keeps every stack's network apart — from every other stack
/// and, without approved egress, from everything routed — whatever the container engine's
/// own firewall rules are doing at the moment.
///
/// The engine's rules alone are not enough: Docker 20.10 (Debian 12's `docker.io`) deletes
/// and re-inserts its `FORWARD` jumps to `DOCKER-USER` and `DOCKER-ISOLATION-STAGE-1`
/// whenever *any* network is created, and for those milliseconds a container of one stack
/// can open a connection to a container of another (measured: 25 of 200 probes got through
/// while two loops created networks). A guard installs its own rules, which the engine
/// never touches, matching the bridge names of ``StackBridgeName``.
///
/// Runtimes call ``ensure()`` before they create or start a stack's containers, unless
/// ``IsolationPolicy/hostFirewall`` is ``HostFirewallMode/off``.
public protocol NetworkGuard: Sendable {
    /// Installs the rules that are missing; does nothing when all are in place.
    /// - Throws: `runtime.network_guard_unavailable` when the host firewall cannot be
    ///   read or changed (no `iptables`, not root), with a hint.
    func ensure() async throws

    /// Reads what is installed, changing nothing.
    /// - Returns: Which rules are present and which are missing.
    /// - Throws: `runtime.network_guard_unavailable` when the firewall cannot be read.
    func inspect() async throws -> NetworkGuardStatus
}

/// What ``NetworkGuard/inspect()`` found.
public struct NetworkGuardStatus: Sendable, Hashable, Codable {
    /// The rules in place, each as the guard's own one-line description.
    public var present: [String]
    /// The rules not in place.
    public var missing: [String]

    /// Whether every rule is in place.
    public var isComplete: Bool { missing.isEmpty }

    public init(present: [String], missing: [String]) {
        self.present = present
        self.missing = missing
    }
}

/// Whether the runtime insists on the host firewall guard.
public enum HostFirewallMode: String, Sendable, Hashable, Codable, CaseIterable {
    /// Install the guard before any stack starts; refuse to start a stack without it.
    case required
    /// Rely on the engine's own isolation rules alone (they lapse briefly whenever a
    /// network is created; see ``NetworkGuard``).
    case off
}

/// The Linux interface name of a stack's bridge, which the renderer asks the engine for and
/// the guard's rules match: `sdi` (no egress) or `sde` (egress approved) followed by twelve
/// hex digits of a 64-bit FNV-1a hash of the stack name — 15 characters, the kernel's
/// limit. Two stacks whose names collide get the same name, and the engine refuses the
/// second network: a collision fails closed.
public enum StackBridgeName {
    /// Prefix shared by every stack bridge (`sd+` in iptables).
    public static let prefix = "sd"
    /// Prefix of bridges of stacks without approved egress (`sdi+` in iptables).
    public static let isolatedPrefix = "sdi"
    /// Prefix of bridges of stacks with approved egress.
    public static let egressPrefix = "sde"

    /// The bridge name of a stack.
    /// - Parameters:
    ///   - stack: The stack's name.
    ///   - egress: Whether egress was approved.
    /// - Returns: A 15-character interface name.
    public static func forStack(_ stack: String, egress: Bool) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in stack.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01b3
        }
        let hex = String(hash >> 16, radix: 16)
        let digits = String(repeating: "0", count: max(0, 12 - hex.count)) + hex
        return (egress ? egressPrefix : isolatedPrefix) + digits
    }
}
