import StackCore

/// A parsed minisign signature file (`.minisig`).
///
/// The format is exactly four lines, each ended by `\n` (the last line end is optional):
/// ```
/// untrusted comment: <text>
/// base64("ED" | key id (8) | signature (64))
/// trusted comment: <text>
/// base64(global signature (64))
/// ```
/// Parsing is strict, so one signature has one spelling: no fifth line (not even an
/// empty one), no `\r` or NUL anywhere, canonical base64 of exactly the right length, a
/// UTF-8 untrusted comment of at most ``maxUntrustedCommentBytes``, and a printable UTF-8
/// trusted comment of at most ``maxTrustedCommentBytes`` (minisign's own limits).
public struct MinisignSignature: Sendable, Hashable {
    /// The signature algorithm.
    public enum Algorithm: String, Sendable, Hashable {
        /// `ED`: Ed25519 over the BLAKE2b-512 of the file (minisign's default).
        case prehashed = "ED"
        /// `Ed`: Ed25519 over the whole file (`minisign -l`); refused unless allowed.
        case legacy = "Ed"
    }

    /// The longest trusted comment minisign reads and writes: its line buffer is 8 KiB
    /// including `trusted comment: `, the line end and a NUL, so 8192 − 18 − 1 bytes.
    public static let maxTrustedCommentBytes = 8173
    /// The longest untrusted comment minisign reads: a 1 KiB line buffer including
    /// `untrusted comment: `, the line end and a NUL, so 1024 − 20 − 1 bytes.
    public static let maxUntrustedCommentBytes = 1003

    /// The algorithm.
    public let algorithm: Algorithm
    /// The 8 key id bytes of the signing key.
    public let keyIDBytes: [UInt8]
    /// The 64-byte Ed25519 signature over the file (or its BLAKE2b-512).
    public let signature: [UInt8]
    /// The untrusted comment (after `untrusted comment: `); not covered by any signature.
    public let untrustedComment: String
    /// The trusted comment (after `trusted comment: `), covered by ``globalSignature``.
    public let trustedComment: String
    /// The 64-byte Ed25519 signature over ``signature`` followed by the trusted comment.
    public let globalSignature: [UInt8]

    /// The signing key's id as `minisign` prints it.
    public var keyID: String { Minisign.keyIDString(keyIDBytes) }

    /// Creates a signature from its parts (the signer uses it).
    /// - Parameters:
    ///   - algorithm: The algorithm.
    ///   - keyIDBytes: The 8 key id bytes.
    ///   - signature: The 64-byte file signature.
    ///   - untrustedComment: One line of UTF-8.
    ///   - trustedComment: One line of printable UTF-8.
    ///   - globalSignature: The 64-byte global signature.
    /// - Throws: `signature.malformed` when a part breaks the format's rules.
    public init(algorithm: Algorithm, keyIDBytes: [UInt8], signature: [UInt8], untrustedComment: String,
                trustedComment: String, globalSignature: [UInt8]) throws {
        guard keyIDBytes.count == Minisign.keyIDSize, signature.count == Ed25519.signatureSize,
              globalSignature.count == Ed25519.signatureSize else {
            throw StackError(.signatureMalformed, "a minisign signature has an 8-byte key id and 64-byte signatures")
        }
        try Self.checkUntrustedComment(Array(untrustedComment.utf8))
        try Self.checkTrustedComment(Array(trustedComment.utf8))
        self.algorithm = algorithm
        self.keyIDBytes = keyIDBytes
        self.signature = signature
        self.untrustedComment = untrustedComment
        self.trustedComment = trustedComment
        self.globalSignature = globalSignature
    }

