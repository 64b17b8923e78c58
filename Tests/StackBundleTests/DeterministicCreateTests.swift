import Foundation
import StackBundle
import StackCore
import StackTestSupport
import Testing

@Suite("Reproducible bundle creation")
struct DeterministicCreateTests {
    let format = LibArchiveFormat()

    @Test("identical input gives identical bytes whatever the mtimes, modes and umask")
    func byteIdentical() throws {
        let tmp = try TemporaryDirectory("create")
        let first = tmp.path("a")
        let second = tmp.path("b")
        try Fixtures.writeSourceTree(to: first)
        try "caf\u{E9}\n".write(to: first.appendingPathComponent("docs/caf\u{E9}.txt"), atomically: false, encoding: .utf8)
        let oldUmask = umask(0o077)
        try Fixtures.writeSourceTree(to: second)
        try "caf\u{E9}\n".write(to: second.appendingPathComponent("docs/caf\u{E9}.txt"), atomically: false, encoding: .utf8)
        umask(oldUmask)
        let fm = FileManager.default
        try fm.setAttributes([.modificationDate: Date(timeIntervalSince1970: 1_000)],
                             ofItemAtPath: second.appendingPathComponent("stack.yaml").path)
        try fm.setAttributes([.posixPermissions: 0o600],
                             ofItemAtPath: second.appendingPathComponent("compose.yaml").path)

        let outA = tmp.path("a.stack")
        let outB = tmp.path("b.stack")
        let listing = try format.create(from: first, to: outA)
        Thread.sleep(forTimeInterval: 1.1)
        _ = try format.create(from: second, to: outB)

        #expect(try Data(contentsOf: outA) == Data(contentsOf: outB))
        #expect(listing.entries.map(\.path) == ["compose.yaml", "docs", "docs/README.md", "docs/caf\u{E9}.txt", "stack.yaml"])
        // gzip header: no MTIME (bytes 4..<8) and no FNAME flag (bit 3 of byte 3).
        let bytes = try [UInt8](Data(contentsOf: outA))
        #expect(bytes[0] == 0x1F && bytes[1] == 0x8B)
        #expect(bytes[4..<8].allSatisfy { $0 == 0 })
        #expect(bytes[3] & 0x08 == 0)
    }

    @Test("a created bundle lists back with normalised metadata and unpacks")
    func roundTrip() throws {
        let tmp = try TemporaryDirectory("roundtrip")
        let source = tmp.path("src")
        try Fixtures.writeSourceTree(to: source)
        let longName = "docs/" + String(repeating: "l", count: 150) + "-caf\u{E9}.txt"
        try Data("long\n".utf8).write(to: source.appendingPathComponent(longName))
        let out = tmp.path("b.stack")
        _ = try format.create(from: source, to: out)
        let tarList = try output("/bin/tar", ["--numeric-owner", "-tvzf", out.path])
        #expect(tarList.contains("-rw-r--r-- 0/0"))
        #expect(tarList.contains("2000-01-01"))
        let workflow = BundleWorkflow(format: format, decoder: StubManifestDecoder())
        _ = try workflow.unpack(try BundleFile(path: out.path), to: tmp.path("dest"))
        let readme = try String(contentsOf: tmp.path("dest/docs/README.md"), encoding: .utf8)
        #expect(readme == "# Hello\n")
        #expect(try String(contentsOf: tmp.path("dest/" + longName), encoding: .utf8) == "long\n")
    }

    @Test("create refuses links, special files and trees without stack.yaml, leaving no output")
    func createRejects() throws {
        let tmp = try TemporaryDirectory("create-reject")
        let fm = FileManager.default
        let cases: [(String, StackError.Code, (URL) throws -> Void)] = [
            ("symlink", .bundleSymlink, { try fm.createSymbolicLink(atPath: $0.appendingPathComponent("link").path, withDestinationPath: "/etc/passwd") }),
            ("fifo", .bundleSpecialFile, { _ = mkfifo($0.appendingPathComponent("pipe").path, 0o644) }),
            ("no manifest", .bundleManifestMissing, { try fm.removeItem(at: $0.appendingPathComponent("stack.yaml")) }),
            ("collision", .bundleNameCollision, { try Data().write(to: $0.appendingPathComponent("STACK.yaml")) }),
        ]
        for (name, code, mutate) in cases {
            let source = tmp.path("src-\(name)")
            try Fixtures.writeSourceTree(to: source)
            try mutate(source)
            let out = tmp.path("out-\(name).stack")
            let error = stackError { _ = try format.create(from: source, to: out) }
            #expect(error?.code == code, "\(name): \(String(describing: error))")
            #expect(!fm.fileExists(atPath: out.path))
        }
        #expect(try fm.contentsOfDirectory(atPath: tmp.url.path).filter { $0.hasPrefix(".") }.isEmpty)
    }
}

/// Runs a program and returns its standard output.
func output(_ program: String, _ arguments: [String]) throws -> String {
    try ChildProcess.runBlocking(program, arguments).stdout
}
