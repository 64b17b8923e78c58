import StackCore

/// Constants and small helpers shared by the minisign formats.
enum Minisign {
    /// The signature algorithm tag of keys and legacy signatures.
    static let keyAlgorithm: [UInt8] = Array("Ed".utf8)
    /// The prefix of every untrusted comment line.
    static let untrustedPrefix = Array("untrusted comment: ".utf8)
    /// The prefix of the trusted comment line.
    static let trustedPrefix = Array("trusted comment: ".utf8)
    /// Key id length in bytes.
    static let keyIDSize = 8

    /// Formats a key id the way `minisign` prints it: the 8 bytes read as a little-endian
    /// unsigned 64-bit integer, in 16 upper-case hex digits (`%016" PRIX64`).
    /// - Parameter bytes: The 8 key id bytes.
    /// - Returns: The printed key id.
    static func keyIDString(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789ABCDEF".utf8)
        var text: [UInt8] = []
        for byte in bytes.reversed() {
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: text, as: UTF8.self)
    }

    /// Parses a printed key id back into its 8 bytes.
    /// - Parameter text: 16 hex digits, either case.
    /// - Returns: The bytes, or `nil` when `text` is not 16 hex digits.
    static func keyIDBytes(_ text: String) -> [UInt8]? {
        let utf8 = Array(text.utf8)
        guard utf8.count == 16 else { return nil }
        var value: UInt64 = 0
        for symbol in utf8 {
            let nibble: UInt8
            switch symbol {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): nibble = symbol - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): nibble = symbol - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): nibble = symbol - UInt8(ascii: "A") + 10
            default: return nil
            }
            value = value << 4 | UInt64(nibble)
        }
        return (0..<8).map { UInt8(truncatingIfNeeded: value >> (8 * UInt64($0))) }
    }

    /// Splits a key file into lines on `\n`, tolerating `\r\n` line ends and one final line
    /// end, refusing any other `\r` and NUL.
    /// - Parameter bytes: The file.
    /// - Returns: The lines without their ends, or `nil` when the file has stray `\r`/NUL.
    static func keyFileLines(_ bytes: [UInt8]) -> [[UInt8]]? {
        var lines = bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).map(Array.init)
        if lines.count > 1, lines.last?.isEmpty == true { lines.removeLast() }
        for index in lines.indices {
            if lines[index].last == UInt8(ascii: "\r") { lines[index].removeLast() }
            if lines[index].contains(UInt8(ascii: "\r")) || lines[index].contains(0) { return nil }
        }
        return lines
    }
}

/// A minisign public key: the key id and the 32-byte Ed25519 public key.
///
/// The text form is the two-line file `minisign -G` writes:
/// ```
/// untrusted comment: minisign public key 16AB3F787AD495DF
/// RWTfldR6eD+rFpe03dFIm8sTan/TyDWqpwFbgbr/9DUEjNnNw0/VgvkF
/// ```
/// where the second line is the base64 of `"Ed" || key id (8) || public key (32)`.
/// Two keys are equal when their id and key bytes are; the comment does not count.
public struct MinisignPublicKey: Sendable, Hashable, CustomStringConvertible {
    /// The 8 key id bytes, as stored in key and signature files.
    public let keyIDBytes: [UInt8]
    /// The 32-byte Ed25519 public key.
    public let publicKey: [UInt8]

    /// The key id as `minisign` prints it: 16 upper-case hex digits of the little-endian
    /// 64-bit value of ``keyIDBytes``.
    public var keyID: String { Minisign.keyIDString(keyIDBytes) }

    /// Creates a key from its parts.
    /// - Parameters:
    ///   - keyIDBytes: The 8 key id bytes.
    ///   - publicKey: The 32-byte Ed25519 public key.
    /// - Throws: `key.invalid` when a length is wrong.
    public init(keyIDBytes: [UInt8], publicKey: [UInt8]) throws {
        guard keyIDBytes.count == Minisign.keyIDSize, publicKey.count == Ed25519.publicKeySize else {
            throw StackError(.keyInvalid, "a minisign public key has an 8-byte id and a 32-byte key")
        }
        self.keyIDBytes = keyIDBytes
        self.publicKey = publicKey
    }

    /// Creates a key from parts whose lengths the caller has already checked.
    init(validatedKeyIDBytes: [UInt8], publicKey: [UInt8]) {
        self.keyIDBytes = validatedKeyIDBytes
        self.publicKey = publicKey
    }

    /// Parses a public key file (`untrusted comment: …` then the base64 line) or the bare
    /// base64 line (what `minisign -P` takes). `\r\n` line ends are tolerated.
    /// - Parameter bytes: The file contents or the base64 text.
    /// - Throws: `key.invalid` when the text is not a minisign Ed25519 public key.
    public init(parsing bytes: [UInt8]) throws {
        guard let lines = Minisign.keyFileLines(bytes), !lines.isEmpty, lines.count <= 2 else {
            throw StackError(.keyInvalid, "a minisign public key is one base64 line, optionally after an untrusted comment line")
        }
        if lines.count == 2 {
            guard lines[0].starts(with: Minisign.untrustedPrefix) else {
                throw StackError(.keyInvalid, "the first line of a public key file must start with \"untrusted comment: \"")
            }
        }
        let line = lines[lines.count - 1]
        if line.count == StrictBase64.encodedLength(158) {
            throw StackError(.keyInvalid, "this is a minisign secret key file, not a public key",
                             hint: "trust the matching public key (the .pub file `keys generate` wrote beside it); never hand out the secret key")
        }
        guard line.count == StrictBase64.encodedLength(42), let decoded = StrictBase64.decode(line),
              decoded.count == 42 else {
            throw StackError(.keyInvalid, "the public key line is not the base64 of 42 bytes")
        }
        guard Array(decoded[0..<2]) == Minisign.keyAlgorithm else {
            throw StackError(.keyInvalid, "unsupported public key algorithm (expected Ed)")
        }
        try self.init(keyIDBytes: Array(decoded[2..<10]), publicKey: Array(decoded[10..<42]))
    }

    /// Parses a public key file or a bare base64 line.
    /// - Parameter text: The file contents or the base64 text.
    /// - Throws: `key.invalid` when the text is not a minisign Ed25519 public key.
    public init(parsing text: String) throws {
        try self.init(parsing: Array(text.utf8))
    }

    /// The base64 line: `"Ed" || key id || public key`, as `minisign -P` takes it.
    public var base64: String {
        StrictBase64.encode(Minisign.keyAlgorithm + keyIDBytes + publicKey)
    }

    /// The file text `minisign -G` writes:
    /// `untrusted comment: minisign public key <KEYID>\n<base64>\n`.
    public var fileContents: String {
        // minisign writes the id here with `%" PRIX64 "`, i.e. without leading zeros.
        "untrusted comment: minisign public key \(Self.unpaddedKeyID(keyID))\n\(base64)\n"
    }

    /// `minisign public key <KEYID>`.
    public var description: String { "minisign public key \(keyID)" }

    /// The key id as minisign prints it in a public key file's comment: no leading zeros.
    static func unpaddedKeyID(_ padded: String) -> String {
        let trimmed = padded.drop { $0 == "0" }
        return trimmed.isEmpty ? "0" : String(trimmed)
    }
}
