/// What `run` (and the API) asks of an install besides the bundle.
public struct InstallOptions: Sendable {
    public var verification: VerificationOptions
    /// `--yes`: approve without asking (the user saw the plan elsewhere or scripts it).
    public var assumeYes: Bool
    /// The stack the caller expects (the website's `name`), checked after parsing.
    public var expectedName: String?
    /// The version the caller expects (the website's `version`), checked after parsing.
    public var expectedVersion: SemanticVersion?
    /// Keep a stack whose first start failed (for inspection) instead of undoing it.
    public var keepFailed: Bool

    public init(verification: VerificationOptions, assumeYes: Bool = false, expectedName: String? = nil,
                expectedVersion: SemanticVersion? = nil, keepFailed: Bool = false) {
        self.verification = verification
        self.assumeYes = assumeYes
        self.expectedName = expectedName
        self.expectedVersion = expectedVersion
        self.keepFailed = keepFailed
    }
}
