import Foundation
import StackCore
import StackDocker
import StackTestSupport
import Testing

/// An "outside" host made by the test: a network namespace joined to the host by a veth
/// pair (198.18.N.1 on the host, 198.18.N.2 inside, the benchmark range), with no route back
/// to Docker's subnets, running busybox httpd. Removed by ``remove()``.
struct OutsideHost {
    let namespace: String
    let hostAddress: String
    let address: String
    let port = 8099
    let directory: TemporaryDirectory

    static func create() async throws -> OutsideHost {
        let tag = UUID().uuidString.prefix(6).lowercased()
        let subnet = Int.random(in: 10...250)
        let host = OutsideHost(namespace: "stk-out-\(tag)", hostAddress: "198.18.\(subnet).1",
                               address: "198.18.\(subnet).2", directory: try TemporaryDirectory("outside"))
        try Data("outside-page\n".utf8).write(to: host.directory.path("index.html"))
        let hostSide = "stkh\(tag)"
        let inside = "stkn\(tag)"
        do {
            try await sh(["ip", "netns", "add", host.namespace])
            try await sh(["ip", "link", "add", hostSide, "type", "veth", "peer", "name", inside])
            try await sh(["ip", "link", "set", inside, "netns", host.namespace])
            try await sh(["ip", "addr", "add", "\(host.hostAddress)/24", "dev", hostSide])
            try await sh(["ip", "link", "set", hostSide, "up"])
            try await sh(["ip", "netns", "exec", host.namespace, "ip", "addr", "add", "\(host.address)/24", "dev", inside])
            try await sh(["ip", "netns", "exec", host.namespace, "ip", "link", "set", inside, "up"])
            try await sh(["ip", "netns", "exec", host.namespace, "ip", "link", "set", "lo", "up"])
            // Without -f busybox httpd daemonises; it is killed with the namespace's pids.
            try await sh(["ip", "netns", "exec", host.namespace, "busybox", "httpd",
                          "-p", "\(host.address):\(host.port)", "-h", host.directory.url.path])
        } catch {
            await host.remove()
            throw error
        }
        return host
    }

    /// Kills the server and deletes the namespace (and with it the veth pair).
    func remove() async {
        if let pids = try? await Docker.Subprocess.run(["ip", "netns", "pids", namespace],
                                                        environment: ProcessInfo.processInfo.environment) {
            for pid in pids.output.split(separator: "\n") { _ = kill(pid_t(pid) ?? 0, SIGKILL) }
        }
        _ = try? await Docker.Subprocess.run(["ip", "netns", "del", namespace],
                                             environment: ProcessInfo.processInfo.environment)
    }

    private static func sh(_ arguments: [String]) async throws {
        let result = try await Docker.Subprocess.run(arguments, environment: ProcessInfo.processInfo.environment, timeout: 20)
        guard result.status == 0 else {
            throw StackError(.internalError, "\(arguments.joined(separator: " ")) failed: \(result.errorOutput)")
        }
    }
}

@Suite("Egress on the real engine", .serialized)
struct EgressTests {
    static func probe(_ live: LiveStack, _ outside: OutsideHost) async throws -> Docker.ProcessResult {
        try await live.exec("web", ["sh", "-c",
            "printf 'GET /index.html HTTP/1.0\\r\\n\\r\\n' | nc -w 4 \(outside.address) \(outside.port)"])
    }

    @Test("without approved egress nothing routes out; with it the outside page is reachable")
    func egress() async throws {
        let outside = try await OutsideHost.create()
        let closed = try LiveStack.make(prefix: "noegress", compose: ComposeFile(services: ["web": webService()]),
                                        files: ["www/index.html": "x\n"], egress: false)
        let open = try LiveStack.make(prefix: "egress", compose: ComposeFile(services: ["web": webService()]),
                                      files: ["www/index.html": "x\n"], egress: true)
        do {
            try await withCleanup(closed, open) {
                // Control: the host itself reaches the outside server.
                let control = try await Docker.Subprocess.run(
                    ["sh", "-c", "printf 'GET /index.html HTTP/1.0\\r\\n\\r\\n' | busybox nc -w 3 \(outside.address) \(outside.port)"],
                    environment: ProcessInfo.processInfo.environment)
                #expect(control.output.contains("outside-page"), "the outside host does not answer the host: \(control.errorOutput)")

                try await closed.runtime.up(closed.stack)
                try await open.runtime.up(open.stack)
                let denied = try await Self.probe(closed, outside)
                #expect(!denied.output.contains("outside-page"), "a stack without egress reached the outside host")
                let allowed = try await Self.probe(open, outside)
                #expect(allowed.output.contains("outside-page"),
                        "a stack with approved egress could not reach the outside host: \(allowed.errorOutput)")
                // DNS: the stack without egress forwards outside names only to an address that
                // routes nowhere (never to a resolver on the host's loopback); its own names resolve.
                let container = try await closed.container("web")
                let dns = try await Docker.Subprocess.run(
                    ["docker", "inspect", "-f", "{{json .HostConfig.Dns}}", container.id],
                    environment: ProcessInfo.processInfo.environment)
                #expect(dns.output.contains(Docker.HardenedRenderer.unroutableDNS), "\(dns.output)")
                let own = try await closed.exec("web", ["nslookup", "web", "127.0.0.11"])
                #expect(own.output.contains("Name:") && !own.output.contains("can't find"), "service names still resolve: \(own.output)")
            }
        } catch {
            await outside.remove()
            throw error
        }
        await outside.remove()
    }
}
