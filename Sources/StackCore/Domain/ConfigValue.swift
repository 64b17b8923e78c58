/// A format-neutral tree of configuration data: what a YAML or JSON document holds after
/// parsing. The compose model keeps unknown keys as `ConfigValue` so that policy can
/// judge them and the renderer can pass them on.
public enum ConfigValue: Sendable, Hashable {
    case null
    case bool(Bool)
    case int(Int)
    case double(Double)
    case string(String)
    case array([ConfigValue])
    case object([String: ConfigValue])

    /// The string, when this is a string.
    public var stringValue: String? {
        if case .string(let s) = self { return s }
        return nil
    }
    /// The mapping, when this is one.
    public var objectValue: [String: ConfigValue]? {
        if case .object(let o) = self { return o }
        return nil
    }
    /// The sequence, when this is one.
    public var arrayValue: [ConfigValue]? {
        if case .array(let a) = self { return a }
        return nil
    }
    /// The boolean, when this is one.
    public var boolValue: Bool? {
        if case .bool(let b) = self { return b }
        return nil
    }
    /// A scalar as text (`true`, `42`, `1.5`, the string itself); `nil` for null and
    /// collections.
    public var scalarText: String? {
        switch self {
        case .bool(let b): String(b)
        case .int(let i): String(i)
        case .double(let d): String(d)
        case .string(let s): s
        case .null, .array, .object: nil
        }
    }

    /// A short name of the value's kind, for error messages.
    public var kindName: String {
        switch self {
        case .null: "null"
        case .bool: "boolean"
        case .int: "integer"
        case .double: "number"
        case .string: "string"
        case .array: "sequence"
        case .object: "mapping"
        }
    }
}

extension ConfigValue: Codable {
    /// Decodes JSON-shaped data: null, booleans, integers, numbers, strings, arrays, objects.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let b = try? container.decode(Bool.self) {
            self = .bool(b)
        } else if let i = try? container.decode(Int.self) {
            self = .int(i)
        } else if let d = try? container.decode(Double.self) {
            self = .double(d)
        } else if let s = try? container.decode(String.self) {
            self = .string(s)
        } else if let a = try? container.decode([ConfigValue].self) {
            self = .array(a)
        } else {
            self = .object(try container.decode([String: ConfigValue].self))
        }
    }

    /// Encodes as the JSON value it represents.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case .bool(let b): try container.encode(b)
        case .int(let i): try container.encode(i)
        case .double(let d): try container.encode(d)
        case .string(let s): try container.encode(s)
        case .array(let a): try container.encode(a)
        case .object(let o): try container.encode(o)
        }
    }
}
