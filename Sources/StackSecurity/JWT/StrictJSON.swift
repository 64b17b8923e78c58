import StackCore

/// A strict RFC 8259 JSON reader and a compact, deterministic writer over ``ConfigValue``.
///
/// Unlike `JSONSerialization`, which silently keeps one of two equal keys, the reader
/// refuses a document whose object repeats a key (after unescaping, so `"a"` and
/// `"\u0061"` are the same key), and it refuses anything RFC 8259 does not define:
/// comments, trailing commas, leading zeros, `NaN`, invalid UTF-8, lone surrogates,
/// control characters in strings, and content after the value. Nesting is bounded.
public enum StrictJSON {
    /// Why a document was refused.
    public enum Failure: Error, Sendable, Equatable, CustomStringConvertible {
        /// The text is not JSON; `offset` is the byte where reading stopped.
        case syntax(offset: Int)
        /// An object has the same key twice; `offset` is the byte of the second one.
        case duplicateKey(offset: Int)
        /// Arrays and objects nest deeper than the limit.
        case tooDeep(offset: Int)

        public var description: String {
            switch self {
            case .syntax(let offset): "not valid JSON at byte \(offset)"
            case .duplicateKey(let offset): "duplicate object key at byte \(offset)"
            case .tooDeep(let offset): "nested too deeply at byte \(offset)"
            }
        }
    }

    /// The default nesting limit.
    public static let defaultMaxDepth = 32

    /// Parses one JSON document.
    /// - Parameters:
    ///   - bytes: The UTF-8 text.
    ///   - maxDepth: The deepest nesting of arrays and objects accepted.
    /// - Returns: The value. Integers that fit in `Int` (no fraction, no exponent) become
    ///   `.int`; other numbers become `.double`.
    /// - Throws: ``Failure``.
    public static func parse(_ bytes: [UInt8], maxDepth: Int = defaultMaxDepth) throws -> ConfigValue {
        var reader = Reader(bytes: bytes, maxDepth: maxDepth)
        reader.skipWhitespace()
        let value = try reader.value(depth: 0)
        reader.skipWhitespace()
        guard reader.index == bytes.count else { throw Failure.syntax(offset: reader.index) }
        return value
    }

    /// Writes a value as compact JSON: no whitespace, object keys sorted by their UTF-8
    /// bytes, so the same value always gives the same bytes.
    /// - Parameter value: The value. Non-finite doubles are written as `null`.
    /// - Returns: The JSON text.
    public static func compact(_ value: ConfigValue) -> String {
        var out = ""
        write(value, into: &out)
        return out
    }

    private static func write(_ value: ConfigValue, into out: inout String) {
        switch value {
        case .null: out += "null"
        case .bool(let b): out += b ? "true" : "false"
        case .int(let i): out += String(i)
        case .double(let d):
            if !d.isFinite {
                out += "null"
            } else if d == d.rounded(), abs(d) < 1e15 {
                out += String(Int64(d))
            } else {
                out += String(d)
            }
        case .string(let s): writeString(s, into: &out)
        case .array(let items):
            out += "["
            for (index, item) in items.enumerated() {
                if index > 0 { out += "," }
                write(item, into: &out)
            }
            out += "]"
        case .object(let members):
            out += "{"
            let keys = members.keys.sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
            for (index, key) in keys.enumerated() {
                if index > 0 { out += "," }
                writeString(key, into: &out)
                out += ":"
                if let member = members[key] { write(member, into: &out) }
            }
            out += "}"
        }
    }

