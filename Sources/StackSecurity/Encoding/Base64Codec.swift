/// The one base64 engine behind ``Base64URL`` (JWT) and `StrictBase64` (minisign): a
/// 64-symbol alphabet, an encoder with optional padding, and a canonical-only decoder of
/// unpadded symbols (no foreign symbols, no length of 1 mod 4, zero unused bits), so no
/// byte string has a second spelling that decodes.
struct Base64Codec: Sendable {
    private let alphabet: [UInt8]
    private let decodeTable: [UInt8]

    static let standard = Base64Codec("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")
    static let url = Base64Codec("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")

    private init(_ symbols: String) {
        alphabet = Array(symbols.utf8)
        var table = [UInt8](repeating: 0xff, count: 256)
        for (index, symbol) in alphabet.enumerated() { table[Int(symbol)] = UInt8(index) }
        decodeTable = table
    }

    /// Encodes `bytes`, with `=` padding when `padded`.
    func encode(_ bytes: some Collection<UInt8>, padded: Bool) -> String {
        let input = Array(bytes)
        var out: [UInt8] = []
        out.reserveCapacity((input.count + 2) / 3 * 4)
        var index = 0
        while index < input.count {
            let rest = min(3, input.count - index)
            var value = UInt32(input[index]) << 16
            if rest > 1 { value |= UInt32(input[index + 1]) << 8 }
            if rest > 2 { value |= UInt32(input[index + 2]) }
            for position in 0...rest {
                out.append(alphabet[Int(value >> UInt32(18 - 6 * position) & 63)])
            }
            if padded { out.append(contentsOf: repeatElement(UInt8(ascii: "="), count: 3 - rest)) }
            index += 3
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Decodes unpadded symbols canonically.
    /// - Returns: The bytes, or `nil` for a foreign symbol (`=` included), a length of
    ///   1 mod 4, or non-zero unused bits in the last symbol.
    func decodeUnpadded(_ symbols: [UInt8]) -> [UInt8]? {
        guard symbols.count % 4 != 1 else { return nil }
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
                out += [UInt8(truncatingIfNeeded: value >> 16), UInt8(truncatingIfNeeded: value >> 8),
                        UInt8(truncatingIfNeeded: value)]
            case 3:
                guard value & 0xff == 0 else { return nil }  // unused bits must be zero
                out += [UInt8(truncatingIfNeeded: value >> 16), UInt8(truncatingIfNeeded: value >> 8)]
            default:
                guard value & 0xffff == 0 else { return nil }
                out.append(UInt8(truncatingIfNeeded: value >> 16))
            }
            index += 4
        }
        return out
    }
}
