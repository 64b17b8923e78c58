import Foundation
import Testing
import StackCore
import StackTestSupport
@testable import StackSecurity

/// Deterministic keys and signatures for the format tests.
enum MinisignFixtures {
    /// A key from RFC 8032 TEST 1's seed with a fixed key id.
    static func key(_ seedHex: String = "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
                    keyID: [UInt8] = [0xdf, 0x95, 0xd4, 0x7a, 0x78, 0x3f, 0xab, 0x16]) throws -> MinisignSecretKey {
        try MinisignSecretKey(seed: hexBytes(seedHex), keyIDBytes: keyID)
    }

    static let digests = FileDigests(sha256: String(repeating: "0", count: 64),
                                     blake2b512: [UInt8](repeating: 0xab, count: 64), size: 3)

    static let trustedComment = "stack:hello-web\tversion:1.2.0"

    /// A valid `.minisig` over ``digests`` by ``key()``.
    static func signatureText() throws -> String {
        try MinisignSigner().sign(digests: digests, trustedComment: trustedComment,
                                  untrustedComment: "signature from stack", key: key())
    }

    /// The four lines of ``signatureText()``.
    static func lines() throws -> [String] {
        try signatureText().split(separator: "\n", omittingEmptySubsequences: false).dropLast().map(String.init)
    }

    /// A sig line (line 2) with the given algorithm, key id and signature bytes.
    static func sigLine(_ algorithm: String, keyID: [UInt8], signature: [UInt8]) -> String {
        StrictBase64.encode(Array(algorithm.utf8) + keyID + signature)
    }
}

@Suite("minisign formats")
struct MinisignFormatTests {
    // MARK: Rejections

    struct Case: Sendable, CustomStringConvertible {
        var name: String
        var expected: StackError.Code
        /// Builds the file from the four valid lines.
        var build: @Sendable ([String]) throws -> String
        var description: String { name }
    }

