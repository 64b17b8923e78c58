/// Base64url without padding (RFC 4648 §5, RFC 7515 §2) with a canonical-only decoder.
///
/// The decoder accepts exactly one spelling per byte string: only `A–Z a–z 0–9 - _`, no
/// `=`, no whitespace, a length that is not `1 (mod 4)`, and the unused low bits of the
/// last symbol zero. A token therefore cannot be re-spelled into a second token that
/// verifies (and, e.g., slips past a replay cache keyed on the text).
public enum Base64URL {
    /// Encodes bytes without padding.
    /// - Parameter bytes: The bytes.
    /// - Returns: The canonical base64url text.
    public static func encode(_ bytes: some Collection<UInt8>) -> String {
        Base64Codec.url.encode(bytes, padded: false)
    }

    /// Decodes canonical, unpadded base64url.
    /// - Parameter text: The encoded symbols (ASCII bytes).
    /// - Returns: The bytes, or `nil` when `text` is not the canonical encoding of any byte
    ///   string (padding, foreign symbols, impossible length, non-zero unused bits).
    public static func decode(_ text: some Collection<UInt8>) -> [UInt8]? {
        Base64Codec.url.decodeUnpadded(Array(text))
    }

    /// Decodes canonical, unpadded base64url text.
    /// - Parameter text: The encoded text.
    /// - Returns: The bytes, or `nil` when `text` is not canonical.
    public static func decode(_ text: String) -> [UInt8]? {
        decode(Array(text.utf8))
    }
}
