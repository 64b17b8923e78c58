/// The content scan (DESIGN §3 step 5, §5): judges a parsed bundle and reports findings.
/// `ComposePolicyScanner` (StackSecurity) implements it.
public protocol BundleScanner: Sendable {
    /// Scans a bundle's manifest, compose model and entries.
    /// - Parameters:
    ///   - manifest: The decoded `stack.yaml`.
    ///   - compose: The decoded compose file.
    ///   - entries: The archive's entries (which all passed the entry policy).
    ///   - policy: The isolation settings in force.
    /// - Returns: Every finding, critical ones included; the scan itself never throws for
    ///   bad content.
    func scan(manifest: Manifest, compose: ComposeFile, entries: [BundleEntry],
              policy: IsolationPolicy) -> ScanReport
}
