/// Steps 3–4: the bundle unpacked into private staging and parsed (or, for `bundle
/// verify`, streamed and parsed with nothing written).
public struct StagedStack: Sendable {
    public let verified: VerifiedBundle
    public let inspection: BundleInspection
    /// The staging directory; `nil` when nothing was written.
    public let staged: StagedBundle?
}
