import Foundation
import StackCLI
import StackCore
import StackTestSupport
import Testing

@Suite("stackctl bundle")
struct BundleCommandTests {
    @Test("unpack rejects each hostile bundle: exact code, exit 4, destination absent, nothing written",
          arguments: HostileBundles.all.filter { $0.limits == .default })
    func unpackRejects(_ hostile: HostileBundle) async throws {
        let signed = try await SignedHome.make("cli-hostile")
        let tmp = try TemporaryDirectory("cli-hostile")
        let bundle = tmp.path("evil.stack")
        try hostile.write(bundle)
        // Signed by a trusted publisher: the signature passes, so the entry policy decides.
        try signed.sign(bundle)
        let before = tmp.snapshot()
        let destination = tmp.path("out")

        let result = await signed.run(["--json", "bundle", "unpack", bundle.path, "-o", destination.path])

        #expect(result.status == 4, "\(hostile.name): \(result.stdout)")
        #expect(result.errorCode == hostile.expected.rawValue)
        #expect(!FileManager.default.fileExists(atPath: destination.path))
        #expect(tmp.snapshot() == before)
    }

    @Test("create, inspect and unpack a bundle; create is byte-identical twice")
    func createInspectUnpack() async throws {
        let signed = try await SignedHome.make("cli-ok")
        let tmp = try TemporaryDirectory("cli-ok")
        let source = tmp.path("src")
        try Fixtures.writeSourceTree(to: source)
        let first = await stackctl(["bundle", "create", source.path, "-o", tmp.path("a.stack").path])
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stdout.contains("hello-web 1.2.0"))
        let second = await stackctl(["--json", "bundle", "create", source.path, "-o", tmp.path("b.stack").path])
        #expect(second.status == 0)
        #expect(try Data(contentsOf: tmp.path("a.stack")) == Data(contentsOf: tmp.path("b.stack")))

        let before = tmp.snapshot()
        let inspect = await stackctl(["--json", "bundle", "inspect", tmp.path("a.stack").path])
        #expect(inspect.status == 0)
        let json = try #require(inspect.json)
        let sha = try #require(json["sha256"] as? String)
        #expect(sha.count == 64)
        #expect(sha == (second.json?["sha256"] as? String))
        let manifest = try #require(json["manifest"] as? [String: Any])
        #expect(manifest["name"] as? String == "hello-web")
        #expect(manifest["services"] as? [String] == ["web"])
        let entries = try #require(json["entries"] as? [[String: Any]])
        #expect(entries.compactMap { $0["path"] as? String } == ["compose.yaml", "docs", "docs/README.md", "stack.yaml"])
        #expect(tmp.snapshot() == before, "inspect wrote something")
        #expect(tmp.snapshot().contains("a.stack"))

        let unsigned = await signed.run(["--json", "bundle", "unpack", tmp.path("a.stack").path, "-o", tmp.path("out").path])
        #expect(unsigned.status == 3)
        #expect(unsigned.errorCode == "signature.missing")
        let sign = await signed.run(["bundle", "sign", tmp.path("a.stack").path, "--key", signed.secretKeyFile.path])
        #expect(sign.status == 0, "\(sign.stderr)")
        let unpack = await signed.run(["bundle", "unpack", tmp.path("a.stack").path, "-o", tmp.path("out").path])
        #expect(unpack.status == 0, "\(unpack.stderr)")
        #expect(FileManager.default.fileExists(atPath: tmp.path("out/docs/README.md").path))
        let again = await signed.run(["--json", "bundle", "unpack", tmp.path("a.stack").path, "-o", tmp.path("out").path])
        #expect(again.status == 1)
        #expect(again.errorCode == "io.destination_exists")
    }

    @Test("an invalid manifest is rejected with its field path and exit 4")
    func invalidManifest() async throws {
        let signed = try await SignedHome.make("cli-manifest")
        let tmp = try TemporaryDirectory("cli-manifest")
        var tar = TarBuilder()
        tar.add("stack.yaml", text: "name: hello-web\nversion: 1.2.0\nflavor: compose\nports:\n  - {service: web, prot: 80}\n")
        tar.add("compose.yaml", text: Fixtures.compose)
        try tar.write(to: tmp.path("bad.stack"))
        try signed.sign(tmp.path("bad.stack"))
        let result = await signed.run(["--json", "bundle", "unpack", tmp.path("bad.stack").path, "-o", tmp.path("out").path])
        #expect(result.status == 4)
        #expect(result.errorCode == "manifest.unknown_key")
        let message = ((result.json?["error"] as? [String: Any])?["message"] as? String) ?? ""
        #expect(message.contains("ports[0].prot"))
        #expect(!FileManager.default.fileExists(atPath: tmp.path("out").path))
        #expect(try FileManager.default.contentsOfDirectory(atPath: tmp.url.path).sorted() == ["bad.stack", "bad.stack.minisig"])
    }

    @Test("a bundle whose compose file is missing is rejected")
    func composeMissing() async throws {
        let tmp = try TemporaryDirectory("cli-compose")
        var tar = TarBuilder()
        tar.add("stack.yaml", text: Fixtures.manifest)
        try tar.write(to: tmp.path("nocompose.stack"))
        let result = await stackctl(["--json", "bundle", "inspect", tmp.path("nocompose.stack").path])
        #expect(result.status == 4)
        #expect(result.errorCode == "compose.missing")
    }
}