    static let rejections: [Case] = [
        Case(name: "3 lines (global signature missing)", expected: .signatureMalformed) { lines in
            lines[0..<3].joined(separator: "\n") + "\n"
        },
        Case(name: "5 lines (extra line)", expected: .signatureMalformed) { lines in
            (lines + ["extra"]).joined(separator: "\n") + "\n"
        },
        Case(name: "5 lines (an empty fifth line)", expected: .signatureMalformed) { lines in
            lines.joined(separator: "\n") + "\n\n"
        },
        Case(name: "CRLF line ends", expected: .signatureMalformed) { lines in
            lines.joined(separator: "\r\n") + "\r\n"
        },
        Case(name: "CR inside the trusted comment", expected: .signatureMalformed) { lines in
            var lines = lines
            lines[2] += "\rversion:9.9.9"
            return lines.joined(separator: "\n") + "\n"
        },
        Case(name: "untrusted comment prefix missing", expected: .signatureMalformed) { lines in
            var lines = lines
            lines[0] = "comment: x"
            return lines.joined(separator: "\n") + "\n"
        },
        Case(name: "trusted comment prefix missing", expected: .signatureMalformed) { lines in
            var lines = lines
            lines[2] = String(lines[2].dropFirst("trusted ".count))
            return lines.joined(separator: "\n") + "\n"
        },
        Case(name: "bad base64 symbol in the signature line", expected: .signatureMalformed) { lines in
            var lines = lines
            lines[1] = "!" + lines[1].dropFirst()
            return lines.joined(separator: "\n") + "\n"
        },
        Case(name: "URL-safe base64 symbols", expected: .signatureMalformed) { lines in
            var lines = lines
            lines[1] = "-" + lines[1].dropFirst()
            return lines.joined(separator: "\n") + "\n"
        },
        Case(name: "padding missing", expected: .signatureMalformed) { lines in
            var lines = lines
            lines[1] = String(lines[1].dropLast())
            return lines.joined(separator: "\n") + "\n"
        },
        Case(name: "padding replaced by a symbol (75 bytes)", expected: .signatureMalformed) { lines in
            var lines = lines
            lines[1] = String(lines[1].dropLast()) + "A"
            return lines.joined(separator: "\n") + "\n"
        },
        Case(name: "non-canonical base64 (unused bits set)", expected: .signatureMalformed) { lines in
            // 74 bytes end in "…X=" where X carries 2 unused bits; set them.
            var lines = lines
            var symbols = Array(lines[1])
            let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")
            let index = alphabet.firstIndex(of: symbols[98]) ?? 0
            symbols[98] = alphabet[index | 0x03]
            lines[1] = String(symbols)
            return lines.joined(separator: "\n") + "\n"
        },
        Case(name: "non-canonical base64 in the global signature", expected: .signatureMalformed) { lines in
            // 64 bytes end in "…X==" where X carries 4 unused bits.
            var lines = lines
            var symbols = Array(lines[3])
            let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")
            let index = alphabet.firstIndex(of: symbols[85]) ?? 0
            symbols[85] = alphabet[index | 0x0f]
            lines[3] = String(symbols)
            return lines.joined(separator: "\n") + "\n"
        },
        Case(name: "signature struct of 73 bytes", expected: .signatureMalformed) { lines in
            var lines = lines
            lines[1] = StrictBase64.encode(Array(StrictBase64.decode(Array(lines[1].utf8)) ?? []).dropLast())
            return lines.joined(separator: "\n") + "\n"
        },
        Case(name: "global signature of 65 bytes", expected: .signatureMalformed) { lines in
            var lines = lines
            lines[3] = StrictBase64.encode((StrictBase64.decode(Array(lines[3].utf8)) ?? []) + [0])
            return lines.joined(separator: "\n") + "\n"
        },
        Case(name: "whitespace after the signature line", expected: .signatureMalformed) { lines in
            var lines = lines
            lines[1] += " "
            return lines.joined(separator: "\n") + "\n"
        },
        Case(name: "legacy Ed algorithm (refused by default)", expected: .signatureLegacy) { lines in
            var lines = lines
            var sig = StrictBase64.decode(Array(lines[1].utf8)) ?? []
            sig[1] = UInt8(ascii: "d")
            lines[1] = StrictBase64.encode(sig)
            return lines.joined(separator: "\n") + "\n"
        },
        Case(name: "unknown algorithm", expected: .signatureMalformed) { lines in
            var lines = lines
            var sig = StrictBase64.decode(Array(lines[1].utf8)) ?? []
            sig[0] = UInt8(ascii: "X")
            sig[1] = UInt8(ascii: "Y")
            lines[1] = StrictBase64.encode(sig)
            return lines.joined(separator: "\n") + "\n"
        },
        Case(name: "trusted comment over 8 KiB", expected: .signatureMalformed) { lines in
            var lines = lines
            lines[2] = "trusted comment: " + String(repeating: "a", count: 8193)
            return lines.joined(separator: "\n") + "\n"
        },
        Case(name: "trusted comment one byte over minisign's limit (8174)", expected: .signatureMalformed) { lines in
            var lines = lines
            lines[2] = "trusted comment: " + String(repeating: "a", count: MinisignSignature.maxTrustedCommentBytes + 1)
            return lines.joined(separator: "\n") + "\n"
        },
        Case(name: "non-printable trusted comment (ESC)", expected: .signatureMalformed) { lines in
            var lines = lines
            lines[2] += "\u{1b}[2J"
            return lines.joined(separator: "\n") + "\n"
        },
        Case(name: "bidi override in the trusted comment", expected: .signatureMalformed) { lines in
            var lines = lines
            lines[2] += "\u{202e}"
            return lines.joined(separator: "\n") + "\n"
        },
        Case(name: "NUL in the untrusted comment", expected: .signatureMalformed) { lines in
            var lines = lines
            lines[0] += "\u{0}"
            return lines.joined(separator: "\n") + "\n"
        },
        Case(name: "untrusted comment over minisign's limit", expected: .signatureMalformed) { lines in
            var lines = lines
            lines[0] = "untrusted comment: " + String(repeating: "u", count: MinisignSignature.maxUntrustedCommentBytes + 1)
            return lines.joined(separator: "\n") + "\n"
        },
    ]

