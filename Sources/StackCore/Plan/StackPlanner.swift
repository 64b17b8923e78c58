/// Builds ``StackPlan``s: the one place where a parsed bundle meets the isolation policy
/// (DESIGN §3 step 5, §5).
///
/// One pass of the rule table (``ComposePolicyScanner/rules``) judges the manifest, the
/// compose model and the archive listing. When any finding is critical, the bundle is
/// rejected and no plan exists; otherwise the same pass builds the plan from what it
/// judged. The renderer accepts only a plan, so nothing unjudged can reach the engine.
public struct StackPlanner: Sendable {
    /// The policy plans are built under.
    public let policy: IsolationPolicy

    /// Creates a planner.
    /// - Parameter policy: The isolation settings in force.
    public init(policy: IsolationPolicy = .default) {
        self.policy = policy
    }

    /// Every finding of the rule table, critical ones included (`bundle verify`, the
    /// publisher-side lint of `bundle create`).
    /// - Parameters:
    ///   - manifest: The decoded `stack.yaml`.
    ///   - compose: The compose model, already interpolated.
    ///   - entries: The archive's entries.
    /// - Returns: The findings, most severe first.
    public func findings(manifest: Manifest, compose: ComposeFile, entries: [BundleEntry]) -> ScanReport {
        var pass = ScanPass(manifest: manifest, compose: compose, entries: entries, policy: policy)
        pass.run()
        return pass.report()
    }

    /// The bundle paths of the `env_file`s the compose file names; the plan needs their
    /// contents.
    /// - Parameters:
    ///   - manifest: The decoded `stack.yaml`.
    ///   - compose: The compose model.
    ///   - entries: The archive's entries.
    /// - Returns: Normalised paths inside the bundle.
    public func envFilePaths(manifest: Manifest, compose: ComposeFile, entries: [BundleEntry]) -> [String] {
        ScanPass(manifest: manifest, compose: compose, entries: entries, policy: policy).envFilePaths()
    }

    /// Judges a bundle and builds its plan.
    /// - Parameters:
    ///   - manifest: The decoded `stack.yaml`.
    ///   - compose: The compose model, interpolated with `interpolation`.
    ///   - entries: The archive's entries.
    ///   - interpolation: The parameter values the compose file was decoded with.
    ///   - envFiles: Contents of the files ``envFilePaths(manifest:compose:entries:)`` named.
    /// - Returns: The plan, with its non-critical findings.
    /// - Throws: The rejection of the first critical finding (`policy.*`, exit 4), its
    ///   message listing every critical finding.
    public func plan(manifest: Manifest, compose: ComposeFile, entries: [BundleEntry],
                     interpolation: ComposeInterpolation, envFiles: [String: [UInt8]] = [:]) throws -> StackPlan {
        var pass = ScanPass(manifest: manifest, compose: compose, entries: entries, policy: policy)
        pass.run()
        if let rejection = pass.report().rejection { throw rejection }
        return pass.plan(parameters: interpolation.values, envFiles: envFiles)
    }
}
