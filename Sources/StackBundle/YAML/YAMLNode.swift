import StackCore

/// One node of a parsed YAML document, with aliases already expanded and merge keys
/// (`<<`) already applied by ``YAMLParser``.
///
/// Scalars keep their source text, style and tag, so that a quoted `"true"` stays a
/// string; ``resolvedScalar()`` and ``toConfigValue()`` apply the YAML 1.2 core schema to
/// plain scalars only. Every node knows where it starts (``mark``), for messages.
public struct YAMLNode: Sendable {
    /// How a scalar was written.
    public enum ScalarStyle: String, Sendable, Hashable, CaseIterable {
        /// Unquoted (`key: value`); the only style the core schema resolves.
        case plain
        /// `'single quoted'`.
        case singleQuoted
        /// `"double quoted"`.
        case doubleQuoted
        /// A `|` block.
        case literal
        /// A `>` block.
        case folded
    }

    /// A key and its value, in document order.
    public typealias Pair = (key: YAMLNode, value: YAMLNode)

    /// What a node holds.
    public enum Kind: Sendable {
        /// A scalar: its text as written (escapes decoded), its style, and its explicit
        /// tag (`tag:yaml.org,2002:str` for `!!str`, `!` for the non-specific tag), if any.
        case scalar(String, style: ScalarStyle, tag: String?)
        /// A sequence of nodes.
        case sequence([YAMLNode])
        /// A mapping, in document order, keys unique and scalar.
        case mapping([Pair])
    }

    /// A position in the source: the file name and the 1-based line and column.
    public struct Mark: Sendable, Hashable, CustomStringConvertible {
        /// The file name given to the parser.
        public var file: String
        /// The 1-based line.
        public var line: Int
        /// The 1-based column.
        public var column: Int

        /// Creates a mark.
        /// - Parameters:
        ///   - file: The file name, for messages.
        ///   - line: The 1-based line.
        ///   - column: The 1-based column.
        public init(file: String, line: Int, column: Int) {
            self.file = file
            self.line = line
            self.column = column
        }

        /// `file:line:column`.
        public var description: String { "\(file):\(line):\(column)" }
        /// `line:column`, without the file.
        public var lineColumn: String { "\(line):\(column)" }
    }

    /// The node's content.
    public var kind: Kind
    /// Where the node starts.
    public var mark: Mark

    /// Creates a node.
    /// - Parameters:
    ///   - kind: The content.
    ///   - mark: Where it starts.
    public init(_ kind: Kind, mark: Mark) {
        self.kind = kind
        self.mark = mark
    }

    // MARK: Core-schema tags

    /// The core-schema tags the parser accepts, by their full name.
    enum CoreTag {
        static let prefix = "tag:yaml.org,2002:"
        static let str = prefix + "str"
        static let int = prefix + "int"
        static let float = prefix + "float"
        static let bool = prefix + "bool"
        static let null = prefix + "null"
        static let seq = prefix + "seq"
        static let map = prefix + "map"
        static let nonSpecific = "!"
        static let scalarTags: Set<String> = [str, int, float, bool, null, nonSpecific]
    }

    // MARK: Accessors

    /// The scalar's text as written, or `nil` for a collection.
    public var scalarText: String? {
        if case .scalar(let text, _, _) = kind { return text }
        return nil
    }

    /// The items, when this is a sequence.
    public var sequenceItems: [YAMLNode]? {
        if case .sequence(let items) = kind { return items }
        return nil
    }

    /// The key/value pairs, when this is a mapping.
    public var mappingPairs: [Pair]? {
        if case .mapping(let pairs) = kind { return pairs }
        return nil
    }

    /// Whether this is a scalar that resolves to null (`null`, `~`, empty, `!!null`).
    public var isNull: Bool {
        guard case .scalar(let text, let style, let tag) = kind else { return false }
        if tag == CoreTag.null { return true }
        return style == .plain && tag == nil && Self.resolvePlain(text) == .null
    }

    /// A short name of the node's kind for messages: `mapping`, `sequence`, or the
    /// resolved scalar's kind (`string`, `integer`, …).
    public var kindName: String {
        switch kind {
        case .sequence: "sequence"
        case .mapping: "mapping"
        case .scalar: (try? resolvedScalar())?.kindName ?? "scalar"
        }
    }

    // MARK: Resolution

