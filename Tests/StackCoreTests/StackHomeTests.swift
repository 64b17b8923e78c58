import Foundation
import StackCore
import StackTestSupport
import Testing

@Suite("Home layout and configuration")
struct StackHomeTests {
    static let resolutions: [(override: String?, environment: [String: String], root: String)] = [
        ("/opt/flag", ["STACK_HOME": "/opt/env", "HOME": "/home/u"], "/opt/flag"),
        (nil, ["STACK_HOME": "/opt/env", "HOME": "/home/u"], "/opt/env"),
        ("", ["STACK_HOME": "/opt/env", "HOME": "/home/u"], "/opt/env"),
        (nil, ["HOME": "/home/u"], "/home/u/.stack"),
        (nil, ["STACK_HOME": "", "HOME": "/home/u"], "/home/u/.stack"),
        ("", ["HOME": "/home/u"], "/home/u/.stack"),
        ("/opt/flag/", [:], "/opt/flag"),
        ("/opt/x/../flag", [:], "/opt/flag"),
    ]

    @Test("--home wins over STACK_HOME, which wins over HOME/.stack", arguments: resolutions)
    func resolve(_ override: String?, _ environment: [String: String], _ root: String) {
        #expect(StackHome.resolve(override: override, environment: environment).root.path == root)
    }

