import Foundation
import StackCLI
import StackCore
import StackTestSupport
import Testing

/// `stackctl run` and the lifecycle commands against the real Docker Engine.
@Suite("stackctl run and lifecycle on the real engine", .serialized)
struct RunCommandTests {
    /// A signed bundle of a unique stack serving `page` on an ephemeral 127.0.0.1 port.
    static func stackBundle(_ signed: SignedHome, prefix: String, extraService: String = "",
                            ports: String = #"["8080"]"#) throws -> (URL, String) {
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
                ports: \(ports)
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

            let quiet = await signed.run(["logs", name, "--tail", "0"])
            #expect(quiet.status == 0)
            #expect(quiet.stdout.isEmpty && quiet.stderr.contains("have written nothing to stdout or stderr"), "\(quiet.stderr)")
            let keep = await signed.run(["rm", name])
            #expect(keep.status == 0)
            #expect(keep.stdout.contains("its data in \(home.volumesDirectory(name: name).path)/ is kept"))
            #expect(FileManager.default.fileExists(atPath: home.volumesDirectory(name: name).appendingPathComponent("data").path))
            // The kept data can still be purged after the stack is gone.
            let leftover = await signed.run(["rm", "--purge", name])
            #expect(leftover.status == 0, "\(leftover.stderr)")
            #expect(leftover.stdout.contains("deleted the data"))
            #expect(!FileManager.default.fileExists(atPath: home.volumesDirectory(name: name).path))
            #expect(await signed.run(["--json", "rm", "--purge", name]).errorCode == "stack.not_found")
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
        // No terminal: told where a person can answer.
        let unaskedHint = ((declined.json?["error"] as? [String: Any])?["hint"] as? String) ?? ""
        #expect(unaskedHint.contains("run it from a terminal"), "\(unaskedHint)")
        // A person who says no is not told how to get around it.
        let console = BufferConsole(interactive: true, answers: ["n"])
        let said = await StackCLI.run(["--home", signed.home.path, "run", bundle.path],
                                      environment: ProcessInfo.processInfo.environment, console: console, adapters: .live())
        #expect(said == 6)
        #expect(console.stderr.contains("You are asked because the stack is not trusted"), "\(console.stderr)")
        #expect(console.stderr.contains("hint: nothing was installed\n"), "\(console.stderr)")
        #expect(!console.stderr.contains("--yes"), "\(console.stderr)")
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
        // Said once, with a hint that does not send the user back to doctor.
        let plainDoctor = await signed.run(["doctor"], environment: ["DOCKER_HOST": "unix:///nonexistent/docker.sock"])
        #expect(plainDoctor.status == 5)
        let both = plainDoctor.stdout + plainDoctor.stderr
        #expect(both.components(separatedBy: "no socket at /nonexistent/docker.sock").count == 2, "\(both)")
        #expect(!both.contains("try `stackctl doctor`"), "\(both)")
        #expect(plainDoctor.stderr.contains("check(s) failed: docker engine"), "\(plainDoctor.stderr)")
        let healthy = await signed.run(["--json", "doctor"])
        #expect(healthy.status == 0, "\(healthy.stdout)")
        let checks = (try? JSONSerialization.jsonObject(with: Data(healthy.stdout.utf8))) as? [[String: Any]] ?? []
        let guardCheck = try #require(checks.first { $0["name"] as? String == "network guard" }, "\(healthy.stdout)")
        #expect(guardCheck["ok"] as? Bool == true)
    }

    /// A TCP port on 127.0.0.1 that nothing holds right now.
    static func freePort() throws -> Int {
        for _ in 0..<50 {
            let port = Int.random(in: 20_000...40_000)
            if Posix.isLoopbackPortFree(port, proto: "tcp") { return port }
        }
        throw StackError(.internalError, "no free port found")
    }

