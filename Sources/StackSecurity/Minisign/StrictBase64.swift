/// Standard base64 (RFC 4648 §4, `+/` alphabet, `=` padding) with a canonical-only decoder.
///
/// The decoder accepts exactly one spelling per byte string: the length is a multiple of
/// four, padding is present and only at the end, and the unused low bits of the last
/// symbol are zero. Anything else (whitespace, URL-safe symbols, missing or extra padding,
/// non-zero trailing bits) is refused, so a signature line cannot be re-spelled.
enum StrictBase64 {
    /// The encoded length of `count` bytes.
    /// - Parameter count: Bytes before encoding.
    /// - Returns: Characters after encoding, padding included.
    static func encodedLength(_ count: Int) -> Int { (count + 2) / 3 * 4 }

    /// Encodes bytes.
    /// - Parameter bytes: The bytes.
    /// - Returns: The canonical base64 text.
    static func encode(_ bytes: [UInt8]) -> String {
        Base64Codec.standard.encode(bytes, padded: true)
    }

    /// Decodes canonical base64.
    /// - Parameter text: The encoded bytes (ASCII).
    /// - Returns: The decoded bytes, or `nil` when `text` is not canonical base64.
    static func decode(_ text: some Collection<UInt8>) -> [UInt8]? {
        var symbols = Array(text)
        guard symbols.count % 4 == 0 else { return nil }
        // At most two `=`, only at the end, and exactly as many as the length needs.
        var padding = 0
        while padding < 2, symbols.last == UInt8(ascii: "=") {
            symbols.removeLast()
            padding += 1
        }
        guard symbols.count % 4 == (4 - padding) % 4 else { return nil }
        return Base64Codec.standard.decodeUnpadded(symbols)
    }
}
