import StackCore

/// Builds ``StackPlan``s for tests of the layers that read plans (renderer, runtime,
/// approval), through the one planner.
public enum PlanFixture {
    /// Archive entries for a bundle holding the compose file and `files` (parent
    /// directories implied).
    /// - Parameters:
    ///   - composePath: The compose file's path.
    ///   - files: Further file paths.
    /// - Returns: The entries.
    public static func entries(composePath: String = Manifest.defaultComposePath, files: [String] = []) -> [BundleEntry] {
        ([Manifest.fileName, composePath] + files).map { BundleEntry(path: $0, kind: .file, size: 1, mode: 0o644) }
    }

    /// Judges `compose` and builds its plan.
    /// - Parameters:
    ///   - compose: A compose model (values already final).
    ///   - manifest: The manifest.
    ///   - files: Files of the bundle besides the two documents.
    ///   - envFiles: Contents of env files, by bundle path.
    ///   - policy: The isolation policy.
    /// - Returns: The plan.
    /// - Throws: The planner's rejection.
    public static func plan(_ compose: ComposeFile, manifest: Manifest, files: [String] = [],
                            envFiles: [String: [UInt8]] = [:], policy: IsolationPolicy = .default) throws -> StackPlan {
        try StackPlanner(policy: policy).plan(
            manifest: manifest, compose: compose,
            entries: entries(composePath: manifest.compose, files: files + envFiles.keys.sorted()),
            interpolation: ComposeInterpolation(parameters: manifest.parameters), envFiles: envFiles)
    }
}