    /// Writes a JSON string literal, escaping quotes, backslashes, controls and the two
    /// JavaScript line separators.
    static func writeString(_ s: String, into out: inout String) {
        out += "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 || scalar.value == 0x7F || scalar.value == 0x2028 || scalar.value == 0x2029 {
                    let hex = String(scalar.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        out += "\""
    }

    // MARK: Reader

    private struct Reader {
        let bytes: [UInt8]
        let maxDepth: Int
        var index = 0

        init(bytes: [UInt8], maxDepth: Int) {
            self.bytes = bytes
            self.maxDepth = maxDepth
        }

        var current: UInt8? { index < bytes.count ? bytes[index] : nil }

        mutating func skipWhitespace() {
            while let byte = current, byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D {
                index += 1
            }
        }

        mutating func expect(_ literal: StaticString) throws {
            let text = literal.withUTF8Buffer { Array($0) }
            guard index + text.count <= bytes.count, Array(bytes[index..<index + text.count]) == text else {
                throw Failure.syntax(offset: index)
            }
            index += text.count
        }

        mutating func value(depth: Int) throws -> ConfigValue {
            guard let byte = current else { throw Failure.syntax(offset: index) }
            switch byte {
            case UInt8(ascii: "{"): return try object(depth: depth + 1)
            case UInt8(ascii: "["): return try array(depth: depth + 1)
            case UInt8(ascii: "\""): return .string(try string())
            case UInt8(ascii: "t"): try expect("true"); return .bool(true)
            case UInt8(ascii: "f"): try expect("false"); return .bool(false)
            case UInt8(ascii: "n"): try expect("null"); return .null
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try number()
            default: throw Failure.syntax(offset: index)
            }
        }

        mutating func object(depth: Int) throws -> ConfigValue {
            guard depth <= maxDepth else { throw Failure.tooDeep(offset: index) }
            index += 1  // {
            var members: [String: ConfigValue] = [:]
            skipWhitespace()
            if current == UInt8(ascii: "}") {
                index += 1
                return .object(members)
            }
            while true {
                skipWhitespace()
                guard current == UInt8(ascii: "\"") else { throw Failure.syntax(offset: index) }
                let keyOffset = index
                let key = try string()
                guard members[key] == nil else { throw Failure.duplicateKey(offset: keyOffset) }
                skipWhitespace()
                guard current == UInt8(ascii: ":") else { throw Failure.syntax(offset: index) }
                index += 1
                skipWhitespace()
                members[key] = try value(depth: depth)
                skipWhitespace()
                switch current {
                case UInt8(ascii: ","): index += 1
                case UInt8(ascii: "}"): index += 1; return .object(members)
                default: throw Failure.syntax(offset: index)
                }
            }
        }

        mutating func array(depth: Int) throws -> ConfigValue {
            guard depth <= maxDepth else { throw Failure.tooDeep(offset: index) }
            index += 1  // [
            var items: [ConfigValue] = []
            skipWhitespace()
            if current == UInt8(ascii: "]") {
                index += 1
                return .array(items)
            }
            while true {
                skipWhitespace()
                items.append(try value(depth: depth))
                skipWhitespace()
                switch current {
                case UInt8(ascii: ","): index += 1
                case UInt8(ascii: "]"): index += 1; return .array(items)
                default: throw Failure.syntax(offset: index)
                }
            }
        }

        mutating func number() throws -> ConfigValue {
            let start = index
            var isInteger = true
            if current == UInt8(ascii: "-") { index += 1 }
            guard let first = current, isDigit(first) else { throw Failure.syntax(offset: index) }
            if first == UInt8(ascii: "0") {
                index += 1
                if let next = current, isDigit(next) { throw Failure.syntax(offset: index) }  // leading zero
            } else {
                while let byte = current, isDigit(byte) { index += 1 }
            }
            if current == UInt8(ascii: ".") {
                isInteger = false
                index += 1
                guard let byte = current, isDigit(byte) else { throw Failure.syntax(offset: index) }
                while let byte = current, isDigit(byte) { index += 1 }
            }
            if current == UInt8(ascii: "e") || current == UInt8(ascii: "E") {
                isInteger = false
                index += 1
                if current == UInt8(ascii: "+") || current == UInt8(ascii: "-") { index += 1 }
                guard let byte = current, isDigit(byte) else { throw Failure.syntax(offset: index) }
                while let byte = current, isDigit(byte) { index += 1 }
            }
            let text = String(decoding: bytes[start..<index], as: UTF8.self)
            if isInteger, let integer = Int(text) { return .int(integer) }
            guard let double = Double(text), double.isFinite else { throw Failure.syntax(offset: start) }
            return .double(double)
        }

        func isDigit(_ byte: UInt8) -> Bool { byte >= 0x30 && byte <= 0x39 }

        mutating func string() throws -> String {
            index += 1  // opening quote
            var scalars = String.UnicodeScalarView()
            while true {
                guard let byte = current else { throw Failure.syntax(offset: index) }
                switch byte {
                case UInt8(ascii: "\""):
                    index += 1
                    return String(scalars)
                case UInt8(ascii: "\\"):
                    index += 1
                    scalars.append(try escape())
                case 0x00..<0x20:
                    throw Failure.syntax(offset: index)
                case 0x00..<0x80:
                    scalars.append(Unicode.Scalar(byte))
                    index += 1
                default:
                    scalars.append(try multiByteScalar())
                }
            }
        }

        /// Decodes one UTF-8 sequence of two to four bytes, refusing overlong forms,
        /// surrogates and values above U+10FFFF (the standard library's decoder does).
        mutating func multiByteScalar() throws -> Unicode.Scalar {
            let start = index
            let length: Int
            switch bytes[index] {
            case 0xC2...0xDF: length = 2
            case 0xE0...0xEF: length = 3
            case 0xF0...0xF4: length = 4
            default: throw Failure.syntax(offset: start)
            }
            guard start + length <= bytes.count else { throw Failure.syntax(offset: start) }
            var iterator = bytes[start..<start + length].makeIterator()
            var decoder = UTF8()
            guard case .scalarValue(let scalar) = decoder.decode(&iterator), iterator.next() == nil else {
                throw Failure.syntax(offset: start)
            }
            index += length
            return scalar
        }

        mutating func escape() throws -> Unicode.Scalar {
            guard let byte = current else { throw Failure.syntax(offset: index) }
            index += 1
            switch byte {
            case UInt8(ascii: "\""): return "\""
            case UInt8(ascii: "\\"): return "\\"
            case UInt8(ascii: "/"): return "/"
            case UInt8(ascii: "b"): return "\u{08}"
            case UInt8(ascii: "f"): return "\u{0C}"
            case UInt8(ascii: "n"): return "\n"
            case UInt8(ascii: "r"): return "\r"
            case UInt8(ascii: "t"): return "\t"
            case UInt8(ascii: "u"):
                let high = try hex4()
                switch high {
                case 0xD800...0xDBFF:
                    let offset = index
                    guard current == UInt8(ascii: "\\") else { throw Failure.syntax(offset: offset) }
                    index += 1
                    guard current == UInt8(ascii: "u") else { throw Failure.syntax(offset: offset) }
                    index += 1
                    let low = try hex4()
                    guard (0xDC00...0xDFFF).contains(low),
                          let scalar = Unicode.Scalar(0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00)) else {
                        throw Failure.syntax(offset: offset)
                    }
                    return scalar
                case 0xDC00...0xDFFF:
                    throw Failure.syntax(offset: index - 6)  // lone low surrogate
                default:
                    guard let scalar = Unicode.Scalar(high) else { throw Failure.syntax(offset: index - 6) }
                    return scalar
                }
            default:
                throw Failure.syntax(offset: index - 1)
            }
        }

        mutating func hex4() throws -> UInt32 {
            guard index + 4 <= bytes.count else { throw Failure.syntax(offset: index) }
            var value: UInt32 = 0
            for _ in 0..<4 {
                let byte = bytes[index]
                let digit: UInt32
                switch byte {
                case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = UInt32(byte - 0x30)
                case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = UInt32(byte - 0x61 + 10)
                case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = UInt32(byte - 0x41 + 10)
                default: throw Failure.syntax(offset: index)
                }
                value = value << 4 | digit
                index += 1
            }
            return value
        }
    }
}
