import Foundation
import StackCLI
import StackCore
import StackSecurity
import StackTestSupport
import Testing

/// Runs a program with arguments and optional stdin; returns status and output.
func program(_ path: String, _ arguments: [String], input: String? = nil) async throws -> CLIResult {
    CLIResult(try await ChildProcess.run(path, arguments, input: Data((input ?? "").utf8)))
}

/// The blocking form of ``program(_:_:input:)``, for synchronous contexts.
func programBlocking(_ path: String, _ arguments: [String], input: String?) throws -> CLIResult {
    CLIResult(try ChildProcess.runBlocking(path, arguments, input: Data((input ?? "").utf8)))
}

@Suite("stackctl keys and signatures")
struct SignatureCommandTests {
    static func bundle(in dir: URL, name: String = "hello-web", version: String = "1.2.0",
                       compose: String = Fixtures.compose) throws -> URL {
        var tar = TarBuilder()
        tar.add("stack.yaml", text: Fixtures.manifest
            .replacingOccurrences(of: "name: hello-web", with: "name: \(name)")
            .replacingOccurrences(of: "version: 1.2.0", with: "version: \(version)"))
        tar.add("compose.yaml", text: compose)
        let url = dir.appendingPathComponent("\(name)-\(version).stack")
        try tar.write(to: url)
        return url
    }

    @Test("keys generate, trust, list, untrust; refusals have codes")
    func keyring() async throws {
        let signed = try await SignedHome.make("keys")
        let list = await signed.run(["--json", "keys", "list"])
        let keys = try #require((try? JSONSerialization.jsonObject(with: Data(list.stdout.utf8))) as? [[String: Any]])
        #expect(keys.count == 1)
        #expect(keys.first?["key_id"] as? String == signed.key.keyID)
        let again = await signed.run(["--json", "keys", "generate", "-o", signed.tmp.path("publisher").path])
        #expect(again.status == 1)
        #expect(again.errorCode == "io.destination_exists")
        let mode = try FileManager.default.attributesOfItem(atPath: signed.secretKeyFile.path)[.posixPermissions] as? Int
        #expect(mode == 0o600)
        try Data("not a key\n".utf8).write(to: signed.tmp.path("bad.pub"))
        let bad = await signed.run(["--json", "keys", "trust", signed.tmp.path("bad.pub").path])
        #expect(bad.errorCode == "key.invalid")
        let unknown = await signed.run(["--json", "keys", "untrust", "0123456789ABCDEF"])
        #expect(unknown.errorCode == "key.not_found")
        let untrust = await signed.run(["keys", "untrust", signed.key.keyID])
        #expect(untrust.status == 0)
        let after = await signed.run(["--json", "keys", "list"])
        #expect(((try? JSONSerialization.jsonObject(with: Data(after.stdout.utf8))) as? [Any])?.isEmpty == true)
    }

    @Test("bundle sign output verifies with the real minisign, and minisign's signatures verify here")
    func minisignInterop() async throws {
        let signed = try await SignedHome.make("interop")
        let bundle = try Self.bundle(in: signed.tmp.url)
        let sign = await signed.run(["bundle", "sign", bundle.path, "--key", signed.secretKeyFile.path])
        #expect(sign.status == 0, "\(sign.stderr)")
        let minisign = try await program("/usr/bin/minisign", ["-V", "-m", bundle.path, "-p", signed.publicKeyFile.path])
        #expect(minisign.status == 0, "\(minisign.stderr)")
        #expect(minisign.stdout.contains("stack:hello-web\tversion:1.2.0\tsha256:"))

        // The other direction: minisign signs with its own key, which we trust.
        let keyDir = signed.tmp.path("mkeys")
        try FileManager.default.createDirectory(at: keyDir, withIntermediateDirectories: true)
        let generate = try await program("/usr/bin/minisign", ["-G", "-W", "-p", keyDir.appendingPathComponent("m.pub").path,
                                                         "-s", keyDir.appendingPathComponent("m.key").path])
        #expect(generate.status == 0, "\(generate.stderr)")
        #expect(await signed.run(["keys", "trust", keyDir.appendingPathComponent("m.pub").path]).status == 0)
        let other = try Self.bundle(in: keyDir, version: "1.3.0")
        let msign = try await program("/usr/bin/minisign", ["-S", "-s", keyDir.appendingPathComponent("m.key").path, "-m", other.path,
                                                      "-t", "stack:hello-web\tversion:1.3.0"])
        #expect(msign.status == 0, "\(msign.stderr)")
        let verify = await signed.run(["--json", "bundle", "verify", other.path])
        #expect(verify.status == 0, "\(verify.stdout)")
        #expect(verify.json?["verdict"] as? String == "accepted")
    }

