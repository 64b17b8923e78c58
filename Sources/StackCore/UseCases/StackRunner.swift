import Foundation

/// A local URL of a running stack.
public struct StackURL: Sendable, Hashable, Codable {
    public var service: String
    public var url: String
    public var label: String?
    /// Whether this is the stack's UI (`open: true` in the manifest).
    public var open: Bool
}

/// The result of running or inspecting a stack.
public struct StackStatus: Sendable {
    public var record: StackRecord
    public var state: StackRunState
    public var containers: [StackContainer]
    public var urls: [StackURL]
    /// Findings of the scan (warnings and info), when the stack was just installed.
    public var findings: [Finding]
}

/// What `run` needs besides the bundle.
public struct RunOptions: Sendable {
    public var verification: VerificationOptions
    /// `--yes`: approve without asking (the user saw the summary elsewhere or scripts it).
    public var assumeYes: Bool
    /// Told when the run enters a new phase (verifying, awaiting approval, unpacking, starting).
    public var progress: @Sendable (Operation.State) -> Void
    /// Told the manifest once it is parsed (before approval).
    public var onManifest: @Sendable (Manifest) throws -> Void
    public init(verification: VerificationOptions, assumeYes: Bool = false,
                progress: @escaping @Sendable (Operation.State) -> Void = { _ in },
                onManifest: @escaping @Sendable (Manifest) throws -> Void = { _ in }) {
        self.verification = verification
        self.assumeYes = assumeYes
        self.progress = progress
        self.onManifest = onManifest
    }
}

/// The run pipeline of DESIGN §3 and the stack lifecycle, as one use case over the ports:
/// verify → stage → bind/rollback/scan → approve → commit → run → record. Every failure
/// names its step and code and unwinds what earlier steps made.
public struct StackRunner: Sendable {
    private let home: StackHome
    private let pipeline: BundlePipeline
    private let runtimes: RuntimeRegistry
    private let prompter: any ApprovalPrompter
    private let registry: StackRegistry
    private let ledger: VersionLedger
    private let trusted: TrustedStacks
    private let clock: any WallClock
    private let logger: Logger?
    private let approvalMode: String

    /// Creates the runner.
    /// - Parameters:
    ///   - home: The home (stacks, volumes, state).
    ///   - pipeline: Verification, staging, judging.
    ///   - runtimes: Flavor → runtime.
    ///   - prompter: Asks the user.
    ///   - store: Where the registry and the version ledger live.
    ///   - clock: The time source.
    ///   - approvalMode: `prompt` (ask unless trusted) or `deny` (never run an untrusted
    ///     stack, not even with `--yes`).
    ///   - logger: Optional logger.
    public init(home: StackHome, pipeline: BundlePipeline, runtimes: RuntimeRegistry,
                prompter: some ApprovalPrompter, store: some StateStore,
                clock: some WallClock = SystemWallClock(), approvalMode: String = "prompt", logger: Logger? = nil) {
        self.approvalMode = approvalMode
        self.home = home
        self.pipeline = pipeline
        self.runtimes = runtimes
        self.prompter = prompter
        self.registry = StackRegistry(store: store)
        self.ledger = VersionLedger(store: store)
        self.trusted = TrustedStacks(home: home)
        self.clock = clock
        self.logger = logger
    }

