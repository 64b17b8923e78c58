import Foundation
import StackCLI
import StackCore
import StackTestSupport
import Testing

/// `stackctl run` and the lifecycle commands against the real Docker Engine.
@Suite("stackctl run and lifecycle on the real engine", .serialized)
struct RunCommandTests {
    /// A signed bundle of a unique stack serving `page` on an ephemeral 127.0.0.1 port.
    static func stackBundle(_ signed: SignedHome, prefix: String, extraService: String = "") throws -> (URL, String) {
        let name = "\(prefix)-\(UUID().uuidString.prefix(6).lowercased())"
        var tar = TarBuilder()
        tar.add("stack.yaml", text: """
            name: \(name)
            version: 1.0.0
            flavor: compose
            resources: {cpus: 0.5, memory: 64m, pids: 64}
            ports:
              - {service: web, port: 8080, label: Web, open: true}
            volumes: [data]

            """)
        tar.add("compose.yaml", text: """
            services:
              web:
                image: stacktest/busybox:1
                command: ["httpd", "-f", "-p", "8080", "-h", "/www"]
                init: true
                user: "65534:65534"
                ports: ["8080"]
                volumes: ["./www:/www:ro", "data:/data"]
            \(extraService)
            """)
        tar.add("www", .directory)
        tar.add("www/index.html", text: "page of \(name)\n")
        let url = signed.tmp.path("\(name).stack")
        try tar.write(to: url)
        try signed.sign(url, stack: name, version: "1.0.0")
        return (url, name)
    }

    static func containers(_ name: String) async throws -> [String] {
        try await program("/usr/bin/env", ["docker", "ps", "-aq", "--filter", "label=lol.stack.name=\(name)"])
            .stdout.split(separator: "\n").map(String.init)
    }

    static func networks(_ name: String) async throws -> [String] {
        try await program("/usr/bin/env", ["docker", "network", "ls", "-q", "--filter", "label=lol.stack.name=\(name)"])
            .stdout.split(separator: "\n").map(String.init)
    }

    @Test("run --yes serves the page; ps, status, stop, start; a second run is refused; rm --purge leaves nothing")
    func lifecycle() async throws {
        let signed = try await SignedHome.make("run")
        let (bundle, name) = try Self.stackBundle(signed, prefix: "life")
        let home = StackHome(root: signed.home)
        let run = await signed.run(["--json", "run", "--yes", bundle.path])
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        do {
            let urls = run.json?["urls"] as? [[String: Any]] ?? []
            let url = try #require(urls.first?["url"] as? String)
            #expect(url.hasPrefix("http://127.0.0.1:"))
            #expect(urls.first?["open"] as? Bool == true)
            let page = try await program("/usr/bin/curl", ["-s", "--retry", "20", "--retry-connrefused", "--retry-delay", "1", "--max-time", "30", url])
            #expect(page.stdout == "page of \(name)\n")

            let ps = await signed.run(["ps"])
            #expect(ps.stdout.contains(name) && ps.stdout.contains("running"))
            #expect(await signed.run(["--json", "status", name]).json?["state"] as? String == "running")

            #expect(await signed.run(["stop", name]).status == 0)
            #expect(await signed.run(["--json", "status", name]).json?["state"] as? String == "stopped")
            #expect(await signed.run(["start", name]).status == 0)
            #expect(await signed.run(["--json", "status", name]).json?["state"] as? String == "running")

            let again = await signed.run(["--json", "run", "--yes", bundle.path])
            #expect(again.status == 1)
            #expect(again.errorCode == "stack.exists")
            #expect(try await Self.containers(name).count == 1)

            let bundleDir = home.stackDirectory(name: name, version: SemanticVersion("1.0.0")!)
            let attributes = try FileManager.default.attributesOfItem(atPath: bundleDir.appendingPathComponent("www/index.html").path)
            #expect((attributes[.posixPermissions] as? Int).map { $0 & 0o222 } == 0, "the unpacked bundle must be read-only")

            let keep = await signed.run(["rm", name])
            #expect(keep.status == 0)
            #expect(FileManager.default.fileExists(atPath: home.volumesDirectory(name: name).appendingPathComponent("data").path))
            #expect(try await Self.containers(name).isEmpty)
        }
        // Reinstall, then purge: nothing of the stack remains.
        #expect(await signed.run(["run", "--yes", bundle.path]).status == 0)
        let purge = await signed.run(["rm", "--purge", name])
        #expect(purge.status == 0, "\(purge.stderr)")
        #expect(try await Self.containers(name).isEmpty)
        #expect(try await Self.networks(name).isEmpty)
        #expect(!FileManager.default.fileExists(atPath: home.volumesDirectory(name: name).path))
        #expect(!FileManager.default.fileExists(atPath: home.stacksDirectory.appendingPathComponent(name).path))
        #expect(await signed.run(["--json", "status", name]).errorCode == "stack.not_found")
    }

