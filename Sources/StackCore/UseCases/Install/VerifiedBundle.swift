/// Step 2's result: the file's digests and the publisher's verdict. Nothing was extracted.
public struct VerifiedBundle: Sendable {
    public let file: BundleFile
    public let digests: FileDigests
    public let verdict: SignatureVerdict
    /// How the bundle is named in messages.
    public let name: String
}
