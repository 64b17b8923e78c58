import Foundation
import StackAPI
import StackCore
import StackDocker
import StackTestSupport
import Testing

/// The compose runtime against the real engine that scripts/test starts.
@Suite("Compose runtime on the real engine", .serialized)
struct ComposeRuntimeTests {
    @Test("a stack runs isolated: caps dropped, no-new-privileges, limits, restart, loopback ports, own network")
    func runsIsolated() async throws {
        let live = try LiveStack.make(
            prefix: "iso",
            compose: ComposeFile(services: ["web": webService(
                ports: [ComposePort(target: 8080, hostIP: "0.0.0.0")],
                volumes: [ComposeMount(type: .bind, source: "./www", target: "/www"),
                          ComposeMount(type: .volume, source: "data", target: "/data")])]),
            files: ["www/index.html": "<h1>isolated</h1>\n"], volumes: ["data"])
        try await withCleanup(live) {
        try await live.runtime.up(live.stack)
        let container = try await live.container("web")
        let info = try await live.engine.inspectContainer(id: container.id)
        let host = try #require(info["HostConfig"] as? [String: Any])
        #expect(host["CapDrop"] as? [String] == ["ALL"])
        #expect((host["CapAdd"] as? [String] ?? []).isEmpty)
        #expect((host["SecurityOpt"] as? [String])?.contains("no-new-privileges:true") == true)
        #expect(host["Privileged"] as? Bool == false)
        #expect(host["Memory"] as? Int == 64 << 20)
        #expect(host["MemorySwap"] as? Int == 64 << 20)
        #expect(host["NanoCpus"] as? Int == 500_000_000)
        #expect(host["PidsLimit"] as? Int == 64)
        let restart = host["RestartPolicy"] as? [String: Any]
        #expect(restart?["Name"] as? String == "on-failure")
        #expect(restart?["MaximumRetryCount"] as? Int == 5)
        let bindings = try #require(host["PortBindings"] as? [String: [[String: String]]])
        #expect(!bindings.isEmpty)
        for binding in bindings.values.flatMap({ $0 }) { #expect(binding["HostIp"] == "127.0.0.1") }
        let binds = host["Binds"] as? [String] ?? []
        #expect(binds.contains { $0.hasSuffix(":/www:ro") && $0.hasPrefix(live.stack.bundleDirectory.path) })
        #expect(binds.contains { $0.hasPrefix(live.home.volumesDirectory(name: live.name).path + "/data:/data") }, "\(binds)")
        let networks = ((info["NetworkSettings"] as? [String: Any])?["Networks"] as? [String: Any]) ?? [:]
        #expect(Array(networks.keys) == ["stack-\(live.name)-net"])
        let labels = (info["Config"] as? [String: Any])?["Labels"] as? [String: String] ?? [:]
        #expect(labels["lol.stack.name"] == live.name)
        #expect(labels["lol.stack.managed"] == "true")
        let net = try #require(try await live.engine.networks(label: "lol.stack.name=\(live.name)").first)
        #expect(net.driver == "bridge")
        #expect(net.options["com.docker.network.bridge.enable_ip_masquerade"] == "false")
        #expect(net.options["com.docker.network.bridge.name"] == StackBridgeName.forStack(live.name, egress: false))

        // The page is served on 127.0.0.1.
        let port = try #require(container.ports.first?.split(separator: ":").dropFirst().first?.split(separator: "-").first)
        #expect(container.ports.first?.hasPrefix("127.0.0.1:") == true)
        let page = try await fetch("http://127.0.0.1:\(port)/")
        #expect(String(decoding: page.body, as: UTF8.self) == "<h1>isolated</h1>\n")

        // Lifecycle: stop, start, down leave no container or network behind.
        try await live.runtime.stop(stackName: live.name)
        #expect(try await live.runtime.status(stackName: live.name) == .stopped)
        try await live.runtime.start(stackName: live.name)
        #expect(try await live.runtime.status(stackName: live.name) == .running)
        try await live.runtime.down(stackName: live.name)
        #expect(try await live.runtime.status(stackName: live.name) == .absent)
        #expect(try await live.engine.networks(label: "lol.stack.name=\(live.name)").isEmpty)
        #expect(try await live.engine.containers(label: "lol.stack.name=\(live.name)", all: true).isEmpty)
        }
    }

    @Test("a container of stack A cannot reach a container of stack B, even while other networks are being created",
          arguments: [false, true])
    func segmentation(egress: Bool) async throws {
        let a = try LiveStack.make(prefix: "sega", compose: ComposeFile(services: ["web": webService()]),
                                   files: ["www/index.html": "a\n"], egress: egress)
        let b = try LiveStack.make(prefix: "segb", compose: ComposeFile(services: ["web": webService()]),
                                   files: ["www/index.html": "b\n"], egress: egress)
        try await withCleanup(a, b) {
        try await a.runtime.up(a.stack)
        try await b.runtime.up(b.stack)
        _ = try await fetch("http://127.0.0.1:\(try hostPort(try await b.container("web")))/")
        let bAddress = try await b.address("web")
        let aAddress = try await a.address("web")
        // Control: A reaches its own service by address.
        let own = try await a.exec("web", ["nc", "-w", "3", aAddress, "8080"])
        #expect(own.status == 0, "control probe failed: \(own.errorOutput)")

        // Docker 20.10 deletes and re-inserts its isolation jumps whenever any network is
        // created; without the host firewall guard about one probe in eight got through
        // while two loops created networks. Sixteen staggered loops of five probes each
        // give 80 connection attempts at distinct moments per direction while networks churn.
        let churn = NetworkChurn()
        try await churn.waitForCreations(1)
        let probes = "for i in $(seq 16); do (for k in 1 2 3 4 5; do "
            + "nc -w 1 %@ 8080 </dev/null >/dev/null 2>&1 && echo REACHED; done) & sleep 0.06; done; wait"
        async let probeAToB = a.exec("web", ["sh", "-c", probes.replacingOccurrences(of: "%@", with: bAddress)])
        async let probeBToA = b.exec("web", ["sh", "-c", probes.replacingOccurrences(of: "%@", with: aAddress)])
        let (fromA, fromB) = try await (probeAToB, probeBToA)
        let created = await churn.stop()
        #expect(created > 1, "the churn created \(created) networks")
        let aToB = fromA.output.components(separatedBy: "REACHED").count - 1
        let bToA = fromB.output.components(separatedBy: "REACHED").count - 1
        #expect(aToB == 0, "stack A reached stack B at \(bAddress) in \(aToB) of 80 probes (\(created) networks created meanwhile)")
        #expect(bToA == 0, "stack B reached stack A at \(aAddress) in \(bToA) of 80 probes (\(created) networks created meanwhile)")
        }
    }

    @Test("compose failing half-way leaves no container or network behind")
    func failedUpCleansUp() async throws {
        var broken = webService()
        broken.image = "stacktest/does-not-exist:1"
        let live = try LiveStack.make(prefix: "fail", compose: ComposeFile(services: [
            "web": webService(), "broken": broken,
        ]), files: ["www/index.html": "x\n"])
        try await withCleanup(live) {
        var error: StackError?
        do { try await live.runtime.up(live.stack) } catch let failure as StackError { error = failure }
        #expect(error?.code == .composeFailed)
        #expect(error?.exitStatus == .runtime)
        #expect(try await live.engine.containers(label: "com.docker.compose.project=stack-\(live.name)", all: true).isEmpty)
        #expect(try await live.engine.networks(label: "lol.stack.name=\(live.name)").isEmpty)
        }
    }
}

/// The host port of a container's first published port (`127.0.0.1:PORT->…`).
func hostPort(_ container: StackContainer) throws -> String {
    guard let first = container.ports.first,
          let port = first.split(separator: ":").dropFirst().first?.split(separator: "-").first else {
        throw StackError(.internalError, "\(container.service) publishes no port")
    }
    return String(port)
}
