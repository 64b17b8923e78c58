import StackCore

/// Decodes and validates `stack.yaml` (DESIGN §4.4) from a parsed YAML tree.
enum ManifestDecoding {
    static let topLevelKeys: Set<String> = [
        "name", "version", "flavor", "title", "description", "publisher", "compose",
        "resources", "network", "ports", "volumes", "capabilities", "parameters",
    ]
    static let maxTitleBytes = 256
    static let maxPublisherBytes = 256
    static let maxDescriptionBytes = 4096
    static let maxLabelBytes = 256
    static let maxComposePathBytes = 1024

    static func decode(_ root: YAMLNode) throws -> Manifest {
        let top = YAMLField(root, code: .manifestInvalidField)
        let entries = try top.mapping("a mapping of manifest fields")
        try rejectUnknown(entries, allowed: topLevelKeys, parent: "")
        var fields: [String: YAMLField] = [:]
        for entry in entries { fields[entry.key] = entry.value }

        func required(_ key: String) throws -> YAMLField {
            guard let field = fields[key], !field.isNull else {
                throw StackError(.manifestMissingField, "\(root.mark): \(key): missing required field",
                                 hint: "stack.yaml needs name, version and flavor")
            }
            return field
        }
        func optional(_ key: String) -> YAMLField? {
            guard let field = fields[key], !field.isNull else { return nil }
            return field
        }

        let nameField = try required("name")
        let name = try nameField.string()
        guard Manifest.isValidName(name) else {
            throw nameField.error("expected a stack name matching [a-z0-9][a-z0-9-]{0,62}, found \"\(name)\"")
        }
        let versionField = try required("version")
        let versionText = try versionField.string()
        guard let version = SemanticVersion(versionText) else {
            throw versionField.error("expected a semantic version such as 1.2.0, found \"\(versionText)\"")
        }
        let flavorField = try required("flavor")
        let flavor = try flavorField.string()
        guard isLowerToken(flavor, maxBytes: 63) else {
            throw flavorField.error("expected a flavor matching [a-z0-9-]+ (such as compose), found \"\(flavor)\"")
        }

        var manifest = Manifest(name: name, version: version, flavor: flavor)
        manifest.title = try optional("title").map { try text($0, maxBytes: maxTitleBytes) }
        manifest.description = try optional("description").map {
            try text($0, maxBytes: maxDescriptionBytes, allowing: ["\n", "\t"])
        }
        manifest.publisher = try optional("publisher").map { try text($0, maxBytes: maxPublisherBytes) }
        if let field = optional("compose") { manifest.compose = try composePath(field) }
        if let field = optional("resources") { manifest.resources = try resources(field) }
        if let field = optional("network") { manifest.network = try network(field) }
        if let field = optional("ports") { manifest.ports = try ports(field) }
        if let field = optional("volumes") { manifest.volumes = try volumes(field) }
        if let field = optional("capabilities") { manifest.capabilities = try capabilities(field) }
        if let field = optional("parameters") { manifest.parameters = try parameters(field) }
        return manifest
    }

    // MARK: Helpers

    static func rejectUnknown(_ entries: [YAMLField.Entry], allowed: Set<String>, parent: String) throws {
        for entry in entries where !allowed.contains(entry.key) {
            let path = parent.isEmpty ? entry.key : "\(parent).\(entry.key)"
            throw StackError(.manifestUnknownKey, "\(entry.keyNode.mark): \(path): unknown key",
                             hint: "known keys here: \(allowed.sorted().joined(separator: ", "))")
        }
    }

    /// A mapping with only `allowed` keys, as a dictionary.
    static func fields(_ field: YAMLField, allowed: Set<String>, what: String) throws -> [String: YAMLField] {
        let entries = try field.mapping(what)
        try rejectUnknown(entries, allowed: allowed, parent: field.path)
        var result: [String: YAMLField] = [:]
        for entry in entries where !entry.value.isNull { result[entry.key] = entry.value }
        return result
    }

    static func isLowerToken(_ text: String, maxBytes: Int) -> Bool {
        !text.isEmpty && text.utf8.count <= maxBytes
            && text.utf8.allSatisfy { ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2D }
    }