    @Test("Malformed signature files are rejected with the exact code", arguments: rejections)
    func rejection(_ testCase: Case) throws {
        let text = try testCase.build(MinisignFixtures.lines())
        let error = stackError { _ = try MinisignSignature.parse(Array(text.utf8)) }
        #expect(error?.code == testCase.expected, "\(error?.description ?? "no error")")
        // The verifier reports the same code before looking at any key.
        let verifier = MinisignVerifier(trustedKeys: [try MinisignFixtures.key().publicKey])
        #expect(stackError { _ = try verifier.verify(signature: Array(text.utf8), digests: MinisignFixtures.digests) }?
            .code == testCase.expected)
    }

    @Test("Invalid UTF-8 in the trusted comment is malformed")
    func invalidUTF8() throws {
        var bytes = Array(try MinisignFixtures.signatureText().utf8)
        let lines = try MinisignFixtures.lines()
        let offset = lines[0].utf8.count + 1 + lines[1].utf8.count + 1 + lines[2].utf8.count
        bytes.insert(0xff, at: offset)
        #expect(stackError { _ = try MinisignSignature.parse(bytes) }?.code == .signatureMalformed)
    }

    // MARK: Accepted forms

    @Test("A signature parses, re-serialises byte for byte, with or without the final line end")
    func roundTrip() throws {
        let text = try MinisignFixtures.signatureText()
        let parsed = try MinisignSignature.parse(Array(text.utf8))
        #expect(parsed.text == text)
        #expect(parsed.algorithm == .prehashed)
        #expect(parsed.keyID == "16AB3F787AD495DF")
        #expect(parsed.untrustedComment == "signature from stack")
        #expect(parsed.trustedComment == MinisignFixtures.trustedComment)
        #expect(try MinisignSignature.parse(Array(text.utf8.dropLast())) == parsed)
    }

    @Test("A trusted comment of exactly minisign's limit is accepted")
    func longestComment() throws {
        let comment = "stack:a\tversion:1.0.0\tpad:" + String(repeating: "x", count: MinisignSignature.maxTrustedCommentBytes - 26)
        #expect(comment.utf8.count == MinisignSignature.maxTrustedCommentBytes)
        let text = try MinisignSigner().sign(digests: MinisignFixtures.digests, trustedComment: comment,
                                             untrustedComment: "u", key: MinisignFixtures.key())
        let verdict = try MinisignVerifier(trustedKeys: [MinisignFixtures.key().publicKey])
            .verify(signature: Array(text.utf8), digests: MinisignFixtures.digests)
        #expect(verdict.trustedFields["stack"] == "a")
        // The signer refuses one byte more.
        #expect(stackError {
            _ = try MinisignSigner().sign(digests: MinisignFixtures.digests, trustedComment: comment + "x",
                                          untrustedComment: "u", key: MinisignFixtures.key())
        }?.code == .signatureMalformed)
    }

    @Test("Legacy Ed parses when allowed; the digest-only port refuses it")
    func legacyAllowed() throws {
        var lines = try MinisignFixtures.lines()
        var sig = try #require(StrictBase64.decode(Array(lines[1].utf8)))
        sig[1] = UInt8(ascii: "d")
        lines[1] = StrictBase64.encode(sig)
        let text = Array((lines.joined(separator: "\n") + "\n").utf8)
        #expect(try MinisignSignature.parse(text, allowLegacy: true).algorithm == .legacy)
        let verifier = MinisignVerifier(trustedKeys: [try MinisignFixtures.key().publicKey], allowLegacy: true)
        #expect(stackError { _ = try verifier.verify(signature: text, digests: MinisignFixtures.digests) }?.code
            == .signatureLegacy)
    }

    // MARK: Trusted comment fields

    @Test("Trusted comment fields: key:value split at the first colon, bare flags, empty fields skipped")
    func fields() throws {
        #expect(try MinisignSignature.trustedFields(of: "stack:x\tversion:1.0.0") == ["stack": "x", "version": "1.0.0"])
        #expect(try MinisignSignature.trustedFields(of: "timestamp:1\tfile:a:b.stack\thashed")
            == ["timestamp": "1", "file": "a:b.stack", "hashed": ""])
        #expect(try MinisignSignature.trustedFields(of: "a:1\t\tb:2\t") == ["a": "1", "b": "2"])
        #expect(try MinisignSignature.trustedFields(of: "") == [:])
    }

    @Test("Duplicate or empty keys make the comment unbound", arguments: [
        "stack:a\tversion:1\tstack:b", ":x\tstack:a", "version:1\tversion:1",
    ])
    func duplicateFields(comment: String) {
        #expect(stackError { _ = try MinisignSignature.trustedFields(of: comment) }?.code == .signatureCommentUnbound)
    }

    @Test("The trusted comment helper produces minisign's tab-separated fields")
    func trustedCommentHelper() throws {
        let comment = MinisignSigner.trustedComment(stack: "hello-web", version: "1.2.0", sha256: "ab12",
                                                    size: 42, timestamp: 1_700_000_000)
        #expect(comment == "stack:hello-web\tversion:1.2.0\tsha256:ab12\tsize:42\ttimestamp:1700000000")
        #expect(try MinisignSignature.trustedFields(of: comment)
            == ["stack": "hello-web", "version": "1.2.0", "sha256": "ab12", "size": "42", "timestamp": "1700000000"])
    }

    // MARK: Keys

    @Test("Public key: file and bare line parse; key id prints as minisign does; file re-serialises exactly")
    func publicKey() throws {
        // Written by `minisign -G -W` (0.11) on this machine.
        let file = "untrusted comment: minisign public key 16AB3F787AD495DF\n"
            + "RWTfldR6eD+rFpe03dFIm8sTan/TyDWqpwFbgbr/9DUEjNnNw0/VgvkF\n"
        let key = try MinisignPublicKey(parsing: file)
        #expect(key.keyID == "16AB3F787AD495DF")
        #expect(key.keyIDBytes == [0xdf, 0x95, 0xd4, 0x7a, 0x78, 0x3f, 0xab, 0x16])
        #expect(key.fileContents == file)
        #expect(try MinisignPublicKey(parsing: "RWTfldR6eD+rFpe03dFIm8sTan/TyDWqpwFbgbr/9DUEjNnNw0/VgvkF") == key)
        #expect(try MinisignPublicKey(parsing: file.replacingOccurrences(of: "\n", with: "\r\n")) == key)
    }

    @Test("Malformed public keys are key.invalid", arguments: [
        "",
        "untrusted comment: x\n",
        "comment: x\nRWTfldR6eD+rFpe03dFIm8sTan/TyDWqpwFbgbr/9DUEjNnNw0/VgvkF\n",
        "RWTfldR6eD+rFpe03dFIm8sTan/TyDWqpwFbgbr/9DUEjNnNw0/Vgvk",
        "RWTfldR6eD+rFpe03dFIm8sTan/TyDWqpwFbgbr/9DUEjNnNw0/Vgv==",  // padded: 40 bytes
        "RUTfldR6eD+rFpe03dFIm8sTan/TyDWqpwFbgbr/9DUEjNnNw0/VgvkF",  // algorithm "ED" is not a key algorithm
        "untrusted comment: a\nb\nRWTfldR6eD+rFpe03dFIm8sTan/TyDWqpwFbgbr/9DUEjNnNw0/VgvkF\n",
    ])
    func malformedPublicKey(text: String) {
        #expect(stackError { _ = try MinisignPublicKey(parsing: text) }?.code == .keyInvalid)
    }

    @Test("Unencrypted secret key: minisign's -W layout, round trip, no seed in descriptions")
    func unencryptedSecretKey() throws {
        var key = try MinisignFixtures.key()
        key.untrustedComment = "minisign encrypted secret key"
        let bytes = try key.unencryptedFileBytes()
        let lines = String(decoding: bytes, as: UTF8.self).split(separator: "\n")
        let blob = try #require(StrictBase64.decode(Array(lines[1].utf8)))
        #expect(blob.count == 158)
        #expect(Array(blob[0..<6]) == Array("Ed\0\0B2".utf8))
        #expect(blob[6..<54].allSatisfy { $0 == 0 })       // salt and limits zero
        #expect(blob[126..<158].allSatisfy { $0 == 0 })    // checksum zero, as minisign -W writes
        let parsed = try MinisignSecretKey.parse(bytes)
        #expect(parsed.keyID == key.keyID)
        #expect(parsed.publicKey == key.publicKey)
        #expect(parsed.untrustedComment == "minisign encrypted secret key")
        #expect(key.description == "MinisignSecretKey(16AB3F787AD495DF)")
        var dumped = ""
        dump(key, to: &dumped)
        #expect(!dumped.contains("9d61"))
        #expect(!dumped.lowercased().contains("seed"))
    }

    @Test("A -W key whose public key does not match its seed is key.invalid")
    func corruptSecretKey() throws {
        let bytes = try MinisignFixtures.key().unencryptedFileBytes()
        let lines = String(decoding: bytes, as: UTF8.self).split(separator: "\n")
        var blob = try #require(StrictBase64.decode(Array(lines[1].utf8)))
        blob[100] ^= 1
        let text = "\(lines[0])\n\(StrictBase64.encode(blob))\n"
        #expect(stackError { _ = try MinisignSecretKey.parse(Array(text.utf8)) }?.code == .keyInvalid)
    }

    @Test("An encrypted key without a password is key.invalid (no KDF run)")
    func encryptedWithoutPassword() throws {
        // Written by `minisign -G` (0.11) with a password on this machine.
        let file = "untrusted comment: minisign encrypted secret key\n"
            + "RWRTY0IytGQgY8qDC2Vu3CutpSy3cbcmuqXXKiD0Z+NP/pAnOUQAAAACAAAAAAAAAEAAAAAAnxAzPgj5cCbzuI8szbG5YR7K5QOzNRvIYyqw7of1rqavzkmTQtOlqVWUKGIhKys0ztPovyqa0IPShjE0/He7lRrtDBpFxmqTAVVstjfxgR5+gEsoghp+iW04fhcWYT1lcI58OiQ+RNA=\n"
        let error = stackError { _ = try MinisignSecretKey.parse(Array(file.utf8)) }
        #expect(error?.code == .keyInvalid)
        #expect(error?.message.contains("password") == true)
    }

    // MARK: scrypt

    @Test("libsodium's pickparams mapping", arguments: [
        // (opslimit, memlimit) → (log2 N, r, p)
        (UInt64(33_554_432), UInt64(1_073_741_824), UInt32(20), UInt32(8), UInt32(1)),  // SENSITIVE (minisign)
        (UInt64(524_288), UInt64(16_777_216), UInt32(14), UInt32(8), UInt32(1)),       // INTERACTIVE
        (UInt64(32_768), UInt64(1_073_741_824), UInt32(10), UInt32(8), UInt32(1)),     // ops-bound branch
        (UInt64(1000), UInt64(16_777_216), UInt32(10), UInt32(8), UInt32(1)),          // opslimit raised to 32768
        (UInt64(33_554_432), UInt64(16_777_216), UInt32(14), UInt32(8), UInt32(64)),  // memory-bound, p > 1
    ])
    func pickParams(opslimit: UInt64, memlimit: UInt64, logN: UInt32, r: UInt32, p: UInt32) {
        #expect(Scrypt.parameters(opslimit: opslimit, memlimit: memlimit) == Scrypt.Parameters(logN: logN, r: r, p: p))
    }

    @Test("scrypt via OpenSSL EVP_KDF: RFC 7914 §12 vector 2")
    func scryptKnownAnswer() throws {
        let output = try Scrypt.derive(password: Array("password".utf8), salt: Array("NaCl".utf8),
                                       parameters: Scrypt.Parameters(logN: 10, r: 8, p: 16), count: 64)
        #expect(output == hexBytes("fdbabe1c9d3472007856e7190d01e9fe7c6ad7cbc8237830e77376634b373162"
                                   + "2eaf30d92e22a3886ff109279d9830dac727afb94a83ee6d8360cbdfa2cc0640"))
    }

    @Test("Key files asking for more than the scrypt limits are refused before deriving")
    func scryptLimits() {
        #expect(stackError {
            _ = try Scrypt.derive(password: [1], salt: [2], parameters: Scrypt.Parameters(logN: 24, r: 8, p: 1), count: 104)
        }?.code == .keyInvalid)
        #expect(stackError {
            _ = try Scrypt.derive(password: [1], salt: [2], parameters: Scrypt.Parameters(logN: 14, r: 8, p: 4096), count: 104)
        }?.code == .keyInvalid)
    }
}