    @Test("initialize() creates every directory with its mode and a default config.json")
    func initialize() throws {
        let tmp = try TemporaryDirectory("home-init")
        let home = StackHome(root: tmp.path("home"))
        #expect(!home.isInitialized)

        let created = try home.initialize()

        #expect(Set(created) == Set(home.directories.map(\.0.path) + [home.configFile.path]))
        #expect(created.count == home.directories.count + 1)
        for (url, mode) in home.directories {
            var isDirectory: ObjCBool = false
            #expect(FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) && isDirectory.boolValue,
                    "\(url.path)")
            #expect(try permissions(of: url) == mode, "\(url.path)")
        }
        #expect(try permissions(of: home.configFile) == 0o600)
        #expect(try StackConfig.load(from: home) == StackConfig())
        #expect(home.isInitialized)
        try home.requireInitialized()
        // Nothing but the layout, the config and the lock file.
        let expected = Set(home.directories.map(\.0.lastPathComponent).filter { $0 != "home" && $0 != "trusted" }
            + ["config.json", ".lock"])
        #expect(Set(try contents(of: home.root)) == expected)
    }

    @Test("initialize() is idempotent and keeps an existing config.json")
    func initializeIdempotent() throws {
        let tmp = try TemporaryDirectory("home-again")
        let home = StackHome(root: tmp.path("home"))
        try home.initialize()
        var custom = StackConfig()
        custom.api.port = 12_345
        custom.limits.maxEntries = 7
        try AtomicFile.write(Array(custom.encoded()), to: home.configFile, mode: 0o600)
        let snapshot = tmp.snapshot()

        #expect(try home.initialize() == [])
        #expect(tmp.snapshot() == snapshot)
        #expect(try StackConfig.load(from: home) == custom)
    }

    @Test("initialize() recreates a missing directory only")
    func initializeRepairs() throws {
        let tmp = try TemporaryDirectory("home-repair")
        let home = StackHome(root: tmp.path("home"))
        try home.initialize()
        try FileManager.default.removeItem(at: home.logsDirectory)
        #expect(try home.initialize() == [home.logsDirectory.path])
        #expect(try permissions(of: home.logsDirectory) == 0o700)
    }

    @Test("initialize() fails with home.invalid when a layout path is a regular file",
          arguments: ["state", "keys", "tmp", "keys/trusted"])
    func initializeRefusesFile(_ relative: String) throws {
        let tmp = try TemporaryDirectory("home-invalid")
        let home = StackHome(root: tmp.path("home"))
        let blocker = home.root.appendingPathComponent(relative)
        try FileManager.default.createDirectory(at: blocker.deletingLastPathComponent(),
                                                withIntermediateDirectories: true)
        try Data("not a directory".utf8).write(to: blocker)

        let error = stackError { try home.initialize() }

        #expect(error?.code == .homeInvalid)
        #expect(error?.message.contains(blocker.path) == true, "\(String(describing: error))")
        #expect(try String(contentsOf: blocker, encoding: .utf8) == "not a directory")
        #expect(!home.isInitialized)
    }

    @Test("initialize() fails with home.invalid when the root is a regular file")
    func initializeRefusesFileRoot() throws {
        let tmp = try TemporaryDirectory("home-root-file")
        try Data("x".utf8).write(to: tmp.path("home"))
        let error = stackError { try StackHome(root: tmp.path("home")).initialize() }
        #expect(error?.code == .homeInvalid)
        #expect(tmp.snapshot() == ["home"])
    }

    @Test("requireInitialized() fails with home.not_initialized and a hint")
    func requireInitialized() throws {
        let tmp = try TemporaryDirectory("home-not-init")
        for home in [StackHome(root: tmp.url), StackHome(root: tmp.path("absent"))] {
            let error = stackError { try home.requireInitialized() }
            #expect(error?.code == .homeNotInitialized)
            #expect(error?.hint?.contains("stackctl init") == true)
        }
    }

    @Test("StackConfig.load returns the defaults when config.json is absent")
    func loadAbsent() throws {
        let tmp = try TemporaryDirectory("config-absent")
        #expect(try StackConfig.load(from: StackHome(root: tmp.url)) == StackConfig())
    }

    @Test("encoded() is sorted, pretty JSON that round-trips")
    func encodedRoundTrip() throws {
        var config = StackConfig()
        config.catalog.origins = ["https://a.example", "https://b.example"]
        config.approval.mode = "deny"
        config.limits.maxCompressionRatio = 50.5
        let text = String(decoding: config.encoded(), as: UTF8.self)
        #expect(text.hasSuffix("}\n"))
        #expect(text.contains("\"https://a.example\""))   // slashes not escaped
        let keys = ["\"api\"", "\"approval\"", "\"catalog\"", "\"limits\""].map { text.range(of: $0)?.lowerBound }
        #expect(keys.allSatisfy { $0 != nil })
        #expect(keys.compactMap { $0 } == keys.compactMap { $0 }.sorted())
        #expect(try JSONDecoder().decode(StackConfig.self, from: config.encoded()) == config)
    }

    static let corrupt: [(name: String, text: String)] = [
        ("not JSON", "{not json"),
        ("empty file", ""),
        ("an array", "[]"),
        ("wrong type", #"{"api": {"port": "eighty"}, "approval": {"mode": "prompt"}, "catalog": {"issuer": "x", "origins": []}, "limits": {}}"#),
    ]

    @Test("StackConfig.load fails with config.invalid on a corrupt file", arguments: corrupt)
    func loadCorrupt(_ name: String, _ text: String) throws {
        let tmp = try TemporaryDirectory("config-corrupt")
        let home = StackHome(root: tmp.url)
        try Data(text.utf8).write(to: home.configFile)
        let error = stackError { _ = try StackConfig.load(from: home) }
        #expect(error?.code == .configInvalid, "\(name): \(String(describing: error))")
        #expect(error?.message.contains(home.configFile.path) == true)
        // What is wrong is said once, in words: the cause (when kept) carries no Swift dump.
        #expect(error?.cause != nil || error?.message.contains("api.port: expected a whole number") == true,
                "\(name): \(String(describing: error))")
        for leak in ["DecodingError", "Swift.", "Optional(", "Debug description"] {
            #expect(error?.description.contains(leak) == false, "\(name): \(String(describing: error))")
        }
    }

    @Test("StackConfig.load refuses unknown keys, as its documentation promises",
          arguments: [["typo"], ["api", "prot"], ["limits", "maxEntrys"]])
    func loadRefusesUnknownKeys(_ keyPath: [String]) throws {
        let tmp = try TemporaryDirectory("config-unknown")
        let home = StackHome(root: tmp.url)
        var document = try #require(try JSONSerialization.jsonObject(with: StackConfig().encoded()) as? [String: Any])
        if keyPath.count == 1 {
            document[keyPath[0]] = 1
        } else {
            var inner = try #require(document[keyPath[0]] as? [String: Any])
            inner[keyPath[1]] = 1
            document[keyPath[0]] = inner
        }
        try JSONSerialization.data(withJSONObject: document).write(to: home.configFile)
        let error = stackError { _ = try StackConfig.load(from: home) }
        #expect(error?.code == .configInvalid, "\(keyPath.joined(separator: ".")) was accepted")
    }
}
