import Foundation
@testable import StackCLI
import StackCore
import StackTestSupport
import Testing

/// What a new user hit at the edges (issue 9): each with its exact code and a message in
/// the user's words, never Swift's internals.
@Suite("stackctl at the edges: typed settings, wrong inputs, messages without internals")
struct EdgeCaseTests {
    /// Text that must never reach a user: Swift's debug dumps and descriptor paths.
    static let internals = ["DecodingError", "Swift.", "Optional(", "Debug description", "/proc/self/fd/"]

    static func expectClean(_ result: CLIResult, _ label: String) {
        for leak in internals {
            #expect(!result.stdout.contains(leak) && !result.stderr.contains(leak), "\(label): \(result.stdout)\(result.stderr)")
        }
    }

    func home() async throws -> (TemporaryDirectory, URL) {
        let tmp = try TemporaryDirectory("edges")
        let home = tmp.path("home")
        #expect(await stackctl(["--home", home.path, "init"]).status == 0)
        return (tmp, home)
    }

    @Test("config set: every kind of setting takes a natural value, and a wrong one is refused in words",
          arguments: [
              (["catalog.origins", "https://example.com"], 0, "", #"["https://example.com"]"#),
              (["catalog.origins", #"["https://a.b","https://c.d"]"#], 0, "", #"["https://a.b","https://c.d"]"#),
              (["isolation.hostFirewall", "on"], 1, "must be one of required, off", ""),
              (["isolation.hostFirewall", "off"], 0, "", #""off""#),
              (["approval.mode", "maybe"], 1, "must be one of prompt, deny", ""),
              (["api.port", "eighty"], 1, "api.port needs a number", ""),
              (["api.port", "70000"], 1, "api.port must be between 1 and 65535", ""),
              (["isolation.allowGPUs", "yes"], 0, "", "true"),
              (["isolation.allowGPUs", "perhaps"], 1, "is true or false", ""),
              (["limits", "3"], 1, "is a group of settings", ""),
              (["nosuch.key", "1"], 1, "unknown setting 'nosuch.key'", ""),
          ])
    func configSet(_ arguments: [String], _ status: Int32, _ message: String, _ stored: String) async throws {
        let (tmp, home) = try await home()
        defer { withExtendedLifetime(tmp) {} }
        let result = await stackctl(["--home", home.path, "config", "set"] + arguments)
        #expect(result.status == status, "\(arguments): \(result.stderr)")
        Self.expectClean(result, "\(arguments)")
        if status != 0 {
            #expect(result.stderr.contains(message), "\(arguments): \(result.stderr)")
            #expect(result.stderr.contains("[config.invalid]"))
        } else {
            let got = await stackctl(["--home", home.path, "config", "get", arguments[0]])
            let compact = got.stdout.filter { !$0.isWhitespace }
            #expect(compact == stored, "\(arguments): \(got.stdout)")
        }
    }

    @Test("a hand-edited config.json with a wrong value is named in words", arguments: [
        (#"{"isolation": {"hostFirewall": "on"}}"#, "isolation.hostFirewall must be one of required, off"),
        (#"{"api": {"port": "x"}}"#, "api.port: expected a whole number"),
        (#"{"catalog": {"origins": "https://a.b"}}"#, "catalog.origins: expected a list"),
        (#"{"approval": {"mode": "never"}}"#, "approval.mode must be one of prompt, deny"),
    ])
    func handEdited(_ text: String, _ message: String) async throws {
        let (tmp, home) = try await home()
        defer { withExtendedLifetime(tmp) {} }
        try Data(text.utf8).write(to: home.appendingPathComponent("config.json"))
        let result = await stackctl(["--home", home.path, "config", "get"])
        #expect(result.status == 1)
        #expect(result.stderr.contains(message), "\(result.stderr)")
        Self.expectClean(result, text)
    }

    @Test("a file that is not a bundle is bundle.not_a_bundle before any signature is looked for; a folder gets a hint")
    func notABundle() async throws {
        let (tmp, home) = try await home()
        defer { withExtendedLifetime(tmp) {} }
        let text = tmp.path("stack.yaml")
        try Data("name: x\nversion: 1.0.0\n".utf8).write(to: text)
        let random = tmp.path("random.stack")
        try Data((0..<4096).map { UInt8(truncatingIfNeeded: $0 &* 2_654_435_761 >> 7) }).write(to: random)
        for (file, words) in [(text, "looks like a text file"), (random, "is not a bundle")] {
            for command in [["bundle", "verify"], ["run"], ["bundle", "inspect"]] {
                let result = await stackctl(["--home", home.path, "--json"] + command + [file.path])
                #expect(result.errorCode == "bundle.not_a_bundle", "\(command) \(file.lastPathComponent): \(result.stdout)")
                #expect(result.status == 4)
                #expect(result.stdout.contains(words))
                Self.expectClean(result, "\(command)")
            }
        }
        let folder = tmp.path("folder")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let result = await stackctl(["--home", home.path, "bundle", "verify", folder.path])
        #expect(result.status == 4)
        #expect(result.stderr.contains("[bundle.not_a_bundle]"))
        #expect(result.stderr.contains("stackctl bundle create \(folder.path) -o NAME.stack"))
    }

    @Test("a typo gets 'did you mean', and usage errors point at the command's own help", arguments: [
        (["rnu", "x"], "did you mean 'stackctl run'?", "see `stackctl help`"),
        (["stauts"], "did you mean 'stackctl status'?", "see `stackctl help`"),
        (["verify", "x"], "did you mean 'stackctl bundle verify'?", "see `stackctl help`"),
        (["bundle", "verfy", "x"], "did you mean 'stackctl bundle verify'?", "see `stackctl help bundle`"),
        (["run", "--yse", "x"], "did you mean '--yes'?", "see `stackctl help run`"),
        (["rm"], "missing <name> for 'stackctl rm'", "see `stackctl help rm`"),
    ])
    func typos(_ arguments: [String], _ message: String, _ hint: String) async {
        let result = await stackctl(arguments)
        #expect(result.status == 2)
        #expect(result.stderr.contains(message), "\(result.stderr)")
        #expect(result.stderr.contains("hint: \(hint)"), "\(result.stderr)")
    }

    @Test("a secret key given to keys trust, or a public key given to bundle sign, is named for what it is")
    func swappedKeys() async throws {
        let signed = try await SignedHome.make("swapped")
        let trust = await signed.run(["keys", "trust", signed.secretKeyFile.path])
        #expect(trust.status == 1)
        #expect(trust.stderr.contains("this is a minisign secret key file, not a public key"), "\(trust.stderr)")
        #expect(!trust.stderr.contains("base64"))
        let file = signed.tmp.path("x.stack")
        try Data("x".utf8).write(to: file)
        let sign = await signed.run(["bundle", "sign", file.path, "--key", signed.publicKeyFile.path])
        #expect(sign.status == 1)
        #expect(sign.stderr.contains("this is a minisign public key file, not a secret key"), "\(sign.stderr)")
    }

    @Test("bundle create: an existing output needs --force; what an install would refuse is reported at creation, once per kind")
    func createLintAndForce() async throws {
        let signed = try await SignedHome.make("lint")
        let source = signed.tmp.path("src")
        try FileManager.default.createDirectory(at: source, withIntermediateDirectories: true)
        try Data("name: lint\nversion: 1.0.0\nflavor: compose\n".utf8).write(to: source.appendingPathComponent("stack.yaml"))
        try Data("""
            services:
              web: {image: "busybox:1", privileged: true}
              db: {image: "busybox:1"}
            """.utf8).write(to: source.appendingPathComponent("compose.yaml"))
        let output = signed.tmp.path("lint.stack")
        try Data("keep me".utf8).write(to: output)
        let refused = await signed.run(["bundle", "create", source.path, "-o", output.path])
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("already exists") && refused.stderr.contains("--force"))
        #expect(try String(contentsOf: output, encoding: .utf8) == "keep me", "nothing is lost")
        let created = await signed.run(["bundle", "create", "--force", source.path, "-o", output.path])
        #expect(created.status == 0, "\(created.stderr)")
        #expect(created.stderr.contains("an install would refuse this bundle"))
        #expect(created.stderr.contains("critical policy.privileged: service web runs privileged — at compose.yaml: services.web.privileged"),
                "\(created.stderr)")
        // Two services, one line per kind of warning.
        let unpinned = created.stderr.components(separatedBy: "\n").filter { $0.contains("scan.unpinned_image") }
        #expect(unpinned.count == 1, "\(created.stderr)")
        #expect(unpinned.first?.contains("(2)") == true)
        // bundle sign says it too, before it signs.
        let signing = await signed.run(["bundle", "sign", output.path, "--key", signed.secretKeyFile.path])
        #expect(signing.status == 0)
        #expect(signing.stderr.contains("an install would refuse this bundle"), "\(signing.stderr)")
        // The rejection at install names its code once.
        try signed.sign(output, stack: "lint", version: "1.0.0")
        let verify = await signed.run(["bundle", "verify", output.path])
        #expect(verify.status == 4)
        #expect(verify.stderr.components(separatedBy: "[policy.privileged]").count == 2, "\(verify.stderr)")
    }

    @Test("a tampered bundle's signature.invalid says what happened and what to do")
    func tampered() async throws {
        let signed = try await SignedHome.make("tamper")
        var tar = TarBuilder()
        tar.add("stack.yaml", text: "name: hello-web\nversion: 1.2.0\nflavor: compose\n")
        tar.add("compose.yaml", text: "services:\n  web: {image: busybox}\n")
        let file = signed.tmp.path("t.stack")
        try tar.write(to: file)
        try signed.sign(file)
        var bytes = [UInt8](try Data(contentsOf: file))
        bytes[bytes.count / 2] ^= 0xFF
        try Data(bytes).write(to: file)
        let result = await signed.run(["--json", "bundle", "verify", file.path])
        #expect(result.errorCode == "signature.invalid")
        #expect(result.status == 3)
        let hint = ((result.json?["error"] as? [String: Any])?["hint"] as? String) ?? ""
        #expect(hint.contains("changed after it was signed"), "\(hint)")
    }
}

/// Every command's error paths, swept: no message may show Swift's internals or a
/// descriptor path, whatever goes wrong.
@Suite("every command's error paths speak the user's language")
struct ErrorPathSweepTests {
    @Test("each command with missing, wrong and odd arguments, plain and --json, in a home and without one")
    func sweep() async throws {
        let tmp = try TemporaryDirectory("sweep")
        let home = tmp.path("home")
        #expect(await stackctl(["--home", home.path, "init"]).status == 0)
        let text = tmp.path("notes.txt")
        try Data("just: text\n".utf8).write(to: text)
        let missingHome = tmp.path("nohome")
        var runs = 0
        for command in StackCLI.commands {
            // Commands that start servers or wait on a terminal are covered by their own tests.
            if ["serve", "monitor", "ui"].contains(command.path.last ?? "") { continue }
            var cases: [[String]] = [[]]
            let arity = command.arguments.filter { !$0.optional }.count
            cases.append(Array(repeating: text.path, count: max(arity, 1)))
            cases.append(Array(repeating: "nosuch-\(command.path.joined(separator: "-"))", count: max(arity, 1)))
            for option in command.options where option.valueName != nil {
                // Odd values that name a path point inside the temporary directory.
                cases.append(Array(repeating: text.path, count: arity) + ["--\(option.name)", tmp.path("odd %%value").path])
            }
            for arguments in cases {
                for homePath in [home, missingHome] {
                    for json in [false, true] {
                        let line = ["--home", homePath.path] + (json ? ["--json"] : []) + command.path + arguments
                        let result = await stackctl(line)
                        runs += 1
                        EdgeCaseTests.expectClean(result, line.joined(separator: " "))
                        if result.status != 0 && json {
                            #expect(result.errorCode != nil || result.stdout.hasPrefix("[") || result.stdout.hasPrefix("{"),
                                    "\(line): --json failure without a document: \(result.stdout)")
                        }
                    }
                }
            }
        }
        #expect(runs > 200)
    }
}

@Suite("progress on a terminal")
struct ProgressTests {
    func run(_ arguments: [String], home: URL, interactive: Bool) async -> (Int32, BufferConsole) {
        let console = BufferConsole(interactive: interactive)
        let status = await StackCLI.run(["--home", home.path] + arguments, environment: ProcessInfo.processInfo.environment,
                                        console: console, adapters: .live())
        return (status, console)
    }

    @Test("bundle create and bundle verify draw a bar on a terminal (each pass labelled, ending at 100%), and none otherwise")
    func bars() async throws {
        let signed = try await SignedHome.make("progress")
        let source = signed.tmp.path("src")
        try FileManager.default.createDirectory(at: source, withIntermediateDirectories: true)
        try Data("name: hello-web\nversion: 1.2.0\nflavor: compose\n".utf8).write(to: source.appendingPathComponent("stack.yaml"))
        try Data("services:\n  web: {image: \"busybox:1\", user: \"1000\"}\n".utf8).write(to: source.appendingPathComponent("compose.yaml"))
        var noise = [UInt8](repeating: 0, count: 8 << 20)
        var x: UInt64 = 0x9E3779B97F4A7C15
        for i in noise.indices { x ^= x << 13; x ^= x >> 7; x ^= x << 17; noise[i] = UInt8(truncatingIfNeeded: x) }
        try Data(noise).write(to: source.appendingPathComponent("blob.bin"))
        let output = signed.tmp.path("p.stack")
        let (created, createConsole) = await run(["bundle", "create", source.path, "-o", output.path], home: signed.home, interactive: true)
        #expect(created == 0, "\(createConsole.stderr)")
        #expect(createConsole.stderr.contains("creating") && createConsole.stderr.contains("100%"), "\(createConsole.stderr)")
        try signed.sign(output)
        let (verified, verifyConsole) = await run(["bundle", "verify", output.path], home: signed.home, interactive: true)
        #expect(verified == 0, "\(verifyConsole.stderr)")
        #expect(verifyConsole.stderr.contains("verifying") && verifyConsole.stderr.contains("checking"), "\(verifyConsole.stderr)")
        #expect(verifyConsole.stderr.contains("100%"))
        let (plain, plainConsole) = await run(["bundle", "verify", output.path], home: signed.home, interactive: false)
        #expect(plain == 0)
        #expect(!plainConsole.stderr.contains("\r"), "no bar off a terminal")
        let (json, jsonConsole) = await run(["--json", "bundle", "verify", output.path], home: signed.home, interactive: true)
        #expect(json == 0)
        #expect(!jsonConsole.stderr.contains("\r"), "no bar with --json")
    }
}

/// A bundle cannot redraw what the user reads (issue 12, finding 1): escape sequences in
/// its values are shown, never acted on; control characters in its keys are refused.
@Suite("terminal escape injection")
struct TerminalInjectionTests {
    static func bundle(_ signed: SignedHome, compose: String) throws -> URL {
        var tar = TarBuilder()
        tar.add("stack.yaml", text: "name: hello-web\nversion: 1.2.0\nflavor: compose\n")
        tar.add("compose.yaml", text: compose)
        let url = signed.tmp.path("inject-\(UUID().uuidString.prefix(6)).stack")
        try tar.write(to: url)
        try signed.sign(url)
        return url
    }

    @Test("an escape sequence in a value reaches verify and the approval prompt as visible text; the compose-only port is listed")
    func valuesShown() async throws {
        let signed = try await SignedHome.make("inject")
        let file = try Self.bundle(signed, compose: """
            services:
              web:
                image: "busybox:1"
                user: "1000"
                environment: {NOTE: "\\e[3A\\e[2Kegress:     none"}
                labels: {note: "\\e]0;title\\a\\u202Ereversed"}
                ports: ["127.0.0.1:9999:80"]
            """)
        let verify = await signed.run(["bundle", "verify", file.path])
        #expect(verify.status == 0, "\(verify.stderr)")
        #expect(!verify.stdout.contains("\u{1B}") && !verify.stderr.contains("\u{1B}"))
        #expect(verify.stdout.contains("port:     127.0.0.1:9999->80/tcp"), "\(verify.stdout)")
        let console = BufferConsole(interactive: true, answers: ["n"])
        let status = await StackCLI.run(["--home", signed.home.path, "run", file.path],
                                        environment: ProcessInfo.processInfo.environment, console: console, adapters: .live())
        #expect(status == 6)
        #expect(console.stderr.contains("egress:     none: no route out"), "\(console.stderr)")
        #expect(!console.stderr.contains("\u{1B}") && !console.stderr.contains("\u{202E}"), "\(console.stderr)")
    }

    @Test("a control character in a compose key is compose.invalid at decode, with its position")
    func keysRefused() async throws {
        let signed = try await SignedHome.make("inject-key")
        let file = try Self.bundle(signed, compose: "services:\n  web:\n    image: busybox\n    \"x\\e[2K\": 1\n")
        let result = await signed.run(["--json", "bundle", "verify", file.path])
        #expect(result.errorCode == "compose.invalid", "\(result.stdout)")
        let message = ((result.json?["error"] as? [String: Any])?["message"] as? String) ?? ""
        #expect(message.contains("compose.yaml:4:5") && message.contains("\\x1b[2K"), "\(message)")
    }
}

/// Another local user must not be able to swap the trusted keys (issue 12, finding 8).
@Suite("a home other users can write is refused")
struct UnsafeHomeTests {
    @Test("init on a world-writable folder, and any command when keys/, secrets/ or trust.json can be written by others or is a link")
    func refused() async throws {
        let tmp = try TemporaryDirectory("unsafe-home")
        let open = tmp.path("open")
        try FileManager.default.createDirectory(at: open, withIntermediateDirectories: true)
        chmod(open.path, 0o777)
        let initOpen = await stackctl(["--home", open.path, "--json", "init"])
        #expect(initOpen.errorCode == "home.unsafe", "\(initOpen.stdout)")
        #expect(initOpen.stdout.contains("chmod go-w \(open.path)"))
        #expect(!FileManager.default.fileExists(atPath: open.appendingPathComponent("config.json").path))

        let home = tmp.path("home")
        #expect(await stackctl(["--home", home.path, "init"]).status == 0)
        #expect(try permissions(of: home) & 0o077 == 0, "init makes its home private")
        for (path, mode) in [("keys/trusted", 0o777), ("keys", 0o775), ("secrets", 0o770)] {
            let url = home.appendingPathComponent(path)
            let before = try permissions(of: url)
            chmod(url.path, mode_t(mode))
            let result = await stackctl(["--home", home.path, "--json", "keys", "list"])
            #expect(result.errorCode == "home.unsafe", "\(path): \(result.stdout)")
            #expect(result.stdout.contains(url.path))
            chmod(url.path, mode_t(before))
        }
        let trust = home.appendingPathComponent("trust.json")
        try? FileManager.default.removeItem(at: trust)
        try Data("{}".utf8).write(to: tmp.path("elsewhere.json"))
        try FileManager.default.createSymbolicLink(atPath: trust.path, withDestinationPath: tmp.path("elsewhere.json").path)
        let linked = await stackctl(["--home", home.path, "--json", "trust", "list"])
        #expect(linked.errorCode == "home.unsafe", "\(linked.stdout)")
        try FileManager.default.removeItem(at: trust)
        #expect(await stackctl(["--home", home.path, "keys", "list"]).status == 0)
    }
}

/// The permission bits of a path.
private func permissions(of url: URL) throws -> Int {
    ((try FileManager.default.attributesOfItem(atPath: url.path))[.posixPermissions] as? Int ?? 0) & 0o7777
}

/// SIGKILL mid-unpack (issue 12, faults): what the killed process staged is removed by the
/// next command, and a live process's staging is never touched.
@Suite("staging left by a killed process", .serialized)
struct AbandonedStagingTests {
    /// A signed bundle big enough that unpacking it takes a while.
    static func bigBundle(_ signed: SignedHome) async throws -> URL {
        let source = signed.tmp.path("big")
        try FileManager.default.createDirectory(at: source, withIntermediateDirectories: true)
        try Data("name: hello-web\nversion: 1.2.0\nflavor: compose\n".utf8).write(to: source.appendingPathComponent("stack.yaml"))
        try Data("services:\n  web: {image: \"stacktest/busybox:1\", user: \"1000\"}\n".utf8)
            .write(to: source.appendingPathComponent("compose.yaml"))
        for i in 0..<4 {
            _ = try await program("/bin/dd", ["if=/dev/urandom", "of=\(source.appendingPathComponent("blob\(i)").path)",
                                              "bs=1M", "count=40"])
        }
        let output = signed.tmp.path("big.stack")
        #expect(await signed.run(["bundle", "create", source.path, "-o", output.path]).status == 0)
        try signed.sign(output)
        return output
    }

    /// Starts the real binary, waits until a staging directory with content appears in
    /// `directory`, and kills it with SIGKILL.
    static func killDuringUnpack(_ arguments: [String], home: URL, watching directory: URL) throws -> Bool {
        let process = Process()
        process.executableURL = stackctlBinary()
        process.arguments = ["--home", home.path] + arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        var seen = false
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline && process.isRunning {
            let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
            if let staging = names.first(where: { $0.hasPrefix(".stack-staging-") }),
               let inside = try? FileManager.default.contentsOfDirectory(atPath: directory.appendingPathComponent(staging).path),
               inside.contains(where: { $0.hasPrefix("blob") }) {
                seen = true
                break
            }
            usleep(2_000)
        }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        return seen
    }

    static func staging(in directory: URL) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []).filter { $0.hasPrefix(".stack-staging-") }
    }

    @Test("run killed while unpacking into the home: the next command removes the staging; unpack -o killed: the next unpack beside it does")
    func recovered() async throws {
        let signed = try await SignedHome.make("killed")
        let bundle = try await Self.bigBundle(signed)
        let tmpDir = signed.home.appendingPathComponent("tmp")
        let killed = try await onOwnThread {
            try Self.killDuringUnpack(["run", "--yes", bundle.path], home: signed.home, watching: tmpDir)
        }
        #expect(killed, "the run was not caught mid-unpack")
        #expect(!Self.staging(in: tmpDir).isEmpty, "a killed unpack leaves staging (the case this recovers)")
        // A live process's staging is left alone.
        let live = tmpDir.appendingPathComponent(".stack-staging-\(getpid())-keepme")
        try FileManager.default.createDirectory(at: live, withIntermediateDirectories: true)
        #expect(await signed.run(["ps"]).status == 0)
        #expect(Self.staging(in: tmpDir) == [live.lastPathComponent])
        try FileManager.default.removeItem(at: live)

        let parent = signed.tmp.path("out")
        try FileManager.default.createDirectory(at: parent, withIntermediateDirectories: true)
        let target = parent.appendingPathComponent("unpacked")
        let killedUnpack = try await onOwnThread {
            try Self.killDuringUnpack(["bundle", "unpack", bundle.path, "-o", target.path], home: signed.home, watching: parent)
        }
        #expect(killedUnpack)
        #expect(!Self.staging(in: parent).isEmpty)
        let again = await signed.run(["bundle", "unpack", bundle.path, "-o", target.path])
        #expect(again.status == 0, "\(again.stderr)")
        #expect(Self.staging(in: parent).isEmpty)
        #expect(FileManager.default.fileExists(atPath: target.appendingPathComponent("stack.yaml").path))
    }
}

extension AbandonedStagingTests {
    @Test("serve killed mid-operation (while unpacking a downloaded bundle): the next start leaves no staging, no record, no stack folder")
    func serveKilled() async throws {
        let signed = try await SignedHome.make("serve-killed")
        let bundle = try await Self.bigBundle(signed)
        let site = try TemporaryDirectory("serve-killed-site")
        try FileManager.default.copyItem(at: bundle, to: site.path("big.stack"))
        try FileManager.default.copyItem(atPath: bundle.path + ".minisig", toPath: site.path("big.stack.minisig").path)
        let secretFile = signed.home.appendingPathComponent("secrets/api.secret")
        let website = try StandInWebsite(directory: site.url, secretFile: secretFile, audience: "https://stack.lol")
        defer { website.stop() }
        #expect(await signed.run(["config", "set", "catalog.origins", "[\"https://stack.lol\", \"\(website.origin)\"]"]).status == 0)
        // Trusted, so the server unpacks without waiting for an approval.
        #expect(await signed.run(["trust", "add", "hello-web"]).status == 0)
        let server = try LiveServer.start(home: signed.home)
        let sha = try await program("/usr/bin/sha256sum", [bundle.path]).stdout.split(separator: " ").first.map(String.init) ?? ""
        let body = #"{"bundle_url": "\#(website.origin)/big.stack", "sha256": "\#(sha)"}"#
        let token = try await pyjwt(secretFile: secretFile, scope: "stacks:run", body: body)
        let posted = try await server.curl("/v1/stacks", method: "POST",
                                           headers: ["Authorization: Bearer \(token)", "Content-Type: application/json"], body: body)
        #expect(posted.status == 202, "\(posted.body)")
        let tmpDir = signed.home.appendingPathComponent("tmp")
        let caught = try await onOwnThread { () -> Bool in
            let deadline = Date().addingTimeInterval(60)
            while Date() < deadline {
                let names = (try? FileManager.default.contentsOfDirectory(atPath: tmpDir.path)) ?? []
                if let staging = names.first(where: { $0.hasPrefix(".stack-staging-") }),
                   let inside = try? FileManager.default.contentsOfDirectory(atPath: tmpDir.appendingPathComponent(staging).path),
                   inside.contains(where: { $0.hasPrefix("blob") }) {
                    kill(server.process.processIdentifier, SIGKILL)
                    return true
                }
                usleep(2_000)
            }
            return false
        }
        server.process.waitUntilExit()
        #expect(caught, "serve was not caught mid-unpack")
        // The next start of anything: no staging, nothing installed, the home still usable.
        let ps = await signed.run(["--json", "ps"])
        #expect(ps.status == 0, "\(ps.stderr)")
        #expect(((try? JSONSerialization.jsonObject(with: Data(ps.stdout.utf8))) as? [Any])?.isEmpty == true, "\(ps.stdout)")
        #expect(Self.staging(in: tmpDir).isEmpty)
        #expect(((try? FileManager.default.contentsOfDirectory(atPath: signed.home.appendingPathComponent("stacks").path)) ?? []).isEmpty)
        // The replay ledger still parses, and a new server answers.
        let ledger = signed.home.appendingPathComponent("state/jti.json")
        if FileManager.default.fileExists(atPath: ledger.path) {
            #expect((try? JSONSerialization.jsonObject(with: Data(contentsOf: ledger))) != nil)
        }
        let again = try LiveServer.start(home: signed.home)
        defer { again.stop() }
        #expect(try await again.curl("/v1/health").status == 200)
    }
}