    /// Runs a bundle: the whole pipeline.
    /// - Parameters:
    ///   - bundle: The open bundle file.
    ///   - options: Checksum, signature, downgrade and approval options.
    /// - Returns: The running stack's status and URLs.
    /// - Throws: `checksum.*`/`signature.*` (3), `bundle.*`/`policy.*`/`manifest.*` (4),
    ///   `docker.*`/`runtime.*` (5), `approval.declined` (6), `stack.exists` (1).
    public func run(_ bundle: BundleFile, options: RunOptions) async throws -> StackStatus {
        // Step 2: checksum and signature, before anything is extracted.
        options.progress(.verifying)
        let (digests, verdict) = try pipeline.verifySignature(bundle, options: options.verification)
        // Steps 3–4: policy-checked unpack into private staging in the home, and parse.
        let scratch = home.tmpDirectory.appendingPathComponent("unpack-\(UUID().uuidString)")
        let staged = try pipeline.bundleWorkflow.stage(bundle, besides: scratch, limits: pipeline.bundleLimits)
        defer { staged.discard() }
        let manifest = staged.inspection.manifest
        try options.onManifest(manifest)
        if try registry.record(manifest.name) != nil {
            throw StackError(.stackExists, "a stack named \(manifest.name) is already installed",
                             hint: "start it with `stackctl start \(manifest.name)`, or remove it first with `stackctl rm \(manifest.name)` (its data is kept)")
        }
        // Step 5: binding, rollback, scan.
        let scan = try pipeline.judge(staged.inspection, verdict: verdict, digests: digests,
                                      allowDowngrade: options.verification.allowDowngrade)
        guard let runtime = runtimes.runtime(for: manifest.flavor) else {
            throw StackError(.runtimeUnknownFlavor,
                             "no runtime is registered for flavor '\(manifest.flavor)' (known: \(runtimes.flavors.joined(separator: ", ")))")
        }
        // Preflight: a runtime that cannot be reached fails now, before anything is installed.
        _ = try await runtime.status(stackName: manifest.name)
        // Step 6: approval.
        let isTrusted = try trusted.isTrusted(name: manifest.name, keyID: verdict.keyID)
        if !isTrusted && approvalMode == "deny" {
            throw StackError(.approvalDeclined,
                             "\(manifest.name) is not a trusted stack and approval.mode is deny",
                             hint: "trust it with `stackctl trust add \(manifest.name)`, or `stackctl config set approval.mode prompt`")
        }
        if !(isTrusted || options.assumeYes) {
            options.progress(.awaitingApproval)
            let request = ApprovalRequest(manifest: manifest, publisherKeyID: verdict.keyID,
                                          summary: Self.summary(manifest, compose: staged.inspection.compose, scan: scan, digests: digests,
                                                                previous: try ledger.highest(stack: manifest.name, keyID: verdict.keyID)))
            if case .declined(let reason) = try await prompter.requestApproval(request) {
                throw StackError(.approvalDeclined, "\(manifest.name) \(manifest.version) was not approved: \(reason)",
                                 hint: "pass --yes to approve from a script, or trust the stack with `stackctl trust add \(manifest.name)`")
            }
        }
        // Step 7: commit.
        options.progress(.unpacking)
        let destination = home.stackDirectory(name: manifest.name, version: manifest.version)
        let now = clock.now()
        var record = StackRecord(name: manifest.name, version: manifest.version, flavor: manifest.flavor,
                                 digest: digests.sha256, keyID: verdict.keyID, title: manifest.title,
                                 status: .installed, egressApproved: manifest.network.egress,
                                 installedAt: now, updatedAt: now)
        try withLock {
            if try registry.record(manifest.name) != nil {
                throw StackError(.stackExists, "a stack named \(manifest.name) was installed meanwhile")
            }
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
            try ledger.record(manifest.version, stack: manifest.name, keyID: verdict.keyID)
        }
        logger?.info("installed \(manifest.name) \(manifest.version)", metadata: ["key": verdict.keyID])
        // Step 8: run.
        options.progress(.starting)
        let stack = runnable(manifest: manifest, compose: staged.inspection.compose, record: record)
        do {
            try await runtime.up(stack)
        } catch {
            record.status = .failed
            record.lastError = StackError.wrap(error).description
            record.updatedAt = clock.now()
            try? withLock { try registry.save(record) }
            throw error
        }
        record.status = .running
        record.updatedAt = clock.now()
        try withLock { try registry.save(record) }
        // Step 9: report.
        var status = try await status(of: record, manifest: manifest, runtime: runtime)
        status.findings = scan.findings
        return status
    }

