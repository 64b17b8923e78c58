/// Base64url without padding (RFC 4648 §5, RFC 7515 §2) with a canonical-only decoder.
///
/// The decoder accepts exactly one spelling per byte string: only `A–Z a–z 0–9 - _`, no
/// `=`, no whitespace, a length that is not `1 (mod 4)`, and the unused low bits of the
/// last symbol zero. A token therefore cannot be re-spelled into a second token that
/// verifies (and, e.g., slips past a replay cache keyed on the text).
public enum Base64URL {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)

    private static let decodeTable: [UInt8] = {
        var table = [UInt8](repeating: 0xff, count: 256)
        for (index, symbol) in alphabet.enumerated() { table[Int(symbol)] = UInt8(index) }
        return table
    }()

    /// Encodes bytes without padding.
    /// - Parameter bytes: The bytes.
    /// - Returns: The canonical base64url text.
    public static func encode(_ bytes: some Collection<UInt8>) -> String {
        let input = Array(bytes)
        var out: [UInt8] = []
        out.reserveCapacity((input.count * 4 + 2) / 3)
        var index = 0
        while index + 3 <= input.count {
            let value = UInt32(input[index]) << 16 | UInt32(input[index + 1]) << 8 | UInt32(input[index + 2])
            out.append(alphabet[Int(value >> 18 & 63)])
            out.append(alphabet[Int(value >> 12 & 63)])
            out.append(alphabet[Int(value >> 6 & 63)])
            out.append(alphabet[Int(value & 63)])
            index += 3
        }
        switch input.count - index {
        case 1:
            let value = UInt32(input[index]) << 16
            out.append(alphabet[Int(value >> 18 & 63)])
            out.append(alphabet[Int(value >> 12 & 63)])
        case 2:
            let value = UInt32(input[index]) << 16 | UInt32(input[index + 1]) << 8
            out.append(alphabet[Int(value >> 18 & 63)])
            out.append(alphabet[Int(value >> 12 & 63)])
            out.append(alphabet[Int(value >> 6 & 63)])
        default:
            break
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Decodes canonical, unpadded base64url.
    /// - Parameter text: The encoded symbols (ASCII bytes).
    /// - Returns: The bytes, or `nil` when `text` is not the canonical encoding of any byte
    ///   string (padding, foreign symbols, impossible length, non-zero unused bits).
    public static func decode(_ text: some Collection<UInt8>) -> [UInt8]? {
        let symbols = Array(text)
        let remainder = symbols.count % 4
        guard remainder != 1 else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(symbols.count * 3 / 4)
        var index = 0
        while index < symbols.count {
            let chunk = min(4, symbols.count - index)
            var value: UInt32 = 0
            for offset in 0..<4 {
                value <<= 6
                guard offset < chunk else { continue }
                let decoded = decodeTable[Int(symbols[index + offset])]
                guard decoded != 0xff else { return nil }
                value |= UInt32(decoded)
            }
            switch chunk {
            case 4:
                out.append(UInt8(truncatingIfNeeded: value >> 16))
                out.append(UInt8(truncatingIfNeeded: value >> 8))
                out.append(UInt8(truncatingIfNeeded: value))
            case 3:
                guard value & 0xff == 0 else { return nil }  // unused bits must be zero
                out.append(UInt8(truncatingIfNeeded: value >> 16))
                out.append(UInt8(truncatingIfNeeded: value >> 8))
            default:
                guard value & 0xffff == 0 else { return nil }
                out.append(UInt8(truncatingIfNeeded: value >> 16))
            }
            index += 4
        }
        return out
    }

    /// Decodes canonical, unpadded base64url text.
    /// - Parameter text: The encoded text.
    /// - Returns: The bytes, or `nil` when `text` is not canonical.
    public static func decode(_ text: String) -> [UInt8]? {
        decode(Array(text.utf8))
    }
}