    static func text(_ field: YAMLField, maxBytes: Int, allowing allowed: Set<Unicode.Scalar> = []) throws -> String {
        let value = try field.string()
        guard value.utf8.count <= maxBytes else {
            throw field.error("expected at most \(maxBytes) bytes of text, found \(value.utf8.count)")
        }
        guard !value.hasControlCharacters(allowing: allowed) else {
            throw field.error("expected text without control characters")
        }
        return value
    }

    static func composePath(_ field: YAMLField) throws -> String {
        let path = try field.string()
        let expected = "a relative path inside the bundle (no leading /, no .., no backslash)"
        guard !path.isEmpty, path.utf8.count <= maxComposePathBytes else {
            throw field.error("expected \(expected) of 1 to \(maxComposePathBytes) bytes")
        }
        let components = path.split(separator: "/", omittingEmptySubsequences: false)
        let drive = components.first.map { $0.count == 2 && $0.hasSuffix(":") } ?? false
        guard !path.hasPrefix("/"), !path.contains("\\"), !components.contains(".."), !drive,
              !path.hasControlCharacters(), !path.hasSuffix("/") else {
            throw field.error("expected \(expected), found \"\(path)\"")
        }
        return path
    }

    static func resources(_ field: YAMLField) throws -> Manifest.Resources {
        let fields = try fields(field, allowed: ["cpus", "memory", "pids"], what: "a mapping of resources")
        var resources = Manifest.Resources()
        if let cpus = fields["cpus"] {
            let value = try cpus.number("a number of CPUs greater than 0 and at most 256")
            guard value > 0, value <= 256 else {
                throw cpus.error("expected a number of CPUs greater than 0 and at most 256, found \(value)")
            }
            resources.cpus = value
        }
        if let memory = fields["memory"] { resources.memory = try byteCount(memory) }
        if let pids = fields["pids"] { resources.pids = try pids.int(in: 1...1_000_000) }
        return resources
    }

    static func byteCount(_ field: YAMLField) throws -> Int64 {
        let what = "a positive amount of memory such as 512m, 1g or a number of bytes"
        let bytes: Int64?
        switch try field.scalar() {
        case .int(let value)?: bytes = Int64(value)
        case .string(let text)?: bytes = ByteCount.parse(text)
        default: throw field.expected(what)
        }
        guard let bytes, bytes > 0 else {
            throw field.error("expected \(what), found \"\(field.node.scalarText ?? "")\"")
        }
        return bytes
    }

    static func network(_ field: YAMLField) throws -> Manifest.Network {
        let fields = try fields(field, allowed: ["egress"], what: "a mapping of network settings")
        return Manifest.Network(egress: try fields["egress"]?.bool() ?? false)
    }

    static func ports(_ field: YAMLField) throws -> [Manifest.Port] {
        var ports: [Manifest.Port] = []
        var openPath: String?
        var seen: [String: String] = [:]
        for item in try field.sequence("a list of port labels") {
            let fields = try fields(item, allowed: ["service", "port", "label", "open"],
                                    what: "a mapping {service, port, label, open}")
            guard let serviceField = fields["service"] else {
                throw StackError(.manifestMissingField, "\(item.node.mark): \(item.path).service: missing required field")
            }
            guard let portField = fields["port"] else {
                throw StackError(.manifestMissingField, "\(item.node.mark): \(item.path).port: missing required field")
            }
            let service = try serviceField.string()
            guard ComposeDecoding.isValidServiceName(service) else {
                throw serviceField.error("expected a compose service name, found \"\(service)\"")
            }
            let port = Manifest.Port(
                service: service,
                port: try portField.int(in: 1...65_535, "a port number from 1 to 65535"),
                label: try fields["label"].map { try text($0, maxBytes: maxLabelBytes) },
                open: try fields["open"]?.bool() ?? false)
            let key = "\(port.service):\(port.port)"
            if let first = seen[key] {
                throw item.error("the port \(port.port) of service \(port.service) is already labelled by \(first)")
            }
            seen[key] = item.path
            if port.open {
                if let first = openPath {
                    throw (fields["open"] ?? item).error("only one port may be open; \(first) already is")
                }
                openPath = item.path
            }
            ports.append(port)
        }
        return ports
    }