    /// Starts an installed stack (re-creating its containers if they were removed).
    /// - Parameter name: The stack.
    /// - Returns: Its status.
    /// - Throws: `stack.not_found`, runtime errors.
    public func start(_ name: String) async throws -> StackStatus {
        var record = try registry.require(name)
        let (manifest, compose) = try pipeline.bundleWorkflow.loadUnpacked(
            home.stackDirectory(name: name, version: record.version))
        let runtime = try runtime(for: record)
        if try await runtime.status(stackName: name) == .absent {
            try await runtime.up(runnable(manifest: manifest, compose: compose, record: record))
        } else {
            try await runtime.start(stackName: name)
        }
        record.status = .running
        record.lastError = nil
        record.updatedAt = clock.now()
        try withLock { try registry.save(record) }
        return try await status(of: record, manifest: manifest, runtime: runtime)
    }

    /// Stops a running stack; its containers and data stay.
    /// - Parameter name: The stack.
    /// - Throws: `stack.not_found`, runtime errors.
    public func stop(_ name: String) async throws {
        var record = try registry.require(name)
        try await runtime(for: record).stop(stackName: name)
        record.status = .stopped
        record.updatedAt = clock.now()
        try withLock { try registry.save(record) }
    }

    /// Removes a stack's containers, network, unpacked bundle and record; its data in
    /// `volumes/<name>/` is kept unless `purge`.
    /// - Parameters:
    ///   - name: The stack.
    ///   - purge: Also delete its data.
    /// - Throws: `stack.not_found`, runtime or I/O errors.
    public func remove(_ name: String, purge: Bool) async throws {
        let record = try registry.require(name)
        try await runtime(for: record).down(stackName: name)
        try withLock {
            try StagedBundle.removeTree(home.stacksDirectory.appendingPathComponent(name))
            if purge { try StagedBundle.removeTree(home.volumesDirectory(name: name)) }
            try registry.remove(name)
        }
    }

    /// Every installed stack with its live state.
    /// - Returns: Status of each, sorted by name.
    /// - Throws: Registry or runtime errors.
    public func list() async throws -> [StackStatus] {
        var out: [StackStatus] = []
        for record in try registry.all() {
            let manifest = try? pipeline.bundleWorkflow.loadUnpacked(home.stackDirectory(name: record.name, version: record.version)).0
            out.append(try await status(of: record, manifest: manifest, runtime: try runtime(for: record)))
        }
        return out
    }

    /// One stack's live state.
    /// - Parameter name: The stack.
    /// - Returns: Its status.
    /// - Throws: `stack.not_found`, runtime errors.
    public func status(_ name: String) async throws -> StackStatus {
        let record = try registry.require(name)
        let manifest = try? pipeline.bundleWorkflow.loadUnpacked(home.stackDirectory(name: name, version: record.version)).0
        return try await status(of: record, manifest: manifest, runtime: try runtime(for: record))
    }

    /// Recent logs of every container of the stack.
    /// - Parameters:
    ///   - name: The stack.
    ///   - tail: Lines per container from the end, or `nil` for all.
    /// - Returns: The text, each line prefixed with its service.
    /// - Throws: `stack.not_found`, runtime errors.
    public func logs(_ name: String, tail: Int?) async throws -> String {
        try await runtime(for: try registry.require(name)).logs(stackName: name, tail: tail)
    }

    /// Follows the logs of every container of the stack.
    /// - Parameters:
    ///   - name: The stack.
    ///   - tail: Lines of history first.
    ///   - onText: Receives text; return `false` to stop.
    /// - Throws: `stack.not_found`, runtime errors.
    public func followLogs(_ name: String, tail: Int?, onText: @escaping @Sendable (String) -> Bool) async throws {
        try await runtime(for: try registry.require(name)).followLogs(stackName: name, tail: tail, onText: onText)
    }

    // MARK: Helpers

    private func runtime(for record: StackRecord) throws -> any ContainerRuntime {
        guard let runtime = runtimes.runtime(for: record.flavor) else {
            throw StackError(.runtimeUnknownFlavor, "no runtime is registered for flavor '\(record.flavor)'")
        }
        return runtime
    }

