import Foundation
import StackCore

extension Docker {
    /// The host firewall guard (``NetworkGuard``) on `iptables`: three `DROP` rules in the
    /// `mangle` table's `FORWARD` chain, a chain Docker never edits, so they hold while
    /// Docker reshuffles its own `filter` rules. A drop there is final whatever the `filter`
    /// table later accepts.
    ///
    /// The rules match the bridge names of ``StackBridgeName`` and only *routed* packets
    /// (`! --physdev-is-bridged`): traffic between a stack's own containers is bridged and
    /// never matches, while anything the host would route from one bridge to another is
    /// dropped. Published ports still answer on 127.0.0.1: Docker's proxy connects from the
    /// host itself, which is local traffic, not forwarded.
    ///
    /// The rules are global (they name prefixes, not stacks), so they are installed once,
    /// never removed, and stay harmless when no stack runs. They live until the next reboot;
    /// every `up` and `start` checks them again. Needs root (`CAP_NET_ADMIN`).
    public struct IPTablesNetworkGuard: NetworkGuard {
        /// One rule: its description and its `iptables` match and target.
        public struct Rule: Sendable, Hashable {
            public var description: String
            public var specification: [String]
        }

        /// The rules, in the order they are checked.
        public static let rules: [Rule] = [
            rule("no traffic between two stacks",
                 ["-i", "\(StackBridgeName.prefix)+", "-o", "\(StackBridgeName.prefix)+"]),
            rule("nothing routes out of a stack without egress",
                 ["-i", "\(StackBridgeName.isolatedPrefix)+"]),
            rule("nothing routes into a stack without egress",
                 ["-o", "\(StackBridgeName.isolatedPrefix)+"]),
        ]

        private static func rule(_ description: String, _ interfaces: [String]) -> Rule {
            Rule(description: description,
                 specification: interfaces + ["-m", "physdev", "!", "--physdev-is-bridged",
                                              "-m", "comment", "--comment", "stack-desktop: \(description)",
                                              "-j", "DROP"])
        }

        private let executable: String?
        private let chain: String
        private let environment: [String: String]
        /// One `ensure` at a time in this process, whichever instance runs it (the rules are the
        /// host's): waiting callers suspend here rather than block a thread on the lock file.
        private static let serial = SerialGate()

        /// Creates the guard.
        /// - Parameters:
        ///   - executable: The `iptables` to run; `nil` looks in `PATH`, then `/usr/sbin`
        ///     and `/sbin` (often missing from a user's `PATH`).
        ///   - chain: The `mangle` chain that holds the rules: `FORWARD`, or a chain of the
        ///     caller's that `FORWARD` jumps to (tests use a scratch chain).
        ///   - environment: The child's environment.
        public init(executable: String? = nil, chain: String = "FORWARD",
                    environment: [String: String] = ProcessInfo.processInfo.environment) {
            self.executable = executable
            self.chain = chain
            self.environment = environment
        }

        /// The host-wide lock file that makes check-then-insert one step across processes
        /// (the rules are the host's, shared by every home and every `stackctl`).
        public static let lockFile = URL(fileURLWithPath: FileManager.default.fileExists(atPath: "/run/lock")
                                         ? "/run/lock/stack-desktop-guard.lock" : "/tmp/stack-desktop-guard.lock")

        public func ensure() async throws {
            // In this process one caller at a time (the others suspend in `serial`); across
            // processes, the host-wide lock file.
            try await Self.serial.run {
                let lock: HomeLock
                do {
                    lock = try HomeLock(lockFile: Self.lockFile)
                } catch {
                    throw StackError(.networkGuardUnavailable, "cannot take the firewall guard's lock \(Self.lockFile.path)",
                                     hint: "run as root (the guard changes the host firewall)", cause: error)
                }
                defer { lock.unlock() }
                for rule in Self.rules where try await !exists(rule) {
                    let result = try await iptables(["-I", chain] + rule.specification)
                    guard result.status == 0 else { throw unavailable(result, doing: "install “\(rule.description)”") }
                }
            }
        }

        public func inspect() async throws -> NetworkGuardStatus {
            var present: [String] = []
            var missing: [String] = []
            for rule in Self.rules {
                if try await exists(rule) { present.append(rule.description) } else { missing.append(rule.description) }
            }
            return NetworkGuardStatus(present: present, missing: missing)
        }

        /// `iptables -C`: 0 present, 1 absent, anything else an error (2 unknown match,
        /// 4 no permission).
        private func exists(_ rule: Rule) async throws -> Bool {
            let result = try await iptables(["-C", chain] + rule.specification)
            switch result.status {
            case 0: return true
            case 1: return false
            default: throw unavailable(result, doing: "check “\(rule.description)”")
            }
        }

        private func iptables(_ arguments: [String]) async throws -> ProcessResult {
            guard let program = resolvedExecutable() else {
                throw StackError(.networkGuardUnavailable,
                                 "iptables was not found, so the host firewall guard that keeps stacks apart cannot be installed",
                                 hint: Self.hint)
            }
            do {
                return try await Subprocess.run([program, "-w", "5", "-t", "mangle"] + arguments,
                                                environment: environment, timeout: 30)
            } catch {
                throw StackError(.networkGuardUnavailable, "cannot run \(program)", hint: Self.hint, cause: error)
            }
        }

        private func resolvedExecutable() -> String? {
            if let executable { return FileManager.default.isExecutableFile(atPath: executable) ? executable : nil }
            return Subprocess.which("iptables", environment: environment)
                ?? ["/usr/sbin/iptables", "/sbin/iptables"].first { FileManager.default.isExecutableFile(atPath: $0) }
        }

        private func unavailable(_ result: ProcessResult, doing action: String) -> StackError {
            let detail = result.errorOutput.trimmingCharacters(in: .whitespacesAndNewlines)
                .split(separator: "\n").first.map(String.init) ?? "exit status \(result.status)"
            return StackError(.networkGuardUnavailable,
                              "cannot \(action) in iptables' mangle \(chain) chain: \(detail)", hint: Self.hint)
        }

        static let hint = "the guard needs root and iptables (Debian: apt-get install iptables); "
            + "or set `stackctl config set isolation.hostFirewall off` to rely on Docker's own rules, "
            + "which Docker 20.10 lifts for a moment whenever any network is created"
    }
}

/// Runs one operation at a time (so two concurrent `ensure()` calls cannot both insert a
/// rule they both found missing).
actor SerialGate {
    private var busy = false
    private var waiters: [CheckedContinuation<Void, Never>] = []

    func run<T: Sendable>(_ operation: @Sendable () async throws -> T) async throws -> T {
        while busy { await withCheckedContinuation { waiters.append($0) } }
        busy = true
        defer {
            busy = false
            if !waiters.isEmpty { waiters.removeFirst().resume() }
        }
        return try await operation()
    }
}
