/// Decodes the two documents of a bundle. `LibYAMLManifestDecoder` implements it.
public protocol ManifestDecoder: Sendable {
    /// Decodes and validates `stack.yaml` (DESIGN §4.4).
    /// - Parameters:
    ///   - bytes: The file's bytes.
    ///   - path: Its path, for messages.
    /// - Returns: The manifest.
    /// - Throws: `StackError` (`yaml.*`, `manifest.*`) with `line:column` and field path.
    func decodeManifest(_ bytes: [UInt8], path: String) throws -> Manifest

    /// Decodes a compose file into the compose model; unknown keys are kept.
    /// - Parameters:
    ///   - bytes: The file's bytes.
    ///   - path: Its path, for messages.
    /// - Returns: The compose model.
    /// - Throws: `StackError` (`yaml.*`, `compose.invalid`) with `line:column`.
    func decodeCompose(_ bytes: [UInt8], path: String) throws -> ComposeFile
}
