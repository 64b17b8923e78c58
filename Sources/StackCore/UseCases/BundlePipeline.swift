import Foundation

/// What the caller announces about a bundle and allows.
public struct VerificationOptions: Sendable {
    /// The SHA-256 the catalog announced (hex), if any.
    public var announcedSHA256: String?
    /// The detached signature's bytes; `nil` means none was found.
    public var signature: [UInt8]?
    /// Where the signature came from, for messages.
    public var signatureSource: String
    /// Accept a version lower than the highest installed from the same key (CLI only).
    public var allowDowngrade: Bool

    public init(announcedSHA256: String? = nil, signature: [UInt8]?, signatureSource: String = "signature",
                allowDowngrade: Bool = false) {
        self.announcedSHA256 = announcedSHA256
        self.signature = signature
        self.signatureSource = signatureSource
        self.allowDowngrade = allowDowngrade
    }
}

/// A bundle that passed verification, parsing and the scan (or whose scan is reported).
public struct VerifiedBundle: Sendable {
    public var digests: FileDigests
    public var verdict: SignatureVerdict
    public var inspection: BundleInspection
    public var scan: ScanReport
}

/// Pipeline steps 2–5 of DESIGN §3 as one use case: checksum, signature, binding of the
/// trusted comment to the manifest, rollback, policy-checked streaming, parsing and the
/// content scan. Every entry point (`bundle verify`, `bundle unpack`, `run`, the API) goes
/// through it, over the same open ``BundleFile``.
public struct BundlePipeline: Sendable {
    private let workflow: BundleWorkflow
    private let digester: any Digester
    private let verifier: any SignatureVerifier
    private let scanner: any BundleScanner
    private let ledger: VersionLedger
    private let isolation: IsolationPolicy
    private let limits: BundleLimits
    private let logger: Logger?

    /// Creates the pipeline.
    /// - Parameters:
    ///   - workflow: Streaming, parsing and placing.
    ///   - digester: SHA-256 + BLAKE2b-512 in one pass.
    ///   - verifier: Publisher signatures against the trusted keys.
    ///   - scanner: The content scan.
    ///   - ledger: Highest installed versions (rollback).
    ///   - isolation: The isolation settings the scan judges against.
    ///   - limits: Archive limits.
    ///   - logger: Optional logger.
    public init(workflow: BundleWorkflow, digester: some Digester, verifier: some SignatureVerifier,
                scanner: some BundleScanner, ledger: VersionLedger, isolation: IsolationPolicy = .default,
                limits: BundleLimits = .default, logger: Logger? = nil) {
        self.workflow = workflow
        self.digester = digester
        self.verifier = verifier
        self.scanner = scanner
        self.ledger = ledger
        self.isolation = isolation
        self.limits = limits
        self.logger = logger
    }