    /// Parses a `.minisig` file strictly.
    /// - Parameters:
    ///   - bytes: The file contents.
    ///   - allowLegacy: Accept the legacy `Ed` algorithm.
    /// - Returns: The signature (not yet verified).
    /// - Throws: `signature.malformed` for any format violation or an unknown algorithm;
    ///   `signature.legacy_algorithm` for `Ed` when `allowLegacy` is false.
    public static func parse(_ bytes: [UInt8], allowLegacy: Bool = false) throws -> MinisignSignature {
        func malformed(_ message: String) -> StackError {
            StackError(.signatureMalformed, "signature file: \(message)")
        }
        guard bytes.count <= 16 * 1024 else { throw malformed("larger than 16 KiB") }
        guard !bytes.contains(0x0d) else { throw malformed("carriage return (CR) found; lines end with LF only") }
        guard !bytes.contains(0) else { throw malformed("NUL byte found") }
        var lines = bytes.split(separator: 0x0a, omittingEmptySubsequences: false).map(Array.init)
        if lines.count == 5, lines[4].isEmpty { lines.removeLast() }  // the final line end
        guard lines.count == 4 else {
            throw malformed("expected exactly 4 lines, found \(bytes.last == 0x0a ? lines.count - 1 : lines.count)")
        }
        guard lines[0].starts(with: Minisign.untrustedPrefix) else {
            throw malformed("line 1 must start with \"untrusted comment: \"")
        }
        guard lines[2].starts(with: Minisign.trustedPrefix) else {
            throw malformed("line 3 must start with \"trusted comment: \"")
        }
        let untrustedBytes = Array(lines[0].dropFirst(Minisign.untrustedPrefix.count))
        let trustedBytes = Array(lines[2].dropFirst(Minisign.trustedPrefix.count))
        try checkUntrustedComment(untrustedBytes)
        try checkTrustedComment(trustedBytes)

        guard lines[1].count == StrictBase64.encodedLength(74) else {
            throw malformed("line 2 must be \(StrictBase64.encodedLength(74)) base64 characters, found \(lines[1].count)")
        }
        guard let sigStruct = StrictBase64.decode(lines[1]), sigStruct.count == 74 else {
            throw malformed("line 2 is not canonical base64")
        }
        guard lines[3].count == StrictBase64.encodedLength(64) else {
            throw malformed("line 4 must be \(StrictBase64.encodedLength(64)) base64 characters, found \(lines[3].count)")
        }
        guard let global = StrictBase64.decode(lines[3]), global.count == 64 else {
            throw malformed("line 4 is not canonical base64")
        }
        let algorithmBytes = Array(sigStruct[0..<2])
        let algorithm: Algorithm
        switch algorithmBytes {
        case Array("ED".utf8): algorithm = .prehashed
        case Array("Ed".utf8):
            guard allowLegacy else {
                throw StackError(.signatureLegacy,
                                 "the signature uses the legacy Ed algorithm (not prehashed); it is refused",
                                 hint: "re-sign with a current minisign (without -l) or `stackctl bundle sign`")
            }
            algorithm = .legacy
        default:
            let shown = algorithmBytes.map { (0x21...0x7e).contains($0) ? String(UnicodeScalar($0)) : "\\x\(String($0, radix: 16))" }
            throw malformed("unsupported signature algorithm \"\(shown.joined())\"")
        }
        return MinisignSignature(
            validated: algorithm, keyIDBytes: Array(sigStruct[2..<10]), signature: Array(sigStruct[10..<74]),
            untrustedComment: String(decoding: untrustedBytes, as: UTF8.self),
            trustedComment: String(decoding: trustedBytes, as: UTF8.self), globalSignature: global)
    }

    private init(validated algorithm: Algorithm, keyIDBytes: [UInt8], signature: [UInt8],
                 untrustedComment: String, trustedComment: String, globalSignature: [UInt8]) {
        self.algorithm = algorithm
        self.keyIDBytes = keyIDBytes
        self.signature = signature
        self.untrustedComment = untrustedComment
        self.trustedComment = trustedComment
        self.globalSignature = globalSignature
    }

    /// The `.minisig` text, in the layout `minisign -S` writes (four lines, each ended by `\n`).
    public var text: String {
        let sigLine = StrictBase64.encode(Array(algorithm.rawValue.utf8) + keyIDBytes + signature)
        return "untrusted comment: \(untrustedComment)\n\(sigLine)\ntrusted comment: \(trustedComment)\n"
            + StrictBase64.encode(globalSignature) + "\n"
    }

