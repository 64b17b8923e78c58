import Foundation
import StackBundle
import StackCore
import StackTestSupport
import Testing

@Suite("Entry policy while unpacking")
struct UnpackPolicyTests {
    let workflow = BundleWorkflow(format: LibArchiveFormat(), decoder: StubManifestDecoder())

    /// Paths outside the test directory that hostile entries aim at.
    static let outsideTargets = ["/tmp/stack-evil-absolute", "/tmp/stack-evil-through-link", "/tmp/evil"]

    @Test("rejects each hostile bundle with its exact code and leaves nothing behind",
          arguments: HostileBundles.all)
    func rejects(_ hostile: HostileBundle) throws {
        let tmp = try TemporaryDirectory("unpack-policy")
        let bundleURL = tmp.path("evil.stack")
        try hostile.write(bundleURL)
        let parent = tmp.path("out")
        try FileManager.default.createDirectory(at: parent, withIntermediateDirectories: true)
        let destination = parent.appendingPathComponent("dest")
        let before = tmp.snapshot()

        let bundle = try BundleFile(path: bundleURL.path)
        let error = stackError { _ = try workflow.unpack(bundle, to: destination, limits: hostile.limits) }

        #expect(error?.code == hostile.expected, "\(hostile.name): \(String(describing: error))")
        #expect(error?.exitStatus == .policy)
        #expect(!FileManager.default.fileExists(atPath: destination.path))
        #expect(try FileManager.default.contentsOfDirectory(atPath: parent.path).isEmpty)
        #expect(tmp.snapshot() == before)
        for target in Self.outsideTargets {
            #expect(!FileManager.default.fileExists(atPath: target), "\(target) was written")
        }
    }

    @Test("listing a hostile bundle fails the same way and writes nothing",
          arguments: HostileBundles.all.filter { $0.name != "1 GiB of zeros" })
    func listRejects(_ hostile: HostileBundle) throws {
        let tmp = try TemporaryDirectory("list-policy")
        let bundleURL = tmp.path("evil.stack")
        try hostile.write(bundleURL)
        let before = tmp.snapshot()
        let bundle = try BundleFile(path: bundleURL.path)
        let error = stackError { _ = try LibArchiveFormat().list(bundle, limits: hostile.limits) { _, _ in true } }
        #expect(error?.code == hostile.expected, "\(hostile.name): \(String(describing: error))")
        #expect(tmp.snapshot() == before)
    }

    @Test("a valid bundle unpacks with sanitised modes")
    func unpacksValidBundle() throws {
        let tmp = try TemporaryDirectory("unpack-ok")
        var tar = Fixtures.validBundle()
        tar.add("bin", .directory, mode: 0o1777)
        tar.add("bin/tool", .file(Array("#!/bin/sh\n".utf8)), mode: 0o4777)
        tar.add("shared.txt", .file(Array("x".utf8)), mode: 0o666)
        let bundleURL = tmp.path("ok.stack")
        try tar.write(to: bundleURL)
        let destination = tmp.path("dest")

        let result = try workflow.unpack(try BundleFile(path: bundleURL.path), to: destination)

        #expect(result.listing.entries.map(\.path) ==
            ["stack.yaml", "compose.yaml", "docs", "docs/README.md", "bin", "bin/tool", "shared.txt"])
        let manifest = try String(contentsOf: destination.appendingPathComponent("stack.yaml"), encoding: .utf8)
        #expect(manifest == Fixtures.manifest)
        #expect(try mode(destination.appendingPathComponent("bin/tool")) == 0o775)
        #expect(try mode(destination.appendingPathComponent("bin")) == 0o775)
        #expect(try mode(destination.appendingPathComponent("shared.txt")) == 0o664)
        #expect(try mode(destination) == 0o755)
        #expect(tmp.snapshot().filter { $0.contains("staging") }.isEmpty)
    }

    @Test("an archive made by tar with ./ prefixes is accepted, gzip, xz and plain")
    func acceptsSystemTar() throws {
        let tmp = try TemporaryDirectory("system-tar")
        let source = tmp.path("src")
        try Fixtures.writeSourceTree(to: source)
        for (flag, name) in [("-z", "gz"), ("-J", "xz"), ("", "plain")] {
            let archive = tmp.path("bundle-\(name).stack")
            try run("/bin/tar", ["-C", source.path, "-c"] + (flag.isEmpty ? [] : [flag]) + ["-f", archive.path, "."])
            let destination = tmp.path("dest-\(name)")
            let result = try workflow.unpack(try BundleFile(path: archive.path), to: destination)
            #expect(result.listing.entries.contains { $0.path == "docs/README.md" }, "\(name)")
            #expect(FileManager.default.fileExists(atPath: destination.appendingPathComponent("docs/README.md").path))
        }
    }

    @Test("unpack never overwrites an existing destination")
    func refusesExistingDestination() throws {
        let tmp = try TemporaryDirectory("exists")
        let bundleURL = tmp.path("ok.stack")
        try Fixtures.validBundle().write(to: bundleURL)
        let destination = tmp.path("dest")
        try FileManager.default.createDirectory(at: destination, withIntermediateDirectories: false)
        let error = stackError { _ = try workflow.unpack(try BundleFile(path: bundleURL.path), to: destination) }
        #expect(error?.code == .destinationExists)
        #expect(try FileManager.default.contentsOfDirectory(atPath: destination.path).isEmpty)
        #expect(try FileManager.default.contentsOfDirectory(atPath: tmp.url.path).sorted() == ["dest", "ok.stack"])
    }

    @Test("a decoder failure after extraction removes the staging directory")
    func decoderFailureCleansUp() throws {
        let tmp = try TemporaryDirectory("decoder-fail")
        let bundleURL = tmp.path("ok.stack")
        try Fixtures.validBundle().write(to: bundleURL)
        let failing = BundleWorkflow(format: LibArchiveFormat(), decoder: StubManifestDecoder(
            failure: StackError(.manifestInvalidField, "stack.yaml:1:1: name: bad")))
        let destination = tmp.path("dest")
        let error = stackError { _ = try failing.unpack(try BundleFile(path: bundleURL.path), to: destination) }
        #expect(error?.code == .manifestInvalidField)
        #expect(try FileManager.default.contentsOfDirectory(atPath: tmp.url.path) == ["ok.stack"])
    }

    private func mode(_ url: URL) throws -> Int {
        let attributes = try FileManager.default.attributesOfItem(atPath: url.path)
        return (attributes[.posixPermissions] as? Int ?? -1) & 0o7777
    }
}

/// Runs a program and throws unless it exits 0.
func run(_ program: String, _ arguments: [String]) throws {
    let result = try ChildProcess.runBlocking(program, arguments)
    guard result.status == 0 else {
        throw StackError(.internalError, "\(program) \(arguments.joined(separator: " ")) exited \(result.status): \(result.stderr)")
    }
}
