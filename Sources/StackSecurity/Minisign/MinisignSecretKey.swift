import Foundation
import StackCore

/// A minisign secret key: the Ed25519 seed, its key id and public key.
///
/// The file is an untrusted comment line and the base64 of 158 bytes:
/// `"Ed"` · KDF (`"Sc"` scrypt, or two zero bytes for an unencrypted `-W` key) · `"B2"` ·
/// salt (32) · opslimit (u64 LE) · memlimit (u64 LE) · then, XOR-ed with 104 scrypt bytes
/// when encrypted: key id (8) · seed (32) · public key (32) · BLAKE2b-256 checksum (32).
///
/// The seed lives in one wiped-on-release buffer; this type never prints it
/// (`description`, `debugDescription` and its mirror show the key id only).
public struct MinisignSecretKey: Sendable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    /// The default untrusted comment of secret key files written here.
    public static let defaultUntrustedComment = "minisign unencrypted secret key"

    /// The 8 key id bytes.
    public let keyIDBytes: [UInt8]
    /// The 32-byte Ed25519 public key.
    public let publicKeyBytes: [UInt8]
    /// The comment of the secret key file's first line (not secret, not authenticated).
    public var untrustedComment: String = defaultUntrustedComment
    let seed: SecureBytes

    /// The key id as `minisign` prints it (16 upper-case hex digits).
    public var keyID: String { Minisign.keyIDString(keyIDBytes) }

    /// The matching public key.
    public var publicKey: MinisignPublicKey {
        MinisignPublicKey(validatedKeyIDBytes: keyIDBytes, publicKey: publicKeyBytes)
    }

    /// Creates a key from a seed and key id; the public key is derived.
    /// - Parameters:
    ///   - seed: The 32-byte seed; the caller wipes its copy.
    ///   - keyIDBytes: The 8 key id bytes.
    /// - Throws: `key.invalid` for wrong lengths, `crypto.failed` when OpenSSL fails.
    public init(seed: [UInt8], keyIDBytes: [UInt8]) throws {
        guard seed.count == Ed25519.seedSize, keyIDBytes.count == Minisign.keyIDSize else {
            throw StackError(.keyInvalid, "a minisign secret key has a 32-byte seed and an 8-byte id")
        }
        let secure = seed.withUnsafeBytes { SecureBytes(copying: $0) }
        self.seed = secure
        self.keyIDBytes = keyIDBytes
        self.publicKeyBytes = try secure.withUnsafeBytes { try Ed25519.publicKey(seed: $0) }
    }

    /// Generates a new key with a random seed and a random key id.
    /// - Returns: The key.
    /// - Throws: `crypto.failed` when the random generator or OpenSSL fails.
    public static func generate() throws -> MinisignSecretKey {
        var seed = try Ed25519.generateSeed()
        defer { wipe(&seed) }
        return try MinisignSecretKey(seed: seed, keyIDBytes: SecureRandom.bytes(Minisign.keyIDSize))
    }

    /// Parses a secret key file, decrypting it when it is scrypt-encrypted.
    ///
    /// Unencrypted (`-W`) keys may carry a zero salt, zero limits and a zero checksum, as
    /// `minisign` writes them; the checksum is not checked. Every key is checked by
    /// deriving the public key from the seed and comparing it with the stored one; for an
    /// encrypted key a mismatch means the password is wrong.
    /// - Parameters:
    ///   - bytes: The file contents.
    ///   - password: The password of an encrypted key; ignored for an unencrypted one.
    /// - Returns: The key.
    /// - Throws: `key.invalid` when the file is malformed, uses another algorithm, needs a
    ///   password that was not given, or the password is wrong; `crypto.failed` when
    ///   OpenSSL fails.
    public static func parse(_ bytes: [UInt8], password: String? = nil) throws -> MinisignSecretKey {
        guard var lines = Minisign.keyFileLines(bytes) else {
            throw StackError(.keyInvalid, "a minisign secret key file is an untrusted comment line and one base64 line")
        }
        defer { for index in lines.indices { wipe(&lines[index]) } }
        if let last = lines.last, last.count == StrictBase64.encodedLength(42) {
            throw StackError(.keyInvalid, "this is a minisign public key file, not a secret key",
                             hint: "sign with the secret key (the .key file `keys generate` wrote beside the .pub)")
        }
        guard lines.count == 2, lines[0].starts(with: Minisign.untrustedPrefix) else {
            throw StackError(.keyInvalid, "a minisign secret key file is an untrusted comment line and one base64 line")
        }
        guard lines[1].count == StrictBase64.encodedLength(158), var blob = StrictBase64.decode(lines[1]),
              blob.count == 158 else {
            throw StackError(.keyInvalid, "the secret key line is not the base64 of 158 bytes")
        }
        defer { wipe(&blob) }
        guard Array(blob[0..<2]) == Minisign.keyAlgorithm else {
            throw StackError(.keyInvalid, "unsupported secret key algorithm (expected Ed)")
        }
        guard Array(blob[4..<6]) == Array("B2".utf8) else {
            throw StackError(.keyInvalid, "unsupported secret key checksum algorithm (expected B2)")
        }
        let kdf = Array(blob[2..<4])
        let encrypted: Bool
        if kdf == Array("Sc".utf8) {
            encrypted = true
        } else if kdf == [0, 0] {
            encrypted = false
        } else {
            throw StackError(.keyInvalid, "unsupported secret key derivation function")
        }
        if encrypted {
            guard let password else {
                throw StackError(.keyInvalid, "the secret key is encrypted; a password is needed")
            }
            let salt = Array(blob[6..<38])
            let opslimit = loadLE64(blob, at: 38)
            let memlimit = loadLE64(blob, at: 46)
            var passwordBytes = Array(password.utf8)
            defer { wipe(&passwordBytes) }
            var stream = try Scrypt.derive(password: passwordBytes, salt: salt,
                                           parameters: Scrypt.parameters(opslimit: opslimit, memlimit: memlimit),
                                           count: 104)
            defer { wipe(&stream) }
            for index in 0..<104 { blob[54 + index] ^= stream[index] }
        }
        let keyID = Array(blob[54..<62])
        var seed = Array(blob[62..<94])
        defer { wipe(&seed) }
        let storedPublicKey = Array(blob[94..<126])
        var key = try MinisignSecretKey(seed: seed, keyIDBytes: keyID)
        key.untrustedComment = String(decoding: lines[0].dropFirst(Minisign.untrustedPrefix.count), as: UTF8.self)
        guard constantTimeEquals(key.publicKeyBytes, storedPublicKey) else {
            throw StackError(.keyInvalid, encrypted
                             ? "wrong password for the secret key"
                             : "the secret key is corrupt: its public key does not match its seed")
        }
        return key
    }

    /// Parses a secret key file at `url`.
    /// - Parameters:
    ///   - url: The file.
    ///   - password: The password of an encrypted key.
    /// - Returns: The key.
    /// - Throws: `io.not_found`/`io.failed` when unreadable, otherwise as ``parse(_:password:)``
    ///   with the file named in the message.
    public static func load(from url: URL, password: String? = nil) throws -> MinisignSecretKey {
        var data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            let missing = !FileManager.default.fileExists(atPath: url.path)
            throw StackError(missing ? .fileNotFound : .ioFailed, "cannot read secret key \(url.path)", cause: error)
        }
        var bytes = Array(data)
        data.resetBytes(in: 0..<data.count)
        defer { wipe(&bytes) }
        do {
            return try parse(bytes, password: password)
        } catch var error as StackError where error.code == .keyInvalid {
            error.message = "\(url.path): \(error.message)"
            throw error
        }
    }

    /// The unencrypted (`-W`) file text, byte for byte the layout `minisign -G -W` writes:
    /// zero salt, limits and checksum, the KDF field two zero bytes.
    /// The first line carries ``untrustedComment``.
    /// - Returns: The file bytes; wipe them when written.
    /// - Throws: `key.invalid` when the comment contains a line break or NUL.
    public func unencryptedFileBytes() throws -> [UInt8] {
        guard !untrustedComment.utf8.contains(where: { $0 == 0x0a || $0 == 0x0d || $0 == 0 }) else {
            throw StackError(.keyInvalid, "the untrusted comment must be one line")
        }
        var blob = [UInt8](repeating: 0, count: 158)
        defer { wipe(&blob) }
        blob.replaceSubrange(0..<2, with: Minisign.keyAlgorithm)
        blob.replaceSubrange(4..<6, with: Array("B2".utf8))
        blob.replaceSubrange(54..<62, with: keyIDBytes)
        seed.withUnsafeBytes { raw in
            for index in 0..<Ed25519.seedSize { blob[62 + index] = raw[index] }
        }
        blob.replaceSubrange(94..<126, with: publicKeyBytes)
        var encoded = Array(StrictBase64.encode(blob).utf8)
        defer { wipe(&encoded) }
        return Minisign.untrustedPrefix + Array(untrustedComment.utf8) + [0x0a] + encoded + [0x0a]
    }

    /// Writes ``unencryptedFileBytes()`` atomically with mode 0600.
    /// - Parameter url: The target file.
    /// - Throws: `io.failed` naming the path, `key.invalid` for a multi-line comment.
    public func writeUnencrypted(to url: URL) throws {
        var bytes = try unencryptedFileBytes()
        defer { wipe(&bytes) }
        try AtomicFile.write(bytes, to: url, mode: 0o600)
    }

    /// Lends the seed to `body`; the pointer must not escape.
    func withSeed<Result>(_ body: (UnsafeRawBufferPointer) throws -> Result) rethrows -> Result {
        try seed.withUnsafeBytes(body)
    }

    /// `MinisignSecretKey(<KEYID>)`; never the seed.
    public var description: String { "MinisignSecretKey(\(keyID))" }
    /// `MinisignSecretKey(<KEYID>)`; never the seed.
    public var debugDescription: String { description }
    /// A mirror with the key id only, so `dump` and reflection never reach the seed.
    public var customMirror: Mirror { Mirror(self, children: ["keyID": keyID]) }

    private static func loadLE64(_ bytes: [UInt8], at offset: Int) -> UInt64 {
        (0..<8).reduce(UInt64(0)) { $0 | UInt64(bytes[offset + $1]) << (8 * UInt64($1)) }
    }
}
