import Foundation
import Testing
import StackCore
import StackTestSupport
@testable import StackSecurity

@Suite("Digests (OpenSSL)")
struct DigestTests {
    // NIST FIPS 180-2 / CAVP examples.
    static let sha256Vectors: [(String, [UInt8], String)] = [
        ("empty", [], "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        ("abc", Array("abc".utf8), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
        ("448-bit", Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8),
         "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"),
        ("million a", [UInt8](repeating: UInt8(ascii: "a"), count: 1_000_000),
         "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"),
    ]

    @Test("SHA-256 known answers", arguments: 0..<4)
    func sha256KnownAnswers(index: Int) throws {
        let (name, message, expected) = Self.sha256Vectors[index]
        #expect(try OpenSSLDigester.sha256Hex(message) == expected, "\(name)")
    }

    @Test("BLAKE2b-512 known answers: RFC 7693 Appendix A and the empty message")
    func blake2bKnownAnswers() throws {
        // RFC 7693, Appendix A.
        #expect(try OpenSSLDigester.blake2b512(Array("abc".utf8)).lowercaseHex ==
            "ba80a53f981c4d0d6a2797b69f12f6e94c212f14685ac4b74b12bb6fdbffa2d1"
            + "7d87c5392aab792dc252d5de4533cc9518d38aa8dbf1925ab92386edd4009923")
        #expect(try OpenSSLDigester.blake2b512([UInt8]()).lowercaseHex ==
            "786a02f742015903c6c6fd852552d272912f4740e15847618a86e217f71f5419"
            + "d25e1031afee585313896444934eb04b903a685b1448b755d56f701afe9be2ce")
    }

    @Test("Non-contiguous collections hash like arrays")
    func nonContiguousCollection() throws {
        let message = "abc".utf8  // String.UTF8View
        #expect(try OpenSSLDigester.sha256Hex(message) == OpenSSLDigester.sha256Hex(Array(message)))
    }

    @Test("Streaming in uneven pieces equals one shot; finish() is idempotent")
    func streamingPieces() throws {
        let message = (0..<100_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        let digest = try StreamingDigest(.blake2b512)
        var start = 0
        for size in [1, 7, 4096, 65_537, 3] + Array(repeating: 10_000, count: 10) where start < message.count {
            let end = min(start + size, message.count)
            try digest.update(message[start..<end])
            start = end
        }
        let first = try digest.finish()
        #expect(first == (try OpenSSLDigester.blake2b512(message)))
        #expect(try digest.finish() == first)
        #expect(digest.outputSize == 64)
    }

    @Test("Updating a finished digest is rejected")
    func updateAfterFinish() throws {
        let digest = try StreamingDigest(.sha256)
        _ = try digest.finish()
        let error = try #require(throws: StackError.self) { try digest.update([1, 2, 3]) }
        #expect(error.code == .cryptoFailed)
    }

    @Test("An unknown algorithm fails with OpenSSL's own message")
    func unknownAlgorithm() throws {
        let error = try #require(throws: StackError.self) {
            _ = try StreamingDigest(algorithmName: "NOT-A-DIGEST")
        }
        #expect(error.code == .cryptoFailed)
        #expect(error.message.contains("EVP_MD_fetch(NOT-A-DIGEST)"))
        #expect(error.message.contains("unsupported"), "drained queue: \(error.message)")
        // The queue was drained: the next failure does not repeat the old entries.
        #expect(OpenSSLError.drainQueue().isEmpty)
    }

    @Test("File digests match sha256sum and b2sum", arguments: [0, 1, 1 << 20, 3 * (1 << 20) + 17])
    func fileDigestsMatchCoreutils(size: Int) throws {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("stack-digest-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("bundle.stack")
        var bytes = try SecureRandom.bytes(size)
        if size > 0 { bytes[size - 1] = 0x0a }
        try Data(bytes).write(to: file)

        let digests = try OpenSSLDigester().digests(of: BundleFile(path: file.path))

        #expect(digests.size == Int64(size))
        #expect(digests.sha256 == (try Self.coreutilsDigest("/usr/bin/sha256sum", file.path)))
        #expect(digests.blake2b512.lowercaseHex == (try Self.coreutilsDigest("/usr/bin/b2sum", file.path)))
        #expect(digests.sha256 == (try OpenSSLDigester.sha256Hex(bytes)))
    }

    /// Runs `tool FILE` and returns the first field of its output.
    static func coreutilsDigest(_ tool: String, _ path: String) throws -> String {
        let result = try ChildProcess.runBlocking(tool, [path])
        #expect(result.status == 0)
        return String(result.stdout.prefix { $0 != " " })
    }
}

@Suite("Secure random and constant-time comparison")
struct SecureRandomTests {
    @Test("Random bytes have the requested length and differ between calls")
    func randomBytes() throws {
        #expect(try SecureRandom.bytes(0).isEmpty)
        let a = try SecureRandom.bytes(32)
        let b = try SecureRandom.bytes(32)
        #expect(a.count == 32)
        #expect(a != b)
    }

    @Test("A negative count is rejected", arguments: [-1, Int.min])
    func negativeCount(count: Int) throws {
        let error = try #require(throws: StackError.self) { _ = try SecureRandom.bytes(count) }
        #expect(error.code == .internalError)
    }

    @Test("constantTimeEquals compares length and content")
    func constantTime() {
        #expect(constantTimeEquals([], []))
        #expect(constantTimeEquals([1, 2, 3], [1, 2, 3]))
        #expect(!constantTimeEquals([1, 2, 3], [1, 2, 4]))
        #expect(!constantTimeEquals([1, 2, 3], [1, 2]))
        #expect(!constantTimeEquals([], [0]))
    }
}
