/// Decodes the two documents of a bundle. `LibYAMLManifestDecoder` implements it.
public protocol ManifestDecoder: Sendable {
    /// Decodes and validates `stack.yaml` (DESIGN §4.4).
    /// - Parameters:
    ///   - bytes: The file's bytes.
    ///   - path: Its path, for messages.
    /// - Returns: The manifest.
    /// - Throws: `StackError` (`yaml.*`, `manifest.*`) with `line:column` and field path.
    func decodeManifest(_ bytes: [UInt8], path: String) throws -> Manifest

    /// Decodes a compose file into the compose model. Every value goes through
    /// `interpolation` before short syntax is read (as Compose does); unknown keys are kept.
    /// - Parameters:
    ///   - bytes: The file's bytes.
    ///   - path: Its path, for messages.
    ///   - interpolation: The stack's parameters, the only names `${…}` may use.
    /// - Returns: The compose model, every value resolved.
    /// - Throws: `StackError` (`yaml.*`, `policy.interpolation`, `compose.invalid`) with
    ///   `line:column`.
    func decodeCompose(_ bytes: [UInt8], path: String, interpolation: ComposeInterpolation) throws -> ComposeFile
}

extension ManifestDecoder {
    /// Decodes a compose file that may use no variables at all.
    /// - Parameters:
    ///   - bytes: The file's bytes.
    ///   - path: Its path, for messages.
    /// - Returns: The compose model.
    /// - Throws: As ``decodeCompose(_:path:interpolation:)``.
    public func decodeCompose(_ bytes: [UInt8], path: String) throws -> ComposeFile {
        try decodeCompose(bytes, path: path, interpolation: .none)
    }
}
