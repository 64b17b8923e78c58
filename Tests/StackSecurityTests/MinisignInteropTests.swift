import Foundation
import Testing
import StackCore
import StackTestSupport
@testable import StackSecurity

/// Runs the real `minisign` (0.11, /usr/bin/minisign) with a time bound.
enum MinisignTool {
    static let path = "/usr/bin/minisign"

    /// Runs `minisign args` in `directory`, feeding `input` on stdin (then EOF).
    static func run(_ arguments: [String], in directory: URL, input: String = "",
                    timeout: Duration = .seconds(60)) throws -> ChildProcess.Result {
        try ChildProcess.runBlocking(path, arguments, directory: directory,
                                     environment: ["PATH": "/usr/bin:/bin", "MINISIGN_CONFIG_DIR": directory.path],
                                     input: Data(input.utf8), timeout: timeout)
    }
}

@Suite("minisign interoperability (real minisign 0.11)")
struct MinisignInteropTests {
    let directory: TemporaryDirectory

    init() throws {
        directory = try TemporaryDirectory("minisign-interop")
    }

    func write(_ name: String, _ bytes: [UInt8]) throws -> URL {
        let url = directory.path(name)
        try Data(bytes).write(to: url)
        return url
    }

    func digests(_ url: URL) throws -> FileDigests {
        try OpenSSLDigester().digests(of: BundleFile(path: url.path))
    }

    func read(_ name: String) throws -> [UInt8] {
        Array(try Data(contentsOf: directory.path(name)))
    }

    static let payload: [UInt8] = Array("stack bundle payload\n".utf8) + (0..<70_000).map { UInt8(truncatingIfNeeded: $0 &* 13) }

    @Test("(a) A file signed by `minisign -S` with a -W key verifies here with the exact trusted fields")
    func minisignSignsWeVerify() throws {
        let gen = try MinisignTool.run(["-G", "-W", "-p", "pub", "-s", "sec"], in: directory.url)
        #expect(gen.status == 0, "\(gen.stderr)")
        let file = try write("F.stack", Self.payload)
        let sign = try MinisignTool.run(["-S", "-s", "sec", "-m", "F.stack", "-t", "stack:x\tversion:1.0.0"],
                                        in: directory.url)
        #expect(sign.status == 0, "\(sign.stderr)")

        let pubText = String(decoding: try read("pub"), as: UTF8.self)
        let key = try MinisignPublicKey(parsing: pubText)
        // minisign prints the key id as a little-endian u64 in 16 upper-case hex digits.
        #expect(pubText.hasPrefix("untrusted comment: minisign public key \(key.keyID.drop { $0 == "0" })\n"))
        #expect(key.fileContents == pubText)
        #expect(gen.stdout.contains("minisign -Vm <file> -P \(key.base64)"))

        let verdict = try MinisignVerifier(trustedKeys: [key])
            .verify(signature: read("F.stack.minisig"), digests: digests(file))
        #expect(verdict.keyID == key.keyID)
        #expect(verdict.trustedFields == ["stack": "x", "version": "1.0.0"])
        // minisign's own secret key file loads here too (unencrypted: salt, limits, checksum zero).
        let secret = try MinisignSecretKey.load(from: directory.path("sec"))
        #expect(secret.publicKey == key)
    }