    static func volumes(_ field: YAMLField) throws -> [String] {
        var names: [String] = []
        for item in try field.sequence("a list of volume names") {
            let name = try item.string()
            guard Manifest.isValidVolumeName(name) else {
                throw item.error("expected a volume name matching [a-zA-Z0-9][a-zA-Z0-9_.-]{0,62}, found \"\(name)\"")
            }
            guard !names.contains(where: { $0.lowercased() == name.lowercased() }) else {
                throw item.error("the volume \(name) is listed twice (names are compared without case)")
            }
            names.append(name)
        }
        return names
    }

    static func capabilities(_ field: YAMLField) throws -> [String] {
        var names: [String] = []
        for item in try field.sequence("a list of capability names") {
            var name = try item.string()
            let isValid = !name.isEmpty && name.utf8.count <= 64
                && name.utf8.first.map { $0 >= 0x41 && $0 <= 0x5A } == true
                && name.utf8.allSatisfy { ($0 >= 0x41 && $0 <= 0x5A) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x5F }
            guard isValid else {
                throw item.error("expected an upper-case capability name such as NET_BIND_SERVICE, found \"\(name)\"")
            }
            if name.hasPrefix("CAP_") { name.removeFirst(4) }
            guard !name.isEmpty else { throw item.error("expected a capability name after CAP_") }
            guard !names.contains(name) else { throw item.error("the capability \(name) is listed twice") }
            names.append(name)
        }
        return names
    }

    static func parameters(_ field: YAMLField) throws -> [Manifest.Parameter] {
        var parameters: [Manifest.Parameter] = []
        for item in try field.sequence("a list of parameters") {
            let fields = try fields(item, allowed: ["name", "type", "default", "required", "description"],
                                    what: "a mapping {name, type, default, required, description}")
            guard let nameField = fields["name"] else {
                throw StackError(.manifestMissingField, "\(item.node.mark): \(item.path).name: missing required field")
            }
            let name = try nameField.string()
            guard isParameterName(name) else {
                throw nameField.error("expected a parameter name matching [A-Za-z_][A-Za-z0-9_]*, found \"\(name)\"")
            }
            guard !parameters.contains(where: { $0.name == name }) else {
                throw nameField.error("the parameter \(name) is defined twice")
            }
            var kind = Manifest.Parameter.Kind.string
            if let typeField = fields["type"] {
                let text = try typeField.string()
                guard let parsed = Manifest.Parameter.Kind(rawValue: text) else {
                    throw typeField.error("expected one of string, int, bool, secret, found \"\(text)\"")
                }
                kind = parsed
            }
            var defaultValue: String?
            if let defaultField = fields["default"] {
                guard try defaultField.scalar() != nil, let text = defaultField.node.scalarText else {
                    throw defaultField.expected("a scalar default value")
                }
                switch kind {
                case .int where Int(text) == nil:
                    throw defaultField.error("expected an integer default for an int parameter, found \"\(text)\"")
                case .bool where !["true", "false", "True", "False", "TRUE", "FALSE"].contains(text):
                    throw defaultField.error("expected true or false as default for a bool parameter, found \"\(text)\"")
                default: break
                }
                guard !text.hasControlCharacters(allowing: ["\n", "\t"]), text.utf8.count <= maxDescriptionBytes else {
                    throw defaultField.error("expected a default without control characters, at most \(maxDescriptionBytes) bytes")
                }
                defaultValue = text
            }
            parameters.append(Manifest.Parameter(
                name: name, type: kind, defaultValue: defaultValue,
                required: try fields["required"]?.bool() ?? false,
                description: try fields["description"].map {
                    try text($0, maxBytes: maxDescriptionBytes, allowing: ["\n", "\t"])
                }))
        }
        return parameters
    }

    static func isParameterName(_ name: String) -> Bool {
        name.utf8.count <= 128 && ComposeInterpolation.isVariableName(name)
    }
}
