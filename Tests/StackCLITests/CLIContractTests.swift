import Foundation
import StackCLI
import StackCore
import StackTestSupport
import Testing

@Suite("stackctl contract: help, version, usage errors, init")
struct CLIContractTests {
    @Test("the real binary prints help in the OVERVIEW/USAGE/OPTIONS/SUBCOMMANDS layout")
    func rootHelp() async throws {
        let result = try await runBinary(["help"])
        #expect(result.status == 0)
        for heading in ["OVERVIEW:", "USAGE: stackctl", "OPTIONS:", "SUBCOMMANDS:", "EXIT CODES:"] {
            #expect(result.stdout.contains(heading), "missing \(heading)")
        }
        #expect(result.stdout.contains("  bundle "))
    }

    @Test("help for a command shows its arguments and options", arguments: [
        ["help", "bundle", "unpack"], ["bundle", "unpack", "--help"], ["bundle", "unpack", "-h"],
    ])
    func commandHelp(_ arguments: [String]) async {
        let result = await stackctl(arguments)
        #expect(result.status == 0)
        #expect(result.stdout.contains("USAGE: stackctl bundle unpack <file>"))
        #expect(result.stdout.contains("ARGUMENTS:\n  <file>"))
        #expect(result.stdout.contains("-o, --output <dir>"))
    }

    @Test("group help lists subcommands")
    func groupHelp() async {
        let result = await stackctl(["bundle"])
        #expect(result.status == 0)
        #expect(result.stdout.contains("SUBCOMMANDS:"))
        for name in ["create", "inspect", "unpack"] { #expect(result.stdout.contains("  \(name) ")) }
    }

    @Test("--version, plain and JSON")
    func version() async throws {
        #expect(await stackctl(["--version"]).stdout == "stackctl \(StackCLI.version)\n")
        let json = await stackctl(["--version", "--json"]).json
        #expect(json?["version"] as? String == StackCLI.version)
    }

    @Test("usage errors exit 2 with a stable code", arguments: [
        ["frobnicate"], ["bundle", "frob"], ["bundle", "unpack"], ["bundle", "unpack", "a", "b"],
        ["bundle", "unpack", "x.stack", "--bogus"], ["bundle", "unpack", "x.stack", "-o"],
        ["bundle", "create", "dir"], ["help", "nothing"], ["init", "--home"],
    ])
    func usageErrors(_ arguments: [String]) async {
        let result = await stackctl(["--json"] + arguments)
        #expect(result.status == 2, "\(arguments): \(result.stdout)")
        #expect(result.errorCode == "usage.invalid")
    }

    @Test("usage errors on the real binary go to stderr with the code and exit 2")
    func usageErrorText() async throws {
        let result = try await runBinary(["bundle", "unpack"])
        #expect(result.status == 2)
        #expect(result.stdout.isEmpty)
        #expect(result.stderr.contains("missing <file>"))
        #expect(result.stderr.contains("[usage.invalid]"))
    }

    @Test("init creates the home with private modes and is idempotent")
    func initHome() async throws {
        let tmp = try TemporaryDirectory("cli-init")
        let home = tmp.path("home")
        let first = await stackctl(["--json", "--home", home.path, "init"])
        #expect(first.status == 0)
        #expect((first.json?["created"] as? [String])?.contains(home.appendingPathComponent("config.json").path) == true)
        for (relative, mode) in [("", 0o700), ("secrets", 0o700), ("state", 0o700), ("keys/trusted", 0o755), ("volumes", 0o755)] {
            let attributes = try FileManager.default.attributesOfItem(atPath: home.appendingPathComponent(relative).path)
            #expect((attributes[.posixPermissions] as? Int) == mode, "\(relative)")
        }
        let config = try JSONSerialization.jsonObject(with: Data(contentsOf: home.appendingPathComponent("config.json"))) as? [String: Any]
        #expect(((config?["catalog"] as? [String: Any])?["origins"] as? [String]) == ["https://stack.lol"])
        let second = await stackctl(["--json", "init"], home: home)
        #expect(second.status == 0)
        #expect((second.json?["created"] as? [String]) == [])
    }

    @Test("init refuses a home path that is a file")
    func initOnFile() async throws {
        let tmp = try TemporaryDirectory("cli-init-file")
        try Data("x".utf8).write(to: tmp.path("file"))
        let result = await stackctl(["--json", "--home", tmp.path("file").path, "init"])
        #expect(result.status == 1)
        #expect(result.errorCode == "home.invalid")
    }
}