    @Test("a host port already in use: runtime.port_in_use names the port and the stack that holds it, and nothing of the new stack stays")
    func portHeldByStack() async throws {
        let signed = try await SignedHome.make("portstack")
        let port = try Self.freePort()
        let (first, firstName) = try Self.stackBundle(signed, prefix: "porta", ports: "[\"\(port):8080\"]")
        let (second, secondName) = try Self.stackBundle(signed, prefix: "portb", ports: "[\"\(port):8080\"]")
        #expect(await signed.run(["run", "--yes", first.path]).status == 0)
        let clash = await signed.run(["--json", "run", "--yes", second.path])
        #expect(clash.status == 5)
        #expect(clash.errorCode == "runtime.port_in_use")
        let message = ((clash.json?["error"] as? [String: Any])?["message"] as? String) ?? ""
        #expect(message.contains("127.0.0.1:\(port)/tcp") && message.contains("the stack \(firstName)"), "\(message)")
        #expect(try await Self.containers(secondName).isEmpty)
        #expect(try await Self.networks(secondName).isEmpty)
        #expect(await signed.run(["--json", "status", secondName]).errorCode == "stack.not_found")
        #expect(!FileManager.default.fileExists(atPath: StackHome(root: signed.home).stacksDirectory.appendingPathComponent(secondName).path))
        #expect(await signed.run(["rm", "--purge", firstName]).status == 0)
    }

    @Test("a port freed by rm can be taken at once, although connections to it linger in TIME_WAIT")
    func portReusedAfterRemove() async throws {
        let signed = try await SignedHome.make("portreuse")
        let port = try Self.freePort()
        let (first, firstName) = try Self.stackBundle(signed, prefix: "reusea", ports: "[\"\(port):8080\"]")
        let (second, secondName) = try Self.stackBundle(signed, prefix: "reuseb", ports: "[\"\(port):8080\"]")
        #expect(await signed.run(["run", "--yes", first.path]).status == 0)
        let page = try await program("/usr/bin/curl", ["-s", "--retry", "20", "--retry-connrefused", "--retry-delay", "1",
                                                       "--max-time", "30", "http://127.0.0.1:\(port)/"])
        #expect(page.stdout == "page of \(firstName)\n")
        #expect(await signed.run(["rm", "--purge", firstName]).status == 0)
        let again = await signed.run(["run", "--yes", second.path])
        #expect(again.status == 0, "\(again.stderr)")
        #expect(await signed.run(["rm", "--purge", secondName]).status == 0)
    }

    @Test("a host port held by another process is named as such; --keep-failed keeps nothing started but the record")
    func portHeldByProcess() async throws {
        let signed = try await SignedHome.make("portproc")
        let port = try Self.freePort()
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        try #require(bound == 0 && listen(fd, 1) == 0)
        let (bundle, name) = try Self.stackBundle(signed, prefix: "portp", ports: "[\"\(port):8080\"]")
        let clash = await signed.run(["run", "--yes", bundle.path])
        #expect(clash.status == 5)
        #expect(clash.stderr.contains("another process") && clash.stderr.contains("[runtime.port_in_use]"), "\(clash.stderr)")
        #expect(await signed.run(["--json", "status", name]).errorCode == "stack.not_found")
        let kept = await signed.run(["--json", "run", "--yes", "--keep-failed", bundle.path])
        #expect(kept.errorCode == "runtime.port_in_use")
        let status = await signed.run(["--json", "status", name])
        #expect(status.json?["status"] as? String == "failed", "\(status.stdout)")
        #expect(try await Self.containers(name).isEmpty)
        #expect(await signed.run(["rm", "--purge", name]).status == 0)
    }

    @Test("with the engine unreachable: ps still lists installed stacks (state unknown, one hint), stop is docker.unreachable")
    func engineGoneAfterInstall() async throws {
        let signed = try await SignedHome.make("enginegone")
        let (bundle, name) = try Self.stackBundle(signed, prefix: "gone")
        #expect(await signed.run(["run", "--yes", bundle.path]).status == 0)
        let dead = ["DOCKER_HOST": "unix:///nonexistent/docker.sock"]
        let ps = await signed.run(["ps"], environment: dead)
        #expect(ps.status == 0, "\(ps.stderr)")
        #expect(ps.stdout.contains(name) && ps.stdout.contains("unknown (engine unreachable)"), "\(ps.stdout)")
        #expect(ps.stderr.components(separatedBy: "hint:").count == 2, "one hint: \(ps.stderr)")
        #expect(!ps.stderr.contains("%2F") && !ps.stderr.contains("cause:"), "\(ps.stderr)")
        let json = await signed.run(["--json", "ps"], environment: dead)
        let first = ((try? JSONSerialization.jsonObject(with: Data(json.stdout.utf8))) as? [[String: Any]])?.first
        #expect(first?["state"] as? String == "unknown")
        for command in [["stop", name], ["rm", name]] {
            let result = await signed.run(["--json"] + command, environment: dead)
            #expect(result.status == 5, "\(command)")
            #expect(result.errorCode == "docker.unreachable", "\(command): \(result.stdout)")
            #expect(!result.stdout.contains("Traceback"))
        }
        #expect(await signed.run(["--json", "status", name]).json?["state"] as? String == "running")
        #expect(await signed.run(["rm", "--purge", name]).status == 0)
    }