@Suite("minisign tamper table (MinisignVerifier)")
struct MinisignTamperTests {
    let directory: TemporaryDirectory
    let publisher: MinisignSecretKey
    let other: MinisignSecretKey
    let original: [UInt8]

    init() throws {
        directory = try TemporaryDirectory("minisign-tamper")
        publisher = try MinisignFixtures.key()
        other = try MinisignFixtures.key("4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
                                         keyID: [1, 2, 3, 4, 5, 6, 7, 8])
        original = Array("a bundle's bytes\n".utf8) + (0..<5000).map { UInt8(truncatingIfNeeded: $0 &* 7) }
    }

    func digests(of bytes: [UInt8], name: String) throws -> FileDigests {
        let url = directory.path(name)
        try Data(bytes).write(to: url)
        return try OpenSSLDigester().digests(of: BundleFile(path: url.path))
    }

    func signed() throws -> (String, FileDigests) {
        let digests = try digests(of: original, name: "bundle.stack")
        let comment = MinisignSigner.trustedComment(stack: "hello-web", version: "1.2.0", sha256: digests.sha256,
                                                    size: digests.size, timestamp: 1_700_000_000)
        let text = try MinisignSigner().sign(digests: digests, trustedComment: comment,
                                             untrustedComment: "signature from stack", key: publisher)
        return (text, digests)
    }

