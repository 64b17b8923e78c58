import Foundation
import Testing
import StackCore
import StackTestSupport
@testable import StackSecurity

@Suite("Trusted key ring (keys/trusted/<KEYID>.pub)")
struct KeyringTests {
    let home: TemporaryDirectory
    let keyring: MinisignKeyring

    init() throws {
        home = try TemporaryDirectory("keyring")
        keyring = MinisignKeyring(directory: StackHome(root: home.url).trustedKeysDirectory)
    }

    @Test("trust → list → untrust round trip, file names, modes and idempotent trust")
    func roundTrip() throws {
        #expect(try keyring.list().isEmpty)  // no directory yet
        let (first, _) = try MinisignKeyring.generateKeyPair()
        let (second, _) = try MinisignKeyring.generateKeyPair()
        #expect(try keyring.trust(first))
        #expect(try keyring.trust(second))
        #expect(try keyring.trust(first) == false)  // already trusted

        let file = keyring.directory.appendingPathComponent("\(first.keyID).pub")
        #expect(try String(contentsOf: file, encoding: .utf8) == first.fileContents)
        let mode = try FileManager.default.attributesOfItem(atPath: file.path)[.posixPermissions] as? NSNumber
        #expect(mode?.intValue == 0o644)
        #expect(home.snapshot() == ["keys", "keys/trusted", "keys/trusted/\(first.keyID).pub",
                                    "keys/trusted/\(second.keyID).pub"].sorted())
        #expect(try keyring.list() == [first, second].sorted { $0.keyID < $1.keyID })

        try keyring.untrust(keyID: first.keyID.lowercased())
        #expect(try keyring.list() == [second])
        #expect(home.snapshot() == ["keys", "keys/trusted", "keys/trusted/\(second.keyID).pub"])
    }

    @Test("The verifier trusts exactly the listed keys")
    func verifier() throws {
        let (publicKey, secret) = try MinisignKeyring.generateKeyPair()
        let digests = FileDigests(sha256: "", blake2b512: [UInt8](repeating: 1, count: 64), size: 1)
        let text = try MinisignSigner().sign(digests: digests, trustedComment: "stack:a\tversion:1",
                                             untrustedComment: "x", key: secret)
        #expect(stackError { _ = try keyring.verifier().verify(signature: Array(text.utf8), digests: digests) }?.code
            == .signatureUntrustedKey)
        try keyring.trust(publicKey)
        #expect(try keyring.verifier().verify(signature: Array(text.utf8), digests: digests).keyID == publicKey.keyID)
    }

    @Test("Non-.pub files are ignored; minisign's own .pub files are read")
    func ignoresOtherFiles() throws {
        try FileManager.default.createDirectory(at: keyring.directory, withIntermediateDirectories: true)
        try Data("notes".utf8).write(to: keyring.directory.appendingPathComponent("README.txt"))
        try Data("x".utf8).write(to: keyring.directory.appendingPathComponent(".16AB3F787AD495DF.pub.tmp-1"))
        let minisignFile = "untrusted comment: minisign public key 16AB3F787AD495DF\n"
            + "RWTfldR6eD+rFpe03dFIm8sTan/TyDWqpwFbgbr/9DUEjNnNw0/VgvkF\n"
        try Data(minisignFile.utf8).write(to: keyring.directory.appendingPathComponent("16AB3F787AD495DF.pub"))
        #expect(try keyring.list().map(\.keyID) == ["16AB3F787AD495DF"])
    }

    struct BadFile: Sendable, CustomStringConvertible {
        var name: String
        var contents: String
        var description: String { "\(name): \(contents.prefix(20))" }
    }

    @Test("A malformed .pub file is key.invalid naming the file", arguments: [
        BadFile(name: "0000000000000001.pub", contents: "not a key\n"),
        BadFile(name: "0000000000000001.pub", contents: ""),
        // A valid key under another key's name.
        BadFile(name: "0000000000000001.pub",
                contents: "untrusted comment: k\nRWTfldR6eD+rFpe03dFIm8sTan/TyDWqpwFbgbr/9DUEjNnNw0/VgvkF\n"),
    ])
    func malformed(file: BadFile) throws {
        try FileManager.default.createDirectory(at: keyring.directory, withIntermediateDirectories: true)
        try Data(file.contents.utf8).write(to: keyring.directory.appendingPathComponent(file.name))
        let error = stackError { _ = try keyring.list() }
        #expect(error?.code == .keyInvalid)
        #expect(error?.message.contains(file.name) == true)
        #expect(stackError { _ = try keyring.verifier() }?.code == .keyInvalid)
    }

    @Test("Untrusting an unknown key is key.not_found; a non-id is key.invalid and touches nothing",
          arguments: [("0123456789ABCDEF", "key.not_found"), ("../../config.json", "key.invalid"),
                      ("0123", "key.invalid")])
    func untrustUnknown(keyID: String, code: String) throws {
        let (key, _) = try MinisignKeyring.generateKeyPair()
        try keyring.trust(key)
        let before = home.snapshot()
        #expect(stackError { try keyring.untrust(keyID: keyID) }?.code.rawValue == code)
        #expect(home.snapshot() == before)
    }

    @Test("A different key with an already trusted id is refused")
    func idCollision() throws {
        let real = try MinisignFixtures.key()
        let impostor = try MinisignFixtures.key("c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7",
                                                keyID: real.keyIDBytes)
        #expect(try keyring.trust(real.publicKey))
        #expect(stackError { _ = try keyring.trust(impostor.publicKey) }?.code == .keyInvalid)
        #expect(try keyring.list() == [real.publicKey])
    }
}