    private func runnable(manifest: Manifest, compose: ComposeFile, record: StackRecord) -> RunnableStack {
        RunnableStack(manifest: manifest, compose: compose,
                      bundleDirectory: home.stackDirectory(name: manifest.name, version: manifest.version),
                      runDirectory: home.runDirectory(name: manifest.name),
                      volumesDirectory: home.volumesDirectory(name: manifest.name),
                      digest: record.digest, egressApproved: record.egressApproved)
    }

    private func status(of record: StackRecord, manifest: Manifest?, runtime: any ContainerRuntime) async throws -> StackStatus {
        let state = try await runtime.status(stackName: record.name)
        let containers = try await runtime.containers(stackName: record.name)
        return StackStatus(record: record, state: state, containers: containers,
                           urls: Self.urls(manifest: manifest, containers: containers), findings: [])
    }

    private func withLock<T>(_ body: () throws -> T) throws -> T {
        let lock = try HomeLock(home: home)
        defer { lock.unlock() }
        return try body()
    }

    /// Local URLs: each manifest port whose service publishes it, else every published port.
    static func urls(manifest: Manifest?, containers: [StackContainer]) -> [StackURL] {
        var urls: [StackURL] = []
        func published(_ container: StackContainer) -> [(host: String, port: String, target: Int)] {
            container.ports.compactMap { text in
                // "127.0.0.1:8080->8080/tcp"
                let parts = text.split(separator: "-", maxSplits: 1)
                guard parts.count == 2, let colon = parts[0].lastIndex(of: ":") else { return nil }
                let host = String(parts[0][..<colon])
                let port = String(parts[0][parts[0].index(after: colon)...])
                let target = Int(parts[1].dropFirst().split(separator: "/").first ?? "") ?? 0
                return (host.isEmpty ? "127.0.0.1" : host, port, target)
            }
        }
        if let manifest, !manifest.ports.isEmpty {
            for port in manifest.ports {
                for container in containers where container.service == port.service {
                    for p in published(container) where p.target == port.port {
                        urls.append(StackURL(service: port.service, url: "http://\(p.host):\(p.port)/",
                                             label: port.label, open: port.open))
                    }
                }
            }
            return urls
        }
        for container in containers {
            for p in published(container) {
                urls.append(StackURL(service: container.service, url: "http://\(p.host):\(p.port)/", label: nil, open: false))
            }
        }
        return urls
    }

    /// The approval summary of DESIGN §3 step 6.
    static func summary(_ manifest: Manifest, compose: ComposeFile, scan: ScanReport, digests: FileDigests,
                        previous: SemanticVersion?) -> [String] {
        var lines: [String] = []
        lines.append("stack:      \(manifest.name) \(manifest.version)\(manifest.title.map { " (\($0))" } ?? "")")
        if let publisher = manifest.publisher { lines.append("publisher:  \(publisher)") }
        lines.append("sha256:     \(digests.sha256)")
        lines.append("previous:   \(previous.map { "\($0) was installed before" } ?? "never installed from this publisher")")
        let r = manifest.resources
        lines.append("resources:  cpus \(r.cpus.map { String($0) } ?? "default"), memory \(r.memory.map { "\($0 >> 20) MiB" } ?? "default"), pids \(r.pids.map { String($0) } ?? "default")")
        if !manifest.ports.isEmpty {
            lines.append("ports:      " + manifest.ports.map { "\($0.service):\($0.port)\($0.label.map { " \($0)" } ?? "")" }.joined(separator: ", ") + " (on 127.0.0.1 only)")
        }
        lines.append("egress:     \(manifest.network.egress ? "REQUESTED: the stack asks to reach the internet" : "none")")
        if !manifest.volumes.isEmpty { lines.append("volumes:    \(manifest.volumes.joined(separator: ", "))") }
        let serviceCaps = compose.services.values.flatMap(\.capAdd).map { $0.uppercased().hasPrefix("CAP_") ? String($0.uppercased().dropFirst(4)) : $0.uppercased() }
        let caps = Array(Set(manifest.capabilities + serviceCaps)).sorted()
        if !caps.isEmpty { lines.append("capabilities: \(caps.joined(separator: ", "))") }
        for finding in scan.findings { lines.append("\(finding.severity): \(finding.location): \(finding.message)") }
        return lines
    }
}