    /// A tamper case: how to break a correctly signed bundle, and the code it must get.
    struct Tamper: Sendable, CustomStringConvertible {
        let description: String
        let code: String
        let exit: Int32
        let extra: [String]
        let apply: @Sendable (SignedHome, URL) throws -> Void
    }

    static let tampers: [Tamper] = [
        Tamper(description: "flipped bundle byte", code: "signature.invalid", exit: 3, extra: []) { _, bundle in
            var bytes = [UInt8](try Data(contentsOf: bundle))
            bytes[bytes.count / 2] ^= 0x01
            try Data(bytes).write(to: bundle)
        },
        Tamper(description: "flipped trusted-comment byte", code: "signature.comment_tampered", exit: 3, extra: []) { _, bundle in
            let sig = URL(fileURLWithPath: bundle.path + ".minisig")
            let text = try String(contentsOf: sig, encoding: .utf8).replacingOccurrences(of: "version:1.2.0", with: "version:1.2.1")
            try Data(text.utf8).write(to: sig)
        },
        Tamper(description: "unbound trusted comment", code: "signature.comment_unbound", exit: 3, extra: []) { home, bundle in
            try home.sign(bundle, comment: "timestamp:1")
        },
        Tamper(description: "comment naming another stack", code: "signature.comment_unbound", exit: 3, extra: []) { home, bundle in
            try home.sign(bundle, stack: "other-stack")
        },
        Tamper(description: "comment naming another version", code: "signature.comment_unbound", exit: 3, extra: []) { home, bundle in
            try home.sign(bundle, version: "9.9.9")
        },
        Tamper(description: "untrusted key", code: "signature.untrusted_key", exit: 3, extra: []) { home, bundle in
            let stranger = try MinisignSecretKey.generate()
            let digests = try OpenSSLDigester().digests(of: try BundleFile(path: bundle.path))
            let text = try MinisignSigner().sign(digests: digests, trustedComment: "stack:hello-web\tversion:1.2.0",
                                                 untrustedComment: "x", key: stranger)
            try Data(text.utf8).write(to: URL(fileURLWithPath: bundle.path + ".minisig"))
        },
        Tamper(description: "missing .minisig", code: "signature.missing", exit: 3, extra: []) { _, bundle in
            try FileManager.default.removeItem(atPath: bundle.path + ".minisig")
        },
        Tamper(description: "3-line signature file", code: "signature.malformed", exit: 3, extra: []) { _, bundle in
            let sig = URL(fileURLWithPath: bundle.path + ".minisig")
            let lines = try String(contentsOf: sig, encoding: .utf8).split(separator: "\n")
            try Data((lines.prefix(3).joined(separator: "\n") + "\n").utf8).write(to: sig)
        },
        Tamper(description: "5-line signature file", code: "signature.malformed", exit: 3, extra: []) { _, bundle in
            let sig = URL(fileURLWithPath: bundle.path + ".minisig")
            try Data((try String(contentsOf: sig, encoding: .utf8) + "extra line\n").utf8).write(to: sig)
        },
        Tamper(description: "bad base64", code: "signature.malformed", exit: 3, extra: []) { _, bundle in
            let sig = URL(fileURLWithPath: bundle.path + ".minisig")
            var lines = try String(contentsOf: sig, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            lines[1] = "!!" + lines[1].dropFirst(2)
            try Data(lines.joined(separator: "\n").utf8).write(to: sig)
        },
        Tamper(description: "legacy Ed signature from minisign -l", code: "signature.legacy_algorithm", exit: 3, extra: []) { home, bundle in
            // Re-sign with the real minisign in legacy mode, using our (trusted) key.
            let result = try programBlocking("/usr/bin/minisign", ["-S", "-l", "-s", home.secretKeyFile.path, "-m", bundle.path,
                                                           "-t", "stack:hello-web\tversion:1.2.0"], input: nil)
            guard result.status == 0 else { throw StackError(.internalError, "minisign -l failed: \(result.stderr)") }
        },
        Tamper(description: "checksum mismatch", code: "checksum.mismatch", exit: 3,
               extra: ["--sha256", String(repeating: "0", count: 64)]) { _, _ in },
        Tamper(description: "downgrade below an installed version", code: "signature.rollback", exit: 3, extra: []) { home, _ in
            let ledger = VersionLedger(store: FileStateStore(home: StackHome(root: home.home)))
            try ledger.record(SemanticVersion("2.0.0")!, stack: "hello-web", keyID: home.key.keyID)
        },
    ]

    @Test("bundle verify rejects each tamper case with its exact code and exit 3", arguments: tampers)
    func tamper(_ tamper: Tamper) async throws {
        let signed = try await SignedHome.make("tamper")
        let bundle = try Self.bundle(in: signed.tmp.url)
        try signed.sign(bundle)
        #expect(await signed.run(["bundle", "verify", bundle.path]).status == 0, "the untampered bundle must verify")
        try tamper.apply(signed, bundle)
        let result = await signed.run(["--json", "bundle", "verify", bundle.path] + tamper.extra)
        #expect(result.status == tamper.exit, "\(tamper): \(result.stdout)")
        #expect(result.errorCode == tamper.code)
        // unpack refuses the same way and writes nothing.
        let out = signed.tmp.path("out")
        let unpack = await signed.run(["--json", "bundle", "unpack", bundle.path, "-o", out.path] + tamper.extra)
        #expect(unpack.errorCode == tamper.code)
        #expect(!FileManager.default.fileExists(atPath: out.path))
    }

    @Test("--allow-downgrade accepts an older version")
    func allowDowngrade() async throws {
        let signed = try await SignedHome.make("downgrade")
        let bundle = try Self.bundle(in: signed.tmp.url)
        try signed.sign(bundle)
        try VersionLedger(store: FileStateStore(home: StackHome(root: signed.home)))
            .record(SemanticVersion("2.0.0")!, stack: "hello-web", keyID: signed.key.keyID)
        #expect(await signed.run(["bundle", "verify", bundle.path]).status == 3)
        #expect(await signed.run(["bundle", "verify", bundle.path, "--allow-downgrade"]).status == 0)
    }

    @Test("a signed bundle with a privileged service is rejected by the scan: exit 4, findings listed, nothing unpacked")
    func scanRejects() async throws {
        let signed = try await SignedHome.make("scan")
        let compose = Fixtures.compose.replacingOccurrences(of: "    image: stacktest/busybox:1\n",
                                                            with: "    image: stacktest/busybox:1\n    privileged: true\n")
        let bundle = try Self.bundle(in: signed.tmp.url, compose: compose)
        try signed.sign(bundle)
        let verify = await signed.run(["--json", "bundle", "verify", bundle.path])
        #expect(verify.status == 4)
        #expect(verify.json?["verdict"] as? String == "rejected")
        #expect(verify.errorCode == "policy.privileged")
        let findings = verify.json?["findings"] as? [[String: Any]] ?? []
        #expect(findings.contains { $0["code"] as? String == "policy.privileged" && $0["severity"] as? String == "critical" })
        #expect(findings.contains { $0["code"] as? String == "scan.unpinned_image" })
        let out = signed.tmp.path("out")
        let unpack = await signed.run(["--json", "bundle", "unpack", bundle.path, "-o", out.path])
        #expect(unpack.status == 4)
        #expect(unpack.errorCode == "policy.privileged")
        #expect(!FileManager.default.fileExists(atPath: out.path))
        #expect(try FileManager.default.contentsOfDirectory(atPath: signed.tmp.url.path).filter { $0.contains("staging") }.isEmpty)
    }
}