    @Test("The untouched signature verifies with the exact fields")
    func untouched() throws {
        let (text, digests) = try signed()
        let verifier = MinisignVerifier(trustedKeys: [other.publicKey, publisher.publicKey])
        let verdict = try verifier.verify(signature: Array(text.utf8), digests: digests)
        #expect(verdict.keyID == "16AB3F787AD495DF")
        #expect(verdict.trustedFields == ["stack": "hello-web", "version": "1.2.0", "sha256": digests.sha256,
                                          "size": String(digests.size), "timestamp": "1700000000"])
    }

    @Test("A flipped bundle byte is signature.invalid")
    func flippedBundleByte() throws {
        let (text, _) = try signed()
        var modified = original
        modified[1234] ^= 0x01
        let verifier = MinisignVerifier(trustedKeys: [publisher.publicKey])
        let error = stackError {
            _ = try verifier.verify(signature: Array(text.utf8), digests: digests(of: modified, name: "modified.stack"))
        }
        #expect(error?.code == .signatureInvalid)
    }

    @Test("A flipped trusted-comment byte is signature.comment_tampered", arguments: ["1.2.0", "9.2.0"])
    func flippedComment(replacement: String) throws {
        let (text, digests) = try signed()
        // "1.2.0" → "1.3.0" / "9.2.0": still well-formed, printable, so only the global signature catches it.
        let tampered = text.replacingOccurrences(of: "version:1.2.0", with: "version:" + (replacement == "1.2.0" ? "1.3.0" : replacement))
        #expect(tampered != text)
        let verifier = MinisignVerifier(trustedKeys: [publisher.publicKey])
        #expect(stackError { _ = try verifier.verify(signature: Array(tampered.utf8), digests: digests) }?.code
            == .signatureCommentTampered)
    }

    @Test("A key id swapped to another trusted key is signature.invalid")
    func swappedKeyIDTrusted() throws {
        // The lookup finds the other trusted key, and the Ed25519 signature does not verify
        // under it: the key id is not covered by the signature, so the failure surfaces as
        // signature.invalid, never as acceptance.
        let (text, digests) = try signed()
        let swapped = try Self.swapKeyID(text, to: other.keyIDBytes)
        let verifier = MinisignVerifier(trustedKeys: [publisher.publicKey, other.publicKey])
        #expect(stackError { _ = try verifier.verify(signature: Array(swapped.utf8), digests: digests) }?.code
            == .signatureInvalid)
    }

    @Test("A key id swapped to an unknown id, or a key that is not trusted, is signature.untrusted_key")
    func untrustedKey() throws {
        let (text, digests) = try signed()
        let swapped = try Self.swapKeyID(text, to: [9, 9, 9, 9, 9, 9, 9, 9])
        let verifier = MinisignVerifier(trustedKeys: [publisher.publicKey, other.publicKey])
        let error = stackError { _ = try verifier.verify(signature: Array(swapped.utf8), digests: digests) }
        #expect(error?.code == .signatureUntrustedKey)
        #expect(error?.message.contains("0909090909090909") == true)
        let onlyOther = MinisignVerifier(trustedKeys: [other.publicKey])
        let error2 = stackError { _ = try onlyOther.verify(signature: Array(text.utf8), digests: digests) }
        #expect(error2?.code == .signatureUntrustedKey)
        #expect(error2?.message.contains("16AB3F787AD495DF") == true)
        #expect(stackError { _ = try MinisignVerifier(trustedKeys: []).verify(signature: Array(text.utf8), digests: digests) }?
            .code == .signatureUntrustedKey)
    }

    @Test("A duplicate field in an authentic trusted comment is signature.comment_unbound")
    func duplicateFieldSigned() throws {
        let digests = try digests(of: original, name: "bundle.stack")
        let text = try MinisignSigner().sign(digests: digests, trustedComment: "stack:a\tversion:1\tstack:b",
                                             untrustedComment: "x", key: publisher)
        #expect(stackError {
            _ = try MinisignVerifier(trustedKeys: [publisher.publicKey]).verify(signature: Array(text.utf8), digests: digests)
        }?.code == .signatureCommentUnbound)
    }

    static func swapKeyID(_ text: String, to keyID: [UInt8]) throws -> String {
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        var sig = try #require(StrictBase64.decode(Array(lines[1].utf8)))
        sig.replaceSubrange(2..<10, with: keyID)
        lines[1] = StrictBase64.encode(sig)
        return lines.joined(separator: "\n")
    }
}