    @Test("without a terminal an untrusted stack is declined: exit 6 and nothing installed; trust add lets it run")
    func declinedThenTrusted() async throws {
        let signed = try await SignedHome.make("decline")
        let (bundle, name) = try Self.stackBundle(signed, prefix: "decl")
        let home = StackHome(root: signed.home)
        let declined = await signed.run(["--json", "run", bundle.path])
        #expect(declined.status == 6)
        #expect(declined.errorCode == "approval.declined")
        #expect(try FileManager.default.contentsOfDirectory(atPath: home.stacksDirectory.path).isEmpty)
        #expect(try FileManager.default.contentsOfDirectory(atPath: home.tmpDirectory.path).isEmpty)
        #expect(try await Self.containers(name).isEmpty)
        let ps = await signed.run(["--json", "ps"])
        #expect(((try? JSONSerialization.jsonObject(with: Data(ps.stdout.utf8))) as? [Any])?.isEmpty == true, "\(ps.stdout)")

        #expect(await signed.run(["trust", "add", name, "--key", signed.key.keyID]).status == 0)
        let trusted = await signed.run(["run", bundle.path])
        #expect(trusted.status == 0, "\(trusted.stderr)")
        #expect(await signed.run(["rm", "--purge", name]).status == 0)
        #expect(try await Self.containers(name).isEmpty)
    }

    @Test("a critical finding stops run with exit 4 before anything is installed")
    func scanRejectsRun() async throws {
        let signed = try await SignedHome.make("reject")
        let (bundle, name) = try Self.stackBundle(signed, prefix: "rej", extraService: """
              tool:
                image: stacktest/busybox:1
                network_mode: host
            """)
        let result = await signed.run(["--json", "run", "--yes", bundle.path])
        #expect(result.status == 4)
        #expect(result.errorCode == "policy.host_namespace")
        #expect(try FileManager.default.contentsOfDirectory(atPath: StackHome(root: signed.home).stacksDirectory.path).isEmpty)
        #expect(try await Self.containers(name).isEmpty)
    }

    @Test("an unreachable Docker Engine is exit 5 with a hint, and nothing is installed")
    func dockerUnreachable() async throws {
        let signed = try await SignedHome.make("nodocker")
        let (bundle, _) = try Self.stackBundle(signed, prefix: "nod")
        let result = await signed.run(["--json", "run", "--yes", bundle.path],
                                      environment: ["DOCKER_HOST": "unix:///nonexistent/docker.sock"])
        #expect(result.status == 5)
        #expect(result.errorCode == "docker.unreachable")
        let hint = ((result.json?["error"] as? [String: Any])?["hint"] as? String) ?? ""
        #expect(hint.contains("stackctl doctor"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: StackHome(root: signed.home).stacksDirectory.path).isEmpty)
        let doctor = await signed.run(["--json", "doctor"], environment: ["DOCKER_HOST": "unix:///nonexistent/docker.sock"])
        #expect(doctor.status == 5)
        let healthy = await signed.run(["--json", "doctor"])
        #expect(healthy.status == 0, "\(healthy.stdout)")
        let checks = (try? JSONSerialization.jsonObject(with: Data(healthy.stdout.utf8))) as? [[String: Any]] ?? []
        let guardCheck = try #require(checks.first { $0["name"] as? String == "network guard" }, "\(healthy.stdout)")
        #expect(guardCheck["ok"] as? Bool == true)
    }
}
