import StackCore

/// A YAML node under decoding, with its field path (`ports[0].port`) and the code its
/// type errors carry (`manifest.invalid_field` or `compose.invalid`).
struct YAMLField {
    let node: YAMLNode
    let path: String
    let code: StackError.Code

    init(_ node: YAMLNode, path: String = "", code: StackError.Code) {
        self.node = node
        self.path = path
        self.code = code
    }

    /// The path for messages; the root reads `(top level)`.
    var label: String { path.isEmpty ? "(top level)" : path }

    /// An error at this field.
    func error(_ what: String, code: StackError.Code? = nil, hint: String? = nil) -> StackError {
        StackError(code ?? self.code, "\(node.mark): \(label): \(what)", hint: hint)
    }

    /// A type error: "expected X, found Y".
    func expected(_ what: String) -> StackError {
        error("expected \(what), found \(node.kindName)")
    }

    /// Whether the node is a null scalar (absent value).
    var isNull: Bool { node.isNull }

    func child(_ key: String, _ node: YAMLNode) -> YAMLField {
        YAMLField(node, path: path.isEmpty ? key : "\(path).\(key)", code: code)
    }

    func element(_ index: Int, _ node: YAMLNode) -> YAMLField {
        YAMLField(node, path: "\(path)[\(index)]", code: code)
    }

    // MARK: Shapes

    /// One entry of a mapping: its key text, the key node (for positions) and the value.
    struct Entry {
        let key: String
        let keyNode: YAMLNode
        let value: YAMLField
    }

    /// The mapping's entries in document order.
    func mapping(_ what: String = "a mapping") throws -> [Entry] {
        guard let pairs = node.mappingPairs else { throw expected(what) }
        return pairs.map { pair in
            let key = pair.key.scalarText ?? ""
            return Entry(key: key, keyNode: pair.key, value: child(key, pair.value))
        }
    }

    /// The mapping's entries, or none when the value is null.
    func optionalMapping(_ what: String = "a mapping") throws -> [Entry] {
        isNull ? [] : try mapping(what)
    }

    /// The sequence's items.
    func sequence(_ what: String = "a sequence") throws -> [YAMLField] {
        guard let items = node.sequenceItems else { throw expected(what) }
        return items.enumerated().map { element($0.offset, $0.element) }
    }

    // MARK: Scalars

    /// The resolved scalar, or `nil` for a collection.
    func scalar() throws -> ConfigValue? {
        do { return try node.resolvedScalar() } catch { throw self.error("\(error)") }
    }

    /// A string: any non-null, non-boolean scalar, as written (`404` stays `404`,
    /// `1.10` stays `1.10`).
    func string(_ what: String = "a string") throws -> String {
        switch try scalar() {
        case .string?, .int?, .double?: return node.scalarText ?? ""
        default: throw expected(what)
        }
    }

    /// Any scalar's text as written, or `nil` for null (environment and label values).
    func scalarText(_ what: String = "a scalar") throws -> String? {
        switch try scalar() {
        case .null?: return nil
        case .some: return node.scalarText
        case nil: throw expected(what)
        }
    }

    func bool() throws -> Bool {
        guard case .bool(let value)? = try scalar() else { throw expected("a boolean (true or false)") }
        return value
    }

    func int(_ what: String = "an integer") throws -> Int {
        guard case .int(let value)? = try scalar() else { throw expected(what) }
        return value
    }

    /// An integer within `range`.
    func int(in range: ClosedRange<Int>, _ what: String? = nil) throws -> Int {
        let description = what ?? "an integer from \(range.lowerBound) to \(range.upperBound)"
        let value = try int(description)
        guard range.contains(value) else { throw error("expected \(description), found \(value)") }
        return value
    }

    /// A number: an integer or a float.
    func number(_ what: String = "a number") throws -> Double {
        switch try scalar() {
        case .int(let value)?: return Double(value)
        case .double(let value)? where value.isFinite: return value
        default: throw expected(what)
        }
    }

    /// A sequence of strings.
    func strings(_ what: String = "a list of strings") throws -> [String] {
        try sequence(what).map { try $0.string() }
    }

    /// The node as a format-neutral value, verbatim.
    func configValue() throws -> ConfigValue {
        do { return try node.toConfigValue() } catch { throw self.error("\(error)") }
    }
}

extension String {
    /// Whether the text holds a control character or a bidirectional override, except
    /// those in `allowed`.
    func hasControlCharacters(allowing allowed: Set<Unicode.Scalar> = []) -> Bool {
        unicodeScalars.contains { scalar in
            if allowed.contains(scalar) { return false }
            if scalar.properties.generalCategory == .control { return true }
            switch scalar.value {
            case 0x200E, 0x200F, 0x202A...0x202E, 0x2066...0x2069: return true
            default: return false
            }
        }
    }
}
