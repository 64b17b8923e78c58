import StackCore

/// Decodes `stack.yaml` and compose files with libyaml (through ``YAMLParser``).
///
/// `stack.yaml` is validated strictly (DESIGN §4.4): unknown keys, missing fields and bad
/// values are errors with the field path and `path:line:column`. Compose files are decoded
/// into the compose model with every key the model does not type kept verbatim.
public struct LibYAMLManifestDecoder: ManifestDecoder {
    /// The YAML parser and its limits.
    public var parser: YAMLParser

    /// Creates a decoder.
    /// - Parameter parser: The YAML parser to use; its default limits suit bundles.
    public init(parser: YAMLParser = YAMLParser()) {
        self.parser = parser
    }

    /// Decodes and validates `stack.yaml` (DESIGN §4.4).
    /// - Parameters:
    ///   - bytes: The file's bytes.
    ///   - path: Its path, for messages.
    /// - Returns: The manifest.
    /// - Throws: `StackError` with a `yaml.*` code for malformed YAML,
    ///   `manifest.unknown_key`, `manifest.missing_field` or `manifest.invalid_field`,
    ///   each with `path:line:column` and the field path.
    public func decodeManifest(_ bytes: [UInt8], path: String) throws -> Manifest {
        try ManifestDecoding.decode(try parser.parse(bytes, path: path))
    }

    /// Decodes a compose file into the compose model: every value is interpolated first,
    /// then short syntax is read, as Compose does. Unknown keys are kept in `other`.
    /// - Parameters:
    ///   - bytes: The file's bytes.
    ///   - path: Its path, for messages.
    ///   - interpolation: The stack's parameters, the only names `${…}` may use.
    /// - Returns: The compose model, with every value resolved.
    /// - Throws: `StackError` with a `yaml.*` code for malformed YAML, `policy.interpolation`
    ///   for a reference to anything but a parameter, or `compose.invalid`; each with
    ///   `path:line:column` and the field path (`services.web.ports[1]`).
    public func decodeCompose(_ bytes: [UInt8], path: String, interpolation: ComposeInterpolation) throws -> ComposeFile {
        let document = try parser.parse(bytes, path: path)
        try document.requireKeysWithoutControlCharacters()
        return try ComposeDecoding.decode(try document.interpolated(with: interpolation))
    }
}
