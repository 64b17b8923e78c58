import Foundation
import Testing
import StackCore
import StackTestSupport
@testable import StackSecurity

/// Hex text to bytes (test inputs only).
func hexBytes(_ text: String) -> [UInt8] {
    var bytes: [UInt8] = []
    var iterator = Array(text.utf8).makeIterator()
    func nibble(_ c: UInt8) -> UInt8 {
        switch c {
        case 48...57: return c - 48
        case 97...102: return c - 87
        default: return c - 55
        }
    }
    while let high = iterator.next(), let low = iterator.next() {
        bytes.append(nibble(high) << 4 | nibble(low))
    }
    return bytes
}

@Suite("Ed25519 (OpenSSL EVP)")
struct Ed25519Tests {
    struct Vector: Sendable, CustomStringConvertible {
        var name: String
        var seed: String
        var publicKey: String
        var message: String
        var signature: String
        var description: String { name }
    }

    // RFC 8032 §7.1.
    static let vectors: [Vector] = [
        Vector(name: "TEST 1 (empty message)",
               seed: "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
               publicKey: "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
               message: "",
               signature: "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"),
        Vector(name: "TEST 2 (one byte)",
               seed: "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
               publicKey: "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c",
               message: "72",
               signature: "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00"),
        Vector(name: "TEST 3 (two bytes)",
               seed: "c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7",
               publicKey: "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025",
               message: "af82",
               signature: "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a"),
    ]

    @Test("RFC 8032 §7.1 known answers: public key, signature, verification", arguments: vectors)
    func knownAnswers(vector: Vector) throws {
        let seed = hexBytes(vector.seed)
        let message = hexBytes(vector.message)
        #expect(try Ed25519.publicKey(seed: seed) == hexBytes(vector.publicKey))
        #expect(try Ed25519.sign(message, seed: seed) == hexBytes(vector.signature))
        #expect(Ed25519.verify(signature: hexBytes(vector.signature), message: message,
                               publicKey: hexBytes(vector.publicKey)))
    }

    @Test("Verification fails on one flipped bit of signature, message or key", arguments: 0..<3)
    func flippedBit(part: Int) throws {
        let vector = Self.vectors[2]
        var signature = hexBytes(vector.signature)
        var message = hexBytes(vector.message)
        var publicKey = hexBytes(vector.publicKey)
        switch part {
        case 0: signature[17] ^= 0x01
        case 1: message[1] ^= 0x80
        default: publicKey[5] ^= 0x04
        }
        #expect(!Ed25519.verify(signature: signature, message: message, publicKey: publicKey))
    }

    @Test("Wrong lengths: verify is false, sign and publicKey throw crypto.failed")
    func wrongLengths() throws {
        let vector = Self.vectors[0]
        #expect(!Ed25519.verify(signature: Array(hexBytes(vector.signature).dropLast()), message: [UInt8](),
                                publicKey: hexBytes(vector.publicKey)))
        #expect(!Ed25519.verify(signature: hexBytes(vector.signature), message: [UInt8](),
                                publicKey: Array(hexBytes(vector.publicKey).dropLast())))
        #expect(stackError { _ = try Ed25519.sign([1, 2, 3], seed: [UInt8](repeating: 1, count: 31)) }?.code == .cryptoFailed)
        #expect(stackError { _ = try Ed25519.publicKey(seed: [UInt8](repeating: 1, count: 33)) }?.code == .cryptoFailed)
    }

    @Test("Generated seeds sign and verify; non-contiguous messages work")
    func roundTrip() throws {
        let seed = try Ed25519.generateSeed()
        #expect(seed.count == 32)
        let publicKey = try Ed25519.publicKey(seed: seed)
        let message = "hello, stack".utf8
        let signature = try Ed25519.sign(message, seed: seed)
        #expect(Ed25519.verify(signature: signature, message: Array(message), publicKey: publicKey))
        #expect(Ed25519.verify(signature: signature, message: message, publicKey: publicKey))
    }

    @Test("Throughput: verifications per second (recorded, not asserted)")
    func throughput() throws {
        let seed = hexBytes(Self.vectors[1].seed)
        let publicKey = try Ed25519.publicKey(seed: seed)
        let message = [UInt8](repeating: 7, count: 64)  // an ED prehash is 64 bytes
        let signature = try Ed25519.sign(message, seed: seed)
        let count = 2000
        let clock = ContinuousClock()
        var ok = 0
        let elapsed = clock.measure {
            for _ in 0..<count where Ed25519.verify(signature: signature, message: message, publicKey: publicKey) {
                ok += 1
            }
        }
        #expect(ok == count)
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        print("Ed25519 verify: \(Int(Double(count) / seconds)) per second")
    }
}