    @Test("rm --purge on a terminal asks for the stack's name: a wrong name changes nothing, the right one purges")
    func purgeAsksForTheName() async throws {
        let signed = try await SignedHome.make("purgeask")
        let (bundle, name) = try Self.stackBundle(signed, prefix: "purge")
        #expect(await signed.run(["run", "--yes", bundle.path]).status == 0)
        let home = StackHome(root: signed.home)
        let data = home.volumesDirectory(name: name).appendingPathComponent("data")
        #expect(FileManager.default.fileExists(atPath: data.path))
        func rm(typing answer: String) async -> (Int32, BufferConsole) {
            let console = BufferConsole(interactive: true, answers: [answer])
            let status = await StackCLI.run(["--home", signed.home.path, "rm", "--purge", name],
                                            environment: ProcessInfo.processInfo.environment, console: console,
                                            adapters: .live())
            return (status, console)
        }
        let (wrong, wrongConsole) = await rm(typing: "hello")
        #expect(wrong == 6, "\(wrongConsole.stderr)")
        #expect(wrongConsole.stderr.contains("Type the stack's name"))
        #expect(await signed.run(["--json", "status", name]).json?["state"] as? String == "running")
        #expect(FileManager.default.fileExists(atPath: data.path))
        let (right, rightConsole) = await rm(typing: name)
        #expect(right == 0, "\(rightConsole.stderr)")
        #expect(rightConsole.stdout.contains("removed \(name) and its data"))
        #expect(!FileManager.default.fileExists(atPath: home.volumesDirectory(name: name).path))
        #expect(try await Self.containers(name).isEmpty)
    }

    @Test("links planted in volumes/ are refused, never followed: no chown or data through them, purge removes only the link")
    func plantedLinks() async throws {
        let signed = try await SignedHome.make("links")
        let (bundle, name) = try Self.stackBundle(signed, prefix: "link")
        let home = StackHome(root: signed.home)
        #expect(await signed.run(["run", "--yes", bundle.path]).status == 0)
        #expect(await signed.run(["rm", name]).status == 0)
        let elsewhere = signed.tmp.path("elsewhere")
        try FileManager.default.createDirectory(at: elsewhere, withIntermediateDirectories: true)
        chmod(elsewhere.path, 0o700)
        let data = home.volumesDirectory(name: name).appendingPathComponent("data")
        try FileManager.default.removeItem(at: data)
        try FileManager.default.createSymbolicLink(atPath: data.path, withDestinationPath: elsewhere.path)
        let refused = await signed.run(["--json", "run", "--yes", bundle.path])
        #expect(refused.errorCode == "home.unsafe", "\(refused.stdout)")
        #expect(try await Self.containers(name).isEmpty)
        let attributes = try FileManager.default.attributesOfItem(atPath: elsewhere.path)
        #expect((attributes[.ownerAccountID] as? Int) == 0, "not chowned through the link")
        #expect((attributes[.posixPermissions] as? Int).map { $0 & 0o777 } == 0o700)
        #expect(try FileManager.default.contentsOfDirectory(atPath: elsewhere.path).isEmpty)
        // The whole volumes/<name> as a link: purge removes the link, not what it points to.
        let volumes = home.volumesDirectory(name: name)
        try FileManager.default.removeItem(at: volumes)
        try FileManager.default.createSymbolicLink(atPath: volumes.path, withDestinationPath: elsewhere.path)
        try Data("keep".utf8).write(to: elsewhere.appendingPathComponent("precious"))
        let purge = await signed.run(["rm", "--purge", name])
        #expect(purge.status == 0, "\(purge.stderr)")
        #expect(!FileManager.default.fileExists(atPath: volumes.path))
        #expect(FileManager.default.fileExists(atPath: elsewhere.appendingPathComponent("precious").path))
        #expect(((try FileManager.default.attributesOfItem(atPath: elsewhere.path))[.posixPermissions] as? Int).map { $0 & 0o777 } == 0o700)
    }
}