    @Test("(b) A file signed here verifies with `minisign -V`; a tampered file fails there")
    func weSignMinisignVerifies() throws {
        let (publicKey, secret) = try MinisignKeyring.generateKeyPair(untrustedComment: "stack test key")
        try Data(publicKey.fileContents.utf8).write(to: directory.path("ours.pub"))
        let file = try write("F.stack", Self.payload)
        let fileDigests = try digests(file)
        let comment = MinisignSigner.trustedComment(stack: "hello-web", version: "1.2.0", sha256: fileDigests.sha256,
                                                    size: fileDigests.size, timestamp: 1_700_000_000)
        let text = try MinisignSigner().sign(digests: fileDigests, trustedComment: comment,
                                             untrustedComment: "signature from stack", key: secret)
        _ = try write("F.stack.minisig", Array(text.utf8))

        let ok = try MinisignTool.run(["-V", "-p", "ours.pub", "-m", "F.stack"], in: directory.url)
        #expect(ok.status == 0, "\(ok.stderr)")
        #expect(ok.stdout.contains("Signature and comment signature verified"))
        #expect(ok.stdout.contains("Trusted comment: \(comment)\n"))
        // -H (prehashed only) accepts it: we sign ED.
        #expect(try MinisignTool.run(["-V", "-H", "-p", "ours.pub", "-m", "F.stack"], in: directory.url).status == 0)

        var tampered = Self.payload
        tampered[40_000] ^= 0x20
        _ = try write("F.stack", tampered)
        let bad = try MinisignTool.run(["-V", "-p", "ours.pub", "-m", "F.stack"], in: directory.url)
        #expect(bad.status == 1)
        #expect(bad.stderr.contains("Signature verification failed"))
    }

    @Test("(c) A password-encrypted key from `minisign -G` (password on stdin) loads here and signs; wrong password is key.invalid")
    func encryptedKey() throws {
        // minisign 0.11 reads the password from stdin when stdin is not a terminal:
        // once for -S, twice (entry and confirmation) for -G.
        let gen = try MinisignTool.run(["-G", "-p", "enc.pub", "-s", "enc.key"], in: directory.url,
                                       input: "correct horse\ncorrect horse\n", timeout: .seconds(120))
        #expect(gen.status == 0, "\(gen.stderr)")
        let keyFile = String(decoding: try read("enc.key"), as: UTF8.self)
        let blob = try #require(StrictBase64.decode(Array(keyFile.split(separator: "\n")[1].utf8)))
        #expect(Array(blob[0..<6]) == Array("EdScB2".utf8))

        let publicKey = try MinisignPublicKey(parsing: read("enc.pub"))
        let clock = ContinuousClock()
        var secret: MinisignSecretKey?
        let elapsed = try clock.measure {
            secret = try MinisignSecretKey.load(from: directory.path("enc.key"), password: "correct horse")
        }
        print("scrypt-decrypting a minisign 0.11 key (N=2^20, r=8, p=1): \(elapsed)")
        let key = try #require(secret)
        #expect(key.publicKey == publicKey)

        let file = try write("F.stack", Self.payload)
        let text = try MinisignSigner().sign(digests: digests(file), trustedComment: "stack:enc\tversion:0.1.0",
                                             untrustedComment: "signed with a decrypted key", key: key)
        _ = try write("F.stack.minisig", Array(text.utf8))
        let verify = try MinisignTool.run(["-V", "-p", "enc.pub", "-m", "F.stack"], in: directory.url)
        #expect(verify.status == 0, "\(verify.stderr)")
        #expect(verify.stdout.contains("Trusted comment: stack:enc\tversion:0.1.0"))

        let wrong = stackError { _ = try MinisignSecretKey.load(from: directory.path("enc.key"), password: "wrong horse") }
        #expect(wrong?.code == .keyInvalid)
        #expect(wrong?.message.contains("wrong password") == true)
    }