    /// The message the global signature covers: ``signature`` followed by the trusted
    /// comment's UTF-8 bytes.
    public var globalSignedMessage: [UInt8] { signature + Array(trustedComment.utf8) }

    /// The trusted comment's fields, parsed with ``trustedFields(of:)``.
    /// - Returns: The fields.
    /// - Throws: `signature.comment_unbound` as ``trustedFields(of:)``.
    public func trustedFields() throws -> [String: String] {
        try Self.trustedFields(of: trustedComment)
    }

    /// Splits a trusted comment into minisign's tab-separated `key:value` fields.
    ///
    /// Each field is split at its first `:`; a field without `:` (minisign's own `hashed`
    /// flag) maps to an empty value; empty fields (two tabs in a row, a trailing tab) are
    /// skipped. A key that appears twice, or an empty key, makes the comment ambiguous:
    /// that is `signature.comment_unbound`, because the comment is authentic but cannot be
    /// bound to a single stack and version. (Call this only after the global signature
    /// verified, so tampering is reported as tampering.)
    /// - Parameter comment: The trusted comment.
    /// - Returns: The fields.
    /// - Throws: `signature.comment_unbound` for a duplicate or empty key.
    public static func trustedFields(of comment: String) throws -> [String: String] {
        var fields: [String: String] = [:]
        // Fields are tab-separated. `minisign -t 'stack:X\tversion:Y'` in a shell's single
        // quotes stores a literal backslash-t instead of a tab (DESIGN §4.3 documents that
        // command), so that two-character sequence separates fields too.
        let normalised = comment.replacingOccurrences(of: "\\t", with: "\t")
        for field in normalised.split(separator: "\t", omittingEmptySubsequences: true) {
            let key: Substring
            let value: Substring
            if let colon = field.firstIndex(of: ":") {
                key = field[..<colon]
                value = field[field.index(after: colon)...]
            } else {
                key = field
                value = ""
            }
            guard !key.isEmpty else {
                throw StackError(.signatureCommentUnbound, "the trusted comment has a field with an empty key")
            }
            guard fields.updateValue(String(value), forKey: String(key)) == nil else {
                throw StackError(.signatureCommentUnbound, "the trusted comment has the field \"\(key)\" twice")
            }
        }
        return fields
    }

    /// Checks an untrusted comment: valid UTF-8, one line, at most the minisign limit.
    static func checkUntrustedComment(_ bytes: [UInt8]) throws {
        guard bytes.count <= maxUntrustedCommentBytes else {
            throw StackError(.signatureMalformed, "the untrusted comment is longer than \(maxUntrustedCommentBytes) bytes")
        }
        guard !bytes.contains(where: { $0 == 0x0a || $0 == 0x0d || $0 == 0 }),
              String(validating: bytes, as: UTF8.self) != nil else {
            throw StackError(.signatureMalformed, "the untrusted comment is not one line of UTF-8")
        }
    }

    /// Checks a trusted comment: valid UTF-8, at most the minisign limit, and printable —
    /// no control characters other than the field separator TAB, and no bidirectional
    /// overrides or isolates (which can make a comment display differently from its bytes).
    static func checkTrustedComment(_ bytes: [UInt8]) throws {
        guard bytes.count <= maxTrustedCommentBytes else {
            throw StackError(.signatureMalformed, "the trusted comment is longer than \(maxTrustedCommentBytes) bytes")
        }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw StackError(.signatureMalformed, "the trusted comment is not valid UTF-8")
        }
        for scalar in text.unicodeScalars {
            let value = scalar.value
            let control = value < 0x20 && value != 0x09 || (0x7f...0x9f).contains(value)
            let bidi = (0x202a...0x202e).contains(value) || (0x2066...0x2069).contains(value)
                || value == 0x200e || value == 0x200f || value == 0x061c
            if control || bidi {
                throw StackError(.signatureMalformed,
                                 "the trusted comment contains a non-printable character U+\(String(value, radix: 16, uppercase: true))")
            }
        }
    }
}
