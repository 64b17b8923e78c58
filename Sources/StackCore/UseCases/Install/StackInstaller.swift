import Foundation

/// The run pipeline of DESIGN §3 as one use case, read top to bottom:
///
/// ```
/// verify   BundleFile (+ digests)  → VerifiedBundle   checksum, signature, rollback; nothing extracted
/// stage    VerifiedBundle          → StagedStack      entry policy while unpacking; parse; bind to the signature
/// plan     StagedStack             → PlannedStack     the rule table: a StackPlan, or a rejection
/// approve  PlannedStack            → ApprovedStack    trust rule or prompt, with the plan and its diff
/// commit   ApprovedStack           → CommittedStack   rename into stacks/<name>/<version>/, record
/// run      CommittedStack          → StackStatus      render the plan, start it, report URLs
/// ```
///
/// Each step takes the previous step's type, so none can be skipped or run twice.
/// `bundle verify` stops after ``plan(_:)`` with nothing written (``inspect(_:)``),
/// `bundle unpack` after placing the staged bundle (``place(_:at:)``). Every failure names
/// its code and unwinds what earlier steps made: a rejected or declined bundle leaves no
/// staging directory, no record and no container.
public struct StackInstaller: Sendable {
    private let home: StackHome
    private let workflow: BundleWorkflow
    private let digester: any Digester
    private let verifier: any SignatureVerifier
    private let planner: StackPlanner
    private let runtimes: RuntimeRegistry
    private let prompter: any ApprovalPrompter
    private let registry: StackRegistry
    private let ledger: VersionLedger
    private let plans: ApprovedPlans
    private let trusted: TrustedStacks
    private let limits: BundleLimits
    private let approvalMode: String
    private let clock: any WallClock
    private let logger: Logger?

    /// Creates the installer.
    /// - Parameters:
    ///   - home: The home (stacks, volumes, state).
    ///   - workflow: Streaming, unpacking and parsing.
    ///   - digester: SHA-256 + BLAKE2b-512 in one pass (used when no digests are given).
    ///   - verifier: Publisher signatures against the trusted keys.
    ///   - planner: The rule table under the isolation policy.
    ///   - runtimes: Flavor → runtime.
    ///   - prompter: Asks the user.
    ///   - store: Where records, the version ledger and approved plans live.
    ///   - limits: Archive limits.
    ///   - approvalMode: `prompt` (ask unless trusted) or `deny` (never run an untrusted
    ///     stack, not even with `--yes`).
    ///   - clock: The time source.
    ///   - logger: Optional logger.
    public init(home: StackHome, workflow: BundleWorkflow, digester: some Digester, verifier: some SignatureVerifier,
                planner: StackPlanner, runtimes: RuntimeRegistry, prompter: any ApprovalPrompter,
                store: some StateStore, limits: BundleLimits = .default, approvalMode: String = "prompt",
                clock: some WallClock = SystemWallClock(), logger: Logger? = nil) {
        self.home = home
        self.workflow = workflow
        self.digester = digester
        self.verifier = verifier
        self.planner = planner
        self.runtimes = runtimes
        self.prompter = prompter
        self.registry = StackRegistry(store: store)
        self.ledger = VersionLedger(store: store)
        self.plans = ApprovedPlans(store: store)
        self.trusted = TrustedStacks(home: home)
        self.limits = limits
        self.approvalMode = approvalMode
        self.clock = clock
        self.logger = logger
    }

    // MARK: The whole pipeline

