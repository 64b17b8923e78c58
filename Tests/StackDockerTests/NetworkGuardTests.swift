import Foundation
import StackAPI
import StackCore
import StackDocker
import StackTestSupport
import Testing

/// The iptables guard against the real `iptables` of this machine. Installation is tested
/// on a scratch `mangle` chain (nothing jumps to it), so the live `FORWARD` rules that other
/// suites rely on are never removed.
@Suite("Host firewall guard on real iptables", .serialized)
struct NetworkGuardTests {
    /// A scratch chain in the mangle table, deleted by `remove()`.
    struct ScratchChain {
        let name = "STKT-\(UUID().uuidString.prefix(8))"

        static func make() async throws -> ScratchChain {
            let chain = ScratchChain()
            let result = try await iptables(["-N", chain.name])
            try #require(result.status == 0, "iptables -N failed: \(result.errorOutput)")
            return chain
        }

        /// The chain's rules as `iptables -S` prints them, without the `-N` line.
        func rules() async throws -> [String] {
            try await iptables(["-S", name]).output.split(separator: "\n").map(String.init).filter { $0.hasPrefix("-A ") }
        }

        func remove() async {
            _ = try? await iptables(["-F", name])
            _ = try? await iptables(["-X", name])
        }
    }

    static func iptables(_ arguments: [String]) async throws -> Docker.ProcessResult {
        try await Docker.Subprocess.run(["iptables", "-w", "5", "-t", "mangle"] + arguments,
                                        environment: ProcessInfo.processInfo.environment, timeout: 30)
    }

    @Test("ensure installs each rule once, also when called concurrently, and restores a deleted rule")
    func installsIdempotently() async throws {
        let chain = try await ScratchChain.make()
        do {
            let guardian = Docker.IPTablesNetworkGuard(chain: chain.name)
            let before = try await guardian.inspect()
            #expect(before.present.isEmpty)
            #expect(before.missing.count == Docker.IPTablesNetworkGuard.rules.count)

            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<4 { group.addTask { try await guardian.ensure() } }
                try await group.waitForAll()
            }
            try await guardian.ensure()
            let rules = try await chain.rules()
            #expect(rules.count == 3, "\(rules)")
            #expect(rules.contains { $0.contains("-i sd+ -o sd+") && $0.contains("! --physdev-is-bridged") && $0.hasSuffix("-j DROP") })
            #expect(rules.contains { $0.contains("-i sdi+ -m physdev") && $0.hasSuffix("-j DROP") })
            #expect(rules.contains { $0.contains("-o sdi+ -m physdev") && $0.hasSuffix("-j DROP") })
            #expect(try await guardian.inspect().isComplete)

            // Someone deletes one rule: inspect names it, ensure puts it back.
            let deleted = try await Self.iptables(["-D", chain.name, "1"])
            #expect(deleted.status == 0)
            let partial = try await guardian.inspect()
            #expect(partial.missing.count == 1 && partial.present.count == 2)
            try await guardian.ensure()
            #expect(try await chain.rules().count == 3)
        } catch {
            await chain.remove()
            throw error
        }
        await chain.remove()
    }

    @Test("the live guard is in FORWARD once a runtime has run a stack (rules counted once)")
    func liveGuardInForward() async throws {
        try await Docker.IPTablesNetworkGuard().ensure()
        let forward = try await Self.iptables(["-S", "FORWARD"]).output
        let ours = forward.split(separator: "\n").filter { $0.contains("stack-desktop:") }
        #expect(ours.count >= 3, "\(forward)")
        #expect(try await Docker.IPTablesNetworkGuard().inspect().isComplete)
    }

    @Test("without iptables, or without root, the guard fails with runtime.network_guard_unavailable and a hint")
    func unavailable() async throws {
        let missing = Docker.IPTablesNetworkGuard(executable: "/nonexistent/iptables")
        let error = await stackError { try await missing.ensure() }
        #expect(error?.code == .networkGuardUnavailable)
        #expect(error?.exitStatus == .runtime)
        #expect(error?.hint?.contains("isolation.hostFirewall off") == true)

        // The real iptables, run as nobody: permission denied is reported, not mistaken
        // for "rule missing".
        let tmp = try TemporaryDirectory("guard-nobody")
        let wrapper = tmp.path("iptables-as-nobody")
        let iptables = try #require(Docker.Subprocess.which("iptables", environment: ProcessInfo.processInfo.environment)
                                    ?? ["/usr/sbin/iptables", "/sbin/iptables"].first { FileManager.default.isExecutableFile(atPath: $0) })
        try Data("#!/bin/sh\nexec setpriv --reuid=65534 --regid=65534 --clear-groups \(iptables) \"$@\"\n".utf8).write(to: wrapper)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: wrapper.path)
        let unprivileged = Docker.IPTablesNetworkGuard(executable: wrapper.path)
        let denied = await stackError { _ = try await unprivileged.inspect() }
        #expect(denied?.code == .networkGuardUnavailable)
        #expect(denied?.message.contains("Permission denied") == true, "\(denied?.message ?? "")")
    }

    @Test("a runtime that cannot install the guard starts nothing; with hostFirewall off only a stack with egress runs")
    func runtimeRequiresGuard() async throws {
        let live = try LiveStack.make(prefix: "noguard", compose: ComposeFile(services: ["web": webService()]),
                                      files: ["www/index.html": "x\n"], egress: true)
        let isolated = try LiveStack.make(prefix: "noguardiso", compose: ComposeFile(services: ["web": webService()]),
                                          files: ["www/index.html": "x\n"], egress: false)
        let refusing = Docker.ComposeRuntime(
            engine: live.engine, home: live.home, environment: ProcessInfo.processInfo.environment,
            networkGuard: Docker.IPTablesNetworkGuard(executable: "/nonexistent/iptables"), stopTimeout: 1)
        var policy = IsolationPolicy.default
        policy.hostFirewall = .off
        let permissive = Docker.ComposeRuntime(
            engine: live.engine, home: live.home, environment: ProcessInfo.processInfo.environment, policy: policy,
            networkGuard: Docker.IPTablesNetworkGuard(executable: "/nonexistent/iptables"), stopTimeout: 1)
        try await withCleanup(live, isolated) {
            // Guard off: a stack without egress would still leak one-way packets; refused.
            let leaky = await stackError { try await permissive.up(isolated.stack) }
            #expect(leaky?.code == .networkGuardUnavailable)
            #expect(leaky?.message.contains("no route out") == true)
            #expect(try await live.engine.containers(label: "lol.stack.name=\(isolated.name)", all: true).isEmpty)

            let error = await stackError { try await refusing.up(live.stack) }
            #expect(error?.code == .networkGuardUnavailable)
            #expect(!FileManager.default.fileExists(atPath: live.stack.runDirectory.path))
            #expect(try await live.engine.containers(label: "lol.stack.name=\(live.name)", all: true).isEmpty)
            #expect(try await live.engine.networks(label: "lol.stack.name=\(live.name)").isEmpty)

            try await permissive.up(live.stack)
            #expect(try await permissive.status(stackName: live.name) == .running)
            try await permissive.stop(stackName: live.name)
            let startError = await stackError { try await refusing.start(stackName: live.name) }
            #expect(startError?.code == .networkGuardUnavailable)
            #expect(try await permissive.status(stackName: live.name) == .stopped)
        }
    }
}