    /// Step 2: one read of the file for both digests, then the announced checksum, then the
    /// signature. Nothing is extracted.
    /// - Parameters:
    ///   - bundle: The open bundle.
    ///   - options: Announced checksum and signature.
    /// - Returns: The digests and the signature verdict.
    /// - Throws: `checksum.*` or `signature.*` (exit 3).
    public func verifySignature(_ bundle: BundleFile, options: VerificationOptions) throws -> (FileDigests, SignatureVerdict) {
        let digests = try digester.digests(of: bundle)
        if let announced = options.announcedSHA256 {
            let normalised = announced.lowercased()
            guard normalised.utf8.count == 64, normalised.utf8.allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x66) }) else {
                throw StackError(.checksumInvalid, "the announced SHA-256 '\(announced)' is not 64 hex digits")
            }
            guard normalised == digests.sha256 else {
                throw StackError(.checksumMismatch,
                                 "\(bundle.path) has SHA-256 \(digests.sha256), but \(normalised) was announced",
                                 hint: "the download is corrupt or was tampered with; fetch it again")
            }
        }
        guard let signature = options.signature else {
            throw StackError(.signatureMissing, "no signature for \(bundle.path) (looked for \(options.signatureSource))",
                             hint: "pass --sig FILE, or put the publisher's .minisig beside the bundle")
        }
        let verdict = try verifier.verify(signature: signature, file: bundle, digests: digests)
        logger?.info("signature verified", metadata: ["key": verdict.keyID, "sha256": digests.sha256])
        // Rollback, still before extraction: the signed comment names stack and version
        // (the manifest is bound to them after parsing).
        if let stack = verdict.trustedFields["stack"], let version = verdict.trustedFields["version"].flatMap(SemanticVersion.init) {
            try ledger.checkRollback(version, stack: stack, keyID: verdict.keyID, allowDowngrade: options.allowDowngrade)
        }
        return (digests, verdict)
    }

    /// Steps 2–5 without writing anything: verify, stream and parse, bind, check rollback, scan.
    /// - Parameters:
    ///   - bundle: The open bundle.
    ///   - options: Announced checksum, signature, downgrade permission.
    /// - Returns: The verified bundle with its scan report (critical findings included;
    ///   ``ScanReport/rejection`` says whether it is rejected).
    /// - Throws: Verification errors (exit 3) and bundle/manifest errors (exit 4).
    public func verify(_ bundle: BundleFile, options: VerificationOptions) throws -> VerifiedBundle {
        let (digests, verdict) = try verifySignature(bundle, options: options)
        let inspection = try workflow.inspect(bundle, limits: limits)
        try checkBinding(verdict, inspection.manifest, digests)
        try ledger.checkRollback(inspection.manifest.version, stack: inspection.manifest.name,
                                 keyID: verdict.keyID, allowDowngrade: options.allowDowngrade)
        let scan = scanner.scan(manifest: inspection.manifest, compose: inspection.compose,
                                entries: inspection.listing.entries, policy: isolation)
        return VerifiedBundle(digests: digests, verdict: verdict, inspection: inspection, scan: scan)
    }

    /// Steps 2–5 and placement: verify, then unpack into private staging, parse, bind, check
    /// rollback, scan, and rename to `destination` only when nothing failed and no finding
    /// is critical. On any error nothing is left behind.
    /// - Parameters:
    ///   - bundle: The open bundle.
    ///   - destination: A path that must not exist.
    ///   - options: Announced checksum, signature, downgrade permission.
    /// - Returns: The verified bundle.
    /// - Throws: Verification errors (exit 3), bundle/manifest/scan errors (exit 4), I/O.
    public func unpack(_ bundle: BundleFile, to destination: URL, options: VerificationOptions) throws -> VerifiedBundle {
        let (digests, verdict) = try verifySignature(bundle, options: options)
        var scan = ScanReport(findings: [])
        let inspection = try workflow.unpack(bundle, to: destination, limits: limits) { inspection in
            try checkBinding(verdict, inspection.manifest, digests)
            try ledger.checkRollback(inspection.manifest.version, stack: inspection.manifest.name,
                                     keyID: verdict.keyID, allowDowngrade: options.allowDowngrade)
            scan = scanner.scan(manifest: inspection.manifest, compose: inspection.compose,
                                entries: inspection.listing.entries, policy: isolation)
            if let rejection = scan.rejection { throw rejection }
        }
        return VerifiedBundle(digests: digests, verdict: verdict, inspection: inspection, scan: scan)
    }

    /// Steps 4–5 on a staged bundle: binding, rollback, scan. Throws the scan's rejection
    /// when a finding is critical.
    /// - Parameters:
    ///   - inspection: What was staged.
    ///   - verdict: The signature verdict.
    ///   - digests: The file's digests.
    ///   - allowDowngrade: The CLI's `--allow-downgrade`.
    /// - Returns: The scan report (no critical findings).
    /// - Throws: `signature.comment_unbound`, `signature.rollback`, `policy.*`.
    public func judge(_ inspection: BundleInspection, verdict: SignatureVerdict, digests: FileDigests,
                      allowDowngrade: Bool) throws -> ScanReport {
        try checkBinding(verdict, inspection.manifest, digests)
        try ledger.checkRollback(inspection.manifest.version, stack: inspection.manifest.name,
                                 keyID: verdict.keyID, allowDowngrade: allowDowngrade)
        let scan = scanner.scan(manifest: inspection.manifest, compose: inspection.compose,
                                entries: inspection.listing.entries, policy: isolation)
        if let rejection = scan.rejection { throw rejection }
        return scan
    }

    /// The bundle workflow this pipeline streams with.
    public var bundleWorkflow: BundleWorkflow { workflow }
    /// The archive limits in force.
    public var bundleLimits: BundleLimits { limits }

    /// The trusted comment must name the manifest's stack and version; `sha256:` and
    /// `size:`, when present, must match the file.
    func checkBinding(_ verdict: SignatureVerdict, _ manifest: Manifest, _ digests: FileDigests) throws {
        let fields = verdict.trustedFields
        guard let stack = fields["stack"], let version = fields["version"] else {
            throw StackError(.signatureCommentUnbound,
                             "the signature's trusted comment does not name the stack and version (it needs stack:NAME and version:VERSION)",
                             hint: "the publisher must sign with `stackctl bundle sign` or minisign -t 'stack:NAME\\tversion:VERSION'")
        }
        guard stack == manifest.name, SemanticVersion(version).map({ $0 == manifest.version && $0.build == manifest.version.build }) == true else {
            throw StackError(.signatureCommentUnbound,
                             "the signature was made for \(stack) \(version), but the bundle's manifest says \(manifest.name) \(manifest.version)")
        }
        if let sha = fields["sha256"], sha.lowercased() != digests.sha256 {
            throw StackError(.signatureCommentUnbound,
                             "the signature's trusted comment names SHA-256 \(sha), but the file has \(digests.sha256)")
        }
        if let size = fields["size"], Int64(size) != digests.size {
            throw StackError(.signatureCommentUnbound,
                             "the signature's trusted comment names size \(size), but the file has \(digests.size) bytes")
        }
    }
}