    /// Resolves a scalar by the YAML 1.2 core schema: a plain scalar becomes null, a
    /// boolean, an integer (decimal, `0x`, `0o`), a number or a string; a quoted or
    /// block scalar stays a string. Explicit core tags (`!!str`, `!!int`, …) are obeyed.
    /// - Returns: The value, or `nil` when this node is a collection.
    /// - Throws: `StackError` `yaml.unsupported` when an explicit tag does not fit the text.
    public func resolvedScalar() throws -> ConfigValue? {
        guard case .scalar(let text, let style, let tag) = kind else { return nil }
        switch tag {
        case nil:
            return style == .plain ? Self.resolvePlain(text) : .string(text)
        case CoreTag.str?, CoreTag.nonSpecific?:
            return .string(text)
        case let tag?:
            let value = Self.resolvePlain(text)
            let fits: Bool
            switch (tag, value) {
            case (CoreTag.null, .null), (CoreTag.bool, .bool), (CoreTag.int, .int),
                 (CoreTag.float, .double):
                fits = true
            case (CoreTag.float, .int(let i)):
                return .double(Double(i))
            default:
                fits = false
            }
            guard fits else {
                throw StackError(.yamlUnsupported,
                                 "\(mark): the scalar \"\(text)\" does not fit its tag \(tag)")
            }
            return value
        }
    }

    /// Converts the tree into a format-neutral ``ConfigValue``: scalars resolved by
    /// ``resolvedScalar()``, sequences to arrays, mappings to objects keyed by the keys'
    /// text.
    /// - Returns: The value.
    /// - Throws: `StackError` `yaml.unsupported` when a mapping key is not a scalar or a
    ///   tag does not fit its scalar.
    public func toConfigValue() throws -> ConfigValue {
        switch kind {
        case .scalar:
            return try resolvedScalar() ?? .null
        case .sequence(let items):
            return .array(try items.map { try $0.toConfigValue() })
        case .mapping(let pairs):
            var object: [String: ConfigValue] = [:]
            object.reserveCapacity(pairs.count)
            for pair in pairs {
                guard let key = pair.key.scalarText else {
                    throw StackError(.yamlUnsupported, "\(pair.key.mark): mapping keys must be scalars")
                }
                object[key] = try pair.value.toConfigValue()
            }
            return .object(object)
        }
    }

    /// Resolves the text of a plain scalar by the YAML 1.2 core schema.
    /// - Parameter text: The scalar's text.
    /// - Returns: `.null`, `.bool`, `.int`, `.double` or `.string`.
    static func resolvePlain(_ text: String) -> ConfigValue {
        switch text {
        case "", "~", "null", "Null", "NULL": return .null
        case "true", "True", "TRUE": return .bool(true)
        case "false", "False", "FALSE": return .bool(false)
        case ".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF": return .double(.infinity)
        case "-.inf", "-.Inf", "-.INF": return .double(-.infinity)
        case ".nan", ".NaN", ".NAN": return .double(.nan)
        default: break
        }
        let bytes = Array(text.utf8)
        guard let first = bytes.first,
              first == UInt8(ascii: "-") || first == UInt8(ascii: "+") || first == UInt8(ascii: ".")
                || isDigit(first) else { return .string(text) }
        if bytes.count > 2, bytes[0] == UInt8(ascii: "0") {
            let body = String(decoding: bytes[2...], as: UTF8.self)
            if bytes[1] == UInt8(ascii: "x"), bytes[2...].allSatisfy(isHexDigit) {
                return Int(body, radix: 16).map(ConfigValue.int) ?? .string(text)
            }
            if bytes[1] == UInt8(ascii: "o"), bytes[2...].allSatisfy({ $0 >= 0x30 && $0 <= 0x37 }) {
                return Int(body, radix: 8).map(ConfigValue.int) ?? .string(text)
            }
        }
        var index = 0
        if bytes[0] == UInt8(ascii: "-") || bytes[0] == UInt8(ascii: "+") { index = 1 }
        let digitsStart = index
        while index < bytes.count, isDigit(bytes[index]) { index += 1 }
        let integerDigits = index - digitsStart
        if index == bytes.count {
            guard integerDigits > 0 else { return .string(text) }
            if let value = Int(text) { return .int(value) }
            return Double(text).map(ConfigValue.double) ?? .string(text)
        }
        // [-+]? ( \. [0-9]+ | [0-9]+ ( \. [0-9]* )? ) ( [eE] [-+]? [0-9]+ )?
        var fractionDigits = 0
        if bytes[index] == UInt8(ascii: ".") {
            index += 1
            while index < bytes.count, isDigit(bytes[index]) { index += 1; fractionDigits += 1 }
        }
        guard integerDigits > 0 || fractionDigits > 0 else { return .string(text) }
        if index < bytes.count, bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
            index += 1
            if index < bytes.count, bytes[index] == UInt8(ascii: "-") || bytes[index] == UInt8(ascii: "+") {
                index += 1
            }
            let exponentStart = index
            while index < bytes.count, isDigit(bytes[index]) { index += 1 }
            guard index > exponentStart else { return .string(text) }
        }
        guard index == bytes.count, let value = Double(text) else { return .string(text) }
        return .double(value)
    }

    private static func isDigit(_ b: UInt8) -> Bool { b >= 0x30 && b <= 0x39 }
    private static func isHexDigit(_ b: UInt8) -> Bool {
        isDigit(b) || (b >= 0x41 && b <= 0x46) || (b >= 0x61 && b <= 0x66)
    }
}