    @Test("(d) Our -W-style secret key works with `minisign -S`, our public key with `minisign -V -p`")
    func ourKeyFilesInMinisign() throws {
        let (publicKey, secret) = try MinisignKeyring.generateKeyPair(untrustedComment: "stack test key")
        try secret.writeUnencrypted(to: directory.path("ours.key"))
        let attributes = try FileManager.default.attributesOfItem(atPath: directory.path("ours.key").path)
        #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)
        try Data(publicKey.fileContents.utf8).write(to: directory.path("ours.pub"))

        let file = try write("G.stack", Self.payload)
        let sign = try MinisignTool.run(["-S", "-s", "ours.key", "-p", "ours.pub", "-m", "G.stack",
                                         "-t", "stack:y\tversion:2.0.0"], in: directory.url)
        #expect(sign.status == 0, "\(sign.stderr)")
        let verify = try MinisignTool.run(["-V", "-p", "ours.pub", "-m", "G.stack"], in: directory.url)
        #expect(verify.status == 0, "\(verify.stderr)")
        let verdict = try MinisignVerifier(trustedKeys: [publicKey])
            .verify(signature: read("G.stack.minisig"), digests: digests(file))
        #expect(verdict.trustedFields == ["stack": "y", "version": "2.0.0"])
        // `minisign -R` recreates the identical public key file from our secret key.
        let recreate = try MinisignTool.run(["-R", "-s", "ours.key", "-p", "recreated.pub"], in: directory.url)
        #expect(recreate.status == 0, "\(recreate.stderr)")
        let recreated = try read("recreated.pub")
        #expect(recreated == Array(publicKey.fileContents.utf8),
                "minisign -R wrote \(String(decoding: recreated, as: UTF8.self).debugDescription), stderr \(recreate.stderr.debugDescription)")
    }

    @Test("(e) A `minisign -l` legacy signature is refused by default and verifies with the flag and the file")
    func legacy() throws {
        #expect(try MinisignTool.run(["-G", "-W", "-p", "pub", "-s", "sec"], in: directory.url).status == 0)
        let file = try write("L.stack", Self.payload)
        let sign = try MinisignTool.run(["-S", "-l", "-s", "sec", "-m", "L.stack", "-t", "stack:old\tversion:0.0.1"],
                                        in: directory.url)
        #expect(sign.status == 0, "\(sign.stderr)")
        let key = try MinisignPublicKey(parsing: read("pub"))
        let signature = try read("L.stack.minisig")
        let bundle = try BundleFile(path: file.path)
        let fileDigests = try OpenSSLDigester().digests(of: bundle)

        let strict = MinisignVerifier(trustedKeys: [key])
        #expect(stackError { _ = try strict.verify(signature: signature, digests: fileDigests) }?.code == .signatureLegacy)
        #expect(stackError { _ = try strict.verify(signature: signature, file: bundle, digests: fileDigests) }?.code
            == .signatureLegacy)

        let lenient = MinisignVerifier(trustedKeys: [key], allowLegacy: true)
        let verdict = try lenient.verify(signature: signature, file: bundle, digests: fileDigests)
        #expect(verdict.trustedFields == ["stack": "old", "version": "0.0.1"])

        // Digests of another file (the file changed after digesting) are refused.
        let other = try write("other.stack", Self.payload + [0])
        #expect(stackError { _ = try lenient.verify(signature: signature, file: bundle, digests: digests(other)) }?.code
            == .signatureInvalid)
    }

    @Test("Our comment limits are minisign's reader limits: 8173-byte trusted and 1003-byte untrusted comments verify there")
    func commentLimits() throws {
        // `minisign -V` reads lines with fgets into 8 KiB / 1 KiB buffers; one byte more is
        // "Trusted comment too long" / "Untrusted signature comment too long" (checked by
        // hand). Its own signer writes at most 4077 trusted bytes (an xfprintf buffer), so
        // anything minisign signs parses here.
        let (publicKey, secret) = try MinisignKeyring.generateKeyPair()
        try Data(publicKey.fileContents.utf8).write(to: directory.path("ours.pub"))
        let file = try write("C.stack", Self.payload)
        let text = try MinisignSigner().sign(
            digests: digests(file),
            trustedComment: String(repeating: "c", count: MinisignSignature.maxTrustedCommentBytes),
            untrustedComment: String(repeating: "u", count: MinisignSignature.maxUntrustedCommentBytes), key: secret)
        _ = try write("C.stack.minisig", Array(text.utf8))
        let verify = try MinisignTool.run(["-V", "-p", "ours.pub", "-m", "C.stack"], in: directory.url)
        #expect(verify.status == 0, "\(verify.stderr)")
    }
}
