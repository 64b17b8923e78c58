import Foundation
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
}
