import StackCore

extension YAMLNode {
    /// The document with every value (never a key) passed through `interpolation`, as
    /// Compose does before it reads short syntax such as `"${PORT}:80"`. A scalar keeps its
    /// style and tag, so a plain `${PORT}` that becomes `8080` reads as the integer 8080,
    /// and a quoted one stays a string.
    /// - Parameters:
    ///   - interpolation: The stack's parameters.
    ///   - path: The field path of this node (`services.web.ports[0]`).
    /// - Returns: The interpolated document.
    /// - Throws: `policy.interpolation` with `file:line:column` and the field path.
    func interpolated(with interpolation: ComposeInterpolation, path: String = "") throws -> YAMLNode {
        switch kind {
        case .scalar(let text, let style, let tag):
            guard text.utf8.contains(0x24) else { return self }
            let label = path.isEmpty ? "(top level)" : path
            let resolved = try interpolation.resolve(text, at: "\(mark): \(label)")
            return YAMLNode(.scalar(resolved, style: style, tag: tag), mark: mark)
        case .sequence(let items):
            var out: [YAMLNode] = []
            out.reserveCapacity(items.count)
            for (index, item) in items.enumerated() {
                out.append(try item.interpolated(with: interpolation, path: "\(path)[\(index)]"))
            }
            return YAMLNode(.sequence(out), mark: mark)
        case .mapping(let pairs):
            var out: [Pair] = []
            out.reserveCapacity(pairs.count)
            for pair in pairs {
                let key = pair.key.scalarText ?? ""
                let child = path.isEmpty ? key : "\(path).\(key)"
                out.append((key: pair.key, value: try pair.value.interpolated(with: interpolation, path: child)))
            }
            return YAMLNode(.mapping(out), mark: mark)
        }
    }
}

extension YAMLNode {
    /// Refuses a mapping key holding a control character (C0, DEL, C1) anywhere in the
    /// document: no compose key legitimately holds one, and such a key would reach a
    /// terminal in findings and prompts.
    /// - Throws: `compose.invalid` at the key's `file:line:column`.
    func requireKeysWithoutControlCharacters() throws {
        switch kind {
        case .scalar:
            return
        case .sequence(let items):
            for item in items { try item.requireKeysWithoutControlCharacters() }
        case .mapping(let pairs):
            for pair in pairs {
                let key = pair.key.scalarText ?? ""
                if key.hasControlCharacters() {
                    throw StackError(.composeInvalid,
                                     "\(pair.key.mark): the key \"\(key.terminalSafe)\" holds a control character")
                }
                try pair.value.requireKeysWithoutControlCharacters()
            }
        }
    }
}
