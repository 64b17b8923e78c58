/// Standard base64 (RFC 4648 §4, `+/` alphabet, `=` padding) with a canonical-only decoder.
///
/// The decoder accepts exactly one spelling per byte string: the length is a multiple of
/// four, padding is present and only at the end, and the unused low bits of the last
/// symbol are zero. Anything else (whitespace, URL-safe symbols, missing or extra padding,
/// non-zero trailing bits) is refused, so a signature line cannot be re-spelled.
enum StrictBase64 {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    private static let decodeTable: [UInt8] = {
        var table = [UInt8](repeating: 0xff, count: 256)
        for (index, symbol) in alphabet.enumerated() { table[Int(symbol)] = UInt8(index) }
        return table
    }()

    /// The encoded length of `count` bytes.
    /// - Parameter count: Bytes before encoding.
    /// - Returns: Characters after encoding, padding included.
    static func encodedLength(_ count: Int) -> Int { (count + 2) / 3 * 4 }

    /// Encodes bytes.
    /// - Parameter bytes: The bytes.
    /// - Returns: The canonical base64 text.
    static func encode(_ bytes: [UInt8]) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(encodedLength(bytes.count))
        var index = 0
        while index + 3 <= bytes.count {
            let value = UInt32(bytes[index]) << 16 | UInt32(bytes[index + 1]) << 8 | UInt32(bytes[index + 2])
            out.append(alphabet[Int(value >> 18 & 63)])
            out.append(alphabet[Int(value >> 12 & 63)])
            out.append(alphabet[Int(value >> 6 & 63)])
            out.append(alphabet[Int(value & 63)])
            index += 3
        }
        let rest = bytes.count - index
        if rest == 1 {
            let value = UInt32(bytes[index]) << 16
            out.append(alphabet[Int(value >> 18 & 63)])
            out.append(alphabet[Int(value >> 12 & 63)])
            out.append(contentsOf: Array("==".utf8))
        } else if rest == 2 {
            let value = UInt32(bytes[index]) << 16 | UInt32(bytes[index + 1]) << 8
            out.append(alphabet[Int(value >> 18 & 63)])
            out.append(alphabet[Int(value >> 12 & 63)])
            out.append(alphabet[Int(value >> 6 & 63)])
            out.append(UInt8(ascii: "="))
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Decodes canonical base64.
    /// - Parameter text: The encoded bytes (ASCII).
    /// - Returns: The decoded bytes, or `nil` when `text` is not canonical base64.
    static func decode(_ text: some Collection<UInt8>) -> [UInt8]? {
        let symbols = Array(text)
        guard symbols.count % 4 == 0 else { return nil }
        var padding = 0
        if symbols.last == UInt8(ascii: "=") { padding += 1 }
        if symbols.count >= 2, symbols[symbols.count - 2] == UInt8(ascii: "=") {
            guard padding == 1 else { return nil }
            padding += 1
        }
        var out: [UInt8] = []
        out.reserveCapacity(symbols.count / 4 * 3)
        var index = 0
        while index < symbols.count {
            let isLast = index + 4 == symbols.count
            let pad = isLast ? padding : 0
            var value: UInt32 = 0
            for offset in 0..<4 {
                let symbol = symbols[index + offset]
                if offset >= 4 - pad {
                    value <<= 6
                    continue
                }
                let decoded = decodeTable[Int(symbol)]
                guard decoded != 0xff else { return nil }
                value = value << 6 | UInt32(decoded)
            }
            switch pad {
            case 0:
                out.append(UInt8(truncatingIfNeeded: value >> 16))
                out.append(UInt8(truncatingIfNeeded: value >> 8))
                out.append(UInt8(truncatingIfNeeded: value))
            case 1:
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
}