    /// Runs every step, reporting each as it happens. Consume the stream to drive the
    /// install; cancelling the consuming task cancels the install (nothing half-done stays).
    /// - Parameters:
    ///   - bundle: The open bundle.
    ///   - digests: Digests computed while downloading (reused, never recomputed); `nil`
    ///     reads the file once to compute them.
    ///   - options: Checksum, signature, approval and expectation options.
    /// - Returns: The events, ending with ``InstallEvent/finished(_:)``, or an error that
    ///   names its step's code: `checksum.*`/`signature.*` (3), `bundle.*`/`policy.*`/
    ///   `manifest.*` (4), `docker.*`/`runtime.*` (5), `approval.declined` (6), `stack.exists` (1).
    public func install(_ bundle: BundleFile, digests: FileDigests? = nil,
                        options: InstallOptions) -> AsyncThrowingStream<InstallEvent, any Error> {
        AsyncThrowingStream { continuation in
            // The stream's consumer owns this task: terminating the stream cancels it.
            let task = Task {
                do {
                    let status = try await run(bundle, digests: digests, options: options) { continuation.yield($0) }
                    continuation.yield(.finished(status))
                    continuation.finish()
                } catch {
                    continuation.finish(throwing: error)
                }
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }

    /// Runs every step, handing each event to `report` before the next step begins.
    /// - Parameters:
    ///   - bundle: The open bundle.
    ///   - digests: Digests computed while downloading, if any.
    ///   - options: Checksum, signature, approval and expectation options.
    ///   - report: Receives the events in order.
    /// - Returns: The running stack's status and URLs.
    /// - Throws: As ``install(_:digests:options:)``.
    public func run(_ bundle: BundleFile, digests: FileDigests? = nil, options: InstallOptions,
                    report: @Sendable (InstallEvent) -> Void = { _ in }) async throws -> StackStatus {
        report(.phase(.verifying))
        let verified = try verify(bundle, digests: digests, options: options.verification)
        let staged = try stage(verified)
        defer { staged.staged?.discard() }
        try checkExpectations(staged.inspection.manifest, options)
        let planned = try plan(staged)
        report(.planned(planned.plan, changes: planned.changes))
        let runtime = try runtime(for: planned.plan.flavor)
        // A runtime that cannot be reached fails now, before anything is asked or installed.
        _ = try await runtime.status(stackName: planned.plan.name)
        let approved = try await approve(planned, assumeYes: options.assumeYes) { report(.phase(.awaitingApproval)) }
        report(.phase(.unpacking))
        let committed = try commit(approved)
        report(.phase(.starting))
        return try await start(committed, keepFailed: options.keepFailed)
    }

    // MARK: Steps

    /// Step 2: the announced checksum, then the signature, then rollback — before anything
    /// is extracted. With `digests` (from the download), the file is not read again.
    /// - Parameters:
    ///   - bundle: The open bundle.
    ///   - digests: Digests computed while downloading, or `nil`.
    ///   - options: Announced checksum, signature and downgrade permission.
    /// - Returns: The verified bundle.
    /// - Throws: `checksum.*`, `signature.*` (exit 3).
    public func verify(_ bundle: BundleFile, digests: FileDigests? = nil,
                       options: VerificationOptions) throws -> VerifiedBundle {
        let name = options.bundleName ?? bundle.path
        try workflow.identify(bundle)
        let digests = try digests ?? digester.digests(of: bundle)
        if let announced = options.announcedSHA256 {
            let normalised = announced.lowercased()
            guard normalised.utf8.count == 64, normalised.utf8.allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x66) }) else {
                throw StackError(.checksumInvalid, "the announced SHA-256 '\(announced)' is not 64 hex digits")
            }
            guard normalised == digests.sha256 else {
                throw StackError(.checksumMismatch, "\(name) has SHA-256 \(digests.sha256), but \(normalised) was announced",
                                 hint: "the download is corrupt or was tampered with; fetch it again")
            }
        }
        guard let signature = options.signature else {
            throw StackError(.signatureMissing, "no signature for \(name) (looked for \(options.signatureSource))",
                             hint: "pass --sig FILE, or put the publisher's .minisig beside the bundle")
        }
        let verdict = try verifier.verify(signature: signature, file: bundle, digests: digests)
        logger?.info("signature verified", metadata: ["key": verdict.keyID, "sha256": digests.sha256])
        // Rollback, still before extraction: the signed comment names stack and version; the
        // manifest is bound to them after parsing (``stage(_:)``), so this one check covers both.
        if let stack = verdict.trustedFields["stack"], let version = verdict.trustedFields["version"].flatMap(SemanticVersion.init) {
            try ledger.checkRollback(version, stack: stack, keyID: verdict.keyID, allowDowngrade: options.allowDowngrade)
        }
        return VerifiedBundle(file: bundle, digests: digests, verdict: verdict, name: name)
    }

    /// Steps 3–4: unpacks into a fresh private staging directory in the home (the entry
    /// policy and limits checked before each entry is written), parses both documents and
    /// binds the manifest to the signature.
    /// - Parameter verified: The verified bundle.
    /// - Returns: The staged stack; discard it unless committed.
    /// - Throws: `bundle.*`, `yaml.*`, `manifest.*`, `policy.interpolation`, `compose.*`,
    ///   `signature.comment_unbound`; nothing is left behind.
    public func stage(_ verified: VerifiedBundle) throws -> StagedStack {
        try stage(verified, besides: home.tmpDirectory.appendingPathComponent("unpack-\(UUID().uuidString)"))
    }

    /// Steps 3–4 with nothing written: streams and parses (for `bundle verify`).
    /// - Parameter verified: The verified bundle.
    /// - Returns: The parsed bundle, without a staging directory.
    /// - Throws: As ``stage(_:)``.
    public func inspect(_ verified: VerifiedBundle) throws -> StagedStack {
        let inspection = try workflow.inspect(verified.file, limits: limits)
        try Self.checkBinding(verified.verdict, inspection.manifest, verified.digests)
        return StagedStack(verified: verified, inspection: inspection, staged: nil)
    }

    /// Step 5: the rule table judges the bundle; its plan is built from what was judged.
    /// - Parameter staged: The staged (or inspected) bundle.
    /// - Returns: The plan, with the diff against the last approved plan of this stack.
    /// - Throws: `policy.*` (exit 4) for the first critical finding, listing them all.
    public func plan(_ staged: StagedStack) throws -> PlannedStack {
        let inspection = staged.inspection
        let paths = planner.envFilePaths(manifest: inspection.manifest, compose: inspection.compose,
                                         entries: inspection.listing.entries)
        let envFiles = try staged.staged.map { workflow.readFiles(paths, in: $0.directory) }
            ?? workflow.readFiles(paths, in: staged.verified.file, limits: limits)
        var plan = try planner.plan(manifest: inspection.manifest, compose: inspection.compose,
                                    entries: inspection.listing.entries, interpolation: inspection.interpolation,
                                    envFiles: envFiles)
        plan.bundleDigest = staged.verified.digests.sha256
        plan.publisherKeyID = staged.verified.verdict.keyID
        let changes = try plans.plan(plan.name).map { $0.diff(to: plan) }
        return PlannedStack(staged: staged, plan: plan, changes: changes)
    }

    /// Step 6: a trusted stack runs without asking unless the change since its last
    /// approved plan raises a privilege; otherwise the user is asked, with the plan and the
    /// diff. `approval.mode deny` refuses every untrusted stack, even with `--yes`.
    /// - Parameters:
    ///   - planned: The planned stack.
    ///   - assumeYes: The caller's `--yes`.
    ///   - asking: Called just before the user is asked.
    /// - Returns: The approved stack.
    /// - Throws: `approval.declined` (exit 6); nothing is installed.
    public func approve(_ planned: PlannedStack, assumeYes: Bool,
                        asking: @Sendable () -> Void = {}) async throws -> ApprovedStack {
        let plan = planned.plan
        let keyID = planned.staged.verified.verdict.keyID
        let isTrusted = try trusted.isTrusted(name: plan.name, keyID: keyID)
        let raising = planned.changes?.filter(\.raisesPrivilege) ?? []
        if !isTrusted && approvalMode == "deny" {
            throw StackError(.approvalDeclined, "\(plan.name) is not a trusted stack and approval.mode is deny",
                             hint: "trust it with `stackctl trust add \(plan.name)`, or `stackctl config set approval.mode prompt`")
        }
        if isTrusted && raising.isEmpty { return ApprovedStack(planned: planned, approvedBy: "trust") }
        if assumeYes { return ApprovedStack(planned: planned, approvedBy: "yes") }
        asking()
        let why = isTrusted
            ? "the stack is trusted, but this plan raises privileges since the one you approved ("
                + raising.map(\.detail).joined(separator: "; ") + ")"
            : "the stack is not trusted"
        let request = ApprovalRequest(manifest: planned.staged.inspection.manifest, publisherKeyID: keyID, plan: plan,
                                      changes: planned.changes, summary: plan.summary(changes: planned.changes),
                                      reason: why)
        if case .declined(let answer) = try await prompter.requestApproval(request) {
            // A person who said no is not told how to get around it; a script that could
            // not ask is told where a person can answer.
            let unasked = answer.hasPrefix("no one to ask")
            throw StackError(.approvalDeclined, "\(plan.name) \(plan.version) was not approved: \(answer); asked because \(why)",
                             hint: unasked
                                ? "nothing was installed; run it from a terminal to answer the prompt (`stackctl bundle verify FILE` shows what it asks for)"
                                : "nothing was installed")
        }
        return ApprovedStack(planned: planned, approvedBy: "user")
    }

    /// Step 7: renames staging into `stacks/<name>/<version>/` (read-only), records the
    /// stack, its approved plan and its version, all under the home lock.
    /// - Parameter approved: The approved stack.
    /// - Returns: The committed stack.
    /// - Throws: `stack.exists` when a stack of that name was installed meanwhile, `io.*`.
    public func commit(_ approved: ApprovedStack) throws -> CommittedStack {
        let planned = approved.planned
        let plan = planned.plan
        guard let staged = planned.staged.staged else {
            throw StackError(.internalError, "\(plan.name) was inspected, not staged; it cannot be committed")
        }
        let runtime = try runtime(for: plan.flavor)
        let destination = home.stackDirectory(name: plan.name, version: plan.version)
        let now = clock.now()
        let record = StackRecord(name: plan.name, version: plan.version, flavor: plan.flavor,
                                 digest: planned.staged.verified.digests.sha256,
                                 keyID: planned.staged.verified.verdict.keyID, title: plan.title,
                                 status: .installed, egressApproved: plan.egress, installedAt: now, updatedAt: now)
        try HomeLock.held(home) {
            try requireNotInstalled(plan.name)
            do {
                try FileManager.default.createDirectory(at: destination.deletingLastPathComponent(),
                                                        withIntermediateDirectories: true)
            } catch {
                throw StackError(.ioFailed, "cannot create \(destination.deletingLastPathComponent().path)", cause: error)
            }
            if FileManager.default.fileExists(atPath: destination.path) {
                // A leftover of an interrupted install of the same version: not ours to keep.
                try StagedBundle.removeTree(destination)
            }
            try staged.commit(to: destination, readOnly: true)
            try registry.save(record)
            try plans.save(plan)
            try ledger.record(plan.version, stack: plan.name, keyID: record.keyID)
        }
        logger?.info("installed \(plan.name) \(plan.version)", metadata: ["key": record.keyID, "by": approved.approvedBy])
        return CommittedStack(plan: plan, record: record, runtime: runtime)
    }

    /// Step 8–9: renders the approved plan and brings the stack up. When the first start
    /// fails, the install is undone (files, record, containers) unless `keepFailed`.
    /// - Parameters:
    ///   - committed: The committed stack.
    ///   - keepFailed: Keep a stack that failed to start, recorded as failed.
    /// - Returns: Its status and local URLs.
    /// - Throws: `docker.*`, `runtime.*` (exit 5).
    public func start(_ committed: CommittedStack, keepFailed: Bool = false) async throws -> StackStatus {
        var record = committed.record
        let stack = StackRunner.runnable(committed.plan, home: home)
        do {
            try await committed.runtime.up(stack)
        } catch {
            if keepFailed {
                record.status = .failed
                record.lastError = StackError.wrap(error).description
                record.updatedAt = clock.now()
                try? HomeLock.held(home) { try registry.save(record) }
            } else {
                try? await committed.runtime.down(stackName: record.name)
                try? HomeLock.held(home) {
                    try StagedBundle.removeTree(home.stacksDirectory.appendingPathComponent(record.name))
                    try registry.remove(record.name)
                }
            }
            throw error
        }
        record.status = .running
        record.updatedAt = clock.now()
        try HomeLock.held(home) { try registry.save(record) }
        let containers = try await committed.runtime.containers(stackName: record.name)
        let state = try await committed.runtime.status(stackName: record.name)
        return StackStatus(record: record, state: state, containers: containers,
                           urls: StackRunner.urls(plan: committed.plan, containers: containers),
                           findings: committed.plan.findings)
    }

    /// `bundle unpack`: places a planned bundle at `destination` (which must not exist),
    /// outside the home. The staging directory was made beside it.
    /// - Parameters:
    ///   - planned: A stack planned from ``stage(_:besides:)``.
    ///   - destination: The target directory.
    /// - Throws: `io.destination_exists`, `io.failed`.
    public func place(_ planned: PlannedStack, at destination: URL) throws {
        guard let staged = planned.staged.staged else {
            throw StackError(.internalError, "the bundle was inspected, not staged; it cannot be placed")
        }
        try staged.commit(to: destination)
    }

    /// Steps 3–4 into staging beside `destination` (same file system, so placing it is a
    /// rename); used by ``stage(_:)`` and by `bundle unpack`.
    /// - Parameters:
    ///   - verified: The verified bundle.
    ///   - destination: Where the bundle may be placed later; must not exist.
    /// - Returns: The staged stack.
    /// - Throws: As ``stage(_:)``, and `io.destination_exists`.
    public func stage(_ verified: VerifiedBundle, besides destination: URL) throws -> StagedStack {
        let staged = try workflow.stage(verified.file, besides: destination, limits: limits)
        do {
            try Self.checkBinding(verified.verdict, staged.inspection.manifest, verified.digests)
        } catch {
            staged.discard()
            throw error
        }
        return StagedStack(verified: verified, inspection: staged.inspection, staged: staged)
    }

    // MARK: Helpers

    private func checkExpectations(_ manifest: Manifest, _ options: InstallOptions) throws {
        if let name = options.expectedName, name != manifest.name {
            throw StackError(.requestInvalid, "the website asked for \(name) but the bundle is \(manifest.name)")
        }
        if let version = options.expectedVersion, version != manifest.version {
            throw StackError(.requestInvalid, "the website asked for version \(version) but the bundle is \(manifest.version)")
        }
        try requireNotInstalled(manifest.name)
    }

    /// Refuses a name that is already installed (`stack.exists`), so the API can answer
    /// 409 before downloading anything when the website names the stack.
    /// - Parameter name: The stack name.
    /// - Throws: `stack.exists` naming the installed version.
    public func requireNotInstalled(_ name: String) throws {
        if let record = try registry.record(name) {
            throw StackError(.stackExists, "a stack named \(name) is already installed (version \(record.version))",
                             hint: "start it with `stackctl start \(name)`, or remove it first with `stackctl rm \(name)`")
        }
    }

    private func runtime(for flavor: String) throws -> any ContainerRuntime {
        guard let runtime = runtimes.runtime(for: flavor) else {
            throw StackError(.runtimeUnknownFlavor,
                             "no runtime is registered for flavor '\(flavor)' (known: \(runtimes.flavors.joined(separator: ", ")))")
        }
        return runtime
    }


    /// The trusted comment must name the manifest's stack and version; `sha256:` and
    /// `size:`, when present, must match the file.
    static func checkBinding(_ verdict: SignatureVerdict, _ manifest: Manifest, _ digests: FileDigests) throws {
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
