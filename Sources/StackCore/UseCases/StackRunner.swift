import Foundation

/// The lifecycle of installed stacks over the ports: start, stop, remove, list, status and
/// logs. Installing is ``StackInstaller``'s job; every start renders the stack's approved
/// ``StackPlan`` (``ApprovedPlans``), so what runs is always what was approved.
public struct StackRunner: Sendable {
    private let home: StackHome
    private let workflow: BundleWorkflow
    private let planner: StackPlanner
    private let runtimes: RuntimeRegistry
    private let registry: StackRegistry
    private let plans: ApprovedPlans
    private let clock: any WallClock
    private let logger: Logger?

    /// Creates the runner.
    /// - Parameters:
    ///   - home: The home (stacks, volumes, state).
    ///   - workflow: Reads an unpacked bundle (stacks installed before plans were kept).
    ///   - planner: Plans such a stack again.
    ///   - runtimes: Flavor → runtime.
    ///   - store: Where records and approved plans live.
    ///   - clock: The time source.
    ///   - logger: Optional logger.
    public init(home: StackHome, workflow: BundleWorkflow, planner: StackPlanner, runtimes: RuntimeRegistry,
                store: some StateStore, clock: some WallClock = SystemWallClock(), logger: Logger? = nil) {
        self.home = home
        self.workflow = workflow
        self.planner = planner
        self.runtimes = runtimes
        self.registry = StackRegistry(store: store)
        self.plans = ApprovedPlans(store: store)
        self.clock = clock
        self.logger = logger
    }

    /// Starts an installed stack (re-creating its containers if they were removed).
    /// - Parameter name: The stack.
    /// - Returns: Its status.
    /// - Throws: `stack.not_found`, runtime errors.
    public func start(_ name: String) async throws -> StackStatus {
        var record = try registry.require(name)
        let plan = try plan(of: record)
        let runtime = try runtime(for: record)
        if try await runtime.status(stackName: name) == .absent {
            try await runtime.up(Self.runnable(plan, home: home))
        } else {
            try await runtime.start(stackName: name)
        }
        record.status = .running
        record.lastError = nil
        record.updatedAt = clock.now()
        try HomeLock.held(home) { try registry.save(record) }
        return try await status(of: record, plan: plan, runtime: runtime)
    }

    /// Stops a running stack; its containers and data stay.
    /// - Parameter name: The stack.
    /// - Throws: `stack.not_found`, runtime errors.
    public func stop(_ name: String) async throws {
        var record = try registry.require(name)
        let runtime = try runtime(for: record)
        // Asking for the state first turns an unreachable engine into its own clear error
        // (`docker.unreachable`) instead of whatever the runtime's tool prints.
        _ = try await runtime.status(stackName: name)
        try await runtime.stop(stackName: name)
        record.status = .stopped
        record.updatedAt = clock.now()
        try HomeLock.held(home) { try registry.save(record) }
    }

    /// Removes a stack's containers, network, unpacked bundle and record; its data in
    /// `volumes/<name>/` is kept unless `purge`.
    /// - Parameters:
    ///   - name: The stack.
    ///   - purge: Also delete its data.
    /// - Throws: `stack.not_found`, runtime or I/O errors.
    public func remove(_ name: String, purge: Bool) async throws {
        let record = try registry.require(name)
        let runtime = try runtime(for: record)
        _ = try await runtime.status(stackName: name)
        try await runtime.down(stackName: name)
        try HomeLock.held(home) {
            try StagedBundle.removeTree(home.stacksDirectory.appendingPathComponent(name))
            if purge { try StagedBundle.removeTree(home.volumesDirectory(name: name)) }
            try registry.remove(name)
        }
    }

    /// Every installed stack with its live state. A stack whose runtime cannot be reached
    /// is listed with the state ``StackRunState/unknown`` and the reason in
    /// ``StackStatus/unreachable``: installed stacks are never hidden by a stopped engine.
    /// - Returns: Status of each, sorted by name.
    /// - Throws: Registry errors.
    public func list() async throws -> [StackStatus] {
        var out: [StackStatus] = []
        for record in try registry.all() {
            let plan = try? plan(of: record)
            do {
                out.append(try await status(of: record, plan: plan, runtime: try runtime(for: record)))
            } catch {
                var status = StackStatus(record: record, state: .unknown, containers: [], urls: [], findings: [])
                status.unreachable = StackError.wrap(error)
                out.append(status)
            }
        }
        return out
    }

    /// One stack's live state.
    /// - Parameter name: The stack.
    /// - Returns: Its status.
    /// - Throws: `stack.not_found`, runtime errors.
    public func status(_ name: String) async throws -> StackStatus {
        let record = try registry.require(name)
        return try await status(of: record, plan: try? plan(of: record), runtime: try runtime(for: record))
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

    /// The approved plan of an installed stack; a stack installed before plans were kept is
    /// planned again from its unpacked bundle (and that plan is kept).
    /// - Parameter record: The stack's record.
    /// - Returns: Its plan.
    /// - Throws: `io.*`, `policy.*` when the unpacked bundle no longer passes the policy.
    public func plan(of record: StackRecord) throws -> StackPlan {
        if let plan = try plans.plan(record.name), plan.version == record.version { return plan }
        let directory = home.stackDirectory(name: record.name, version: record.version)
        let (manifest, compose, interpolation) = try workflow.loadUnpacked(directory)
        let entries = Self.entries(below: directory)
        let envFiles = workflow.readFiles(planner.envFilePaths(manifest: manifest, compose: compose, entries: entries),
                                          in: directory)
        var plan = try planner.plan(manifest: manifest, compose: compose, entries: entries,
                                    interpolation: interpolation, envFiles: envFiles)
        plan.bundleDigest = record.digest
        plan.publisherKeyID = record.keyID
        plan.egress = record.egressApproved
        try HomeLock.held(home) { try plans.save(plan) }
        return plan
    }

    /// The entries of an unpacked bundle, as the archive listed them.
    static func entries(below directory: URL) -> [BundleEntry] {
        let fm = FileManager.default
        guard let walker = fm.enumerator(atPath: directory.path) else { return [] }
        var entries: [BundleEntry] = []
        while let relative = walker.nextObject() as? String {
            var isDirectory: ObjCBool = false
            _ = fm.fileExists(atPath: directory.path + "/" + relative, isDirectory: &isDirectory)
            entries.append(BundleEntry(path: relative, kind: isDirectory.boolValue ? .directory : .file, size: 0, mode: 0o644))
        }
        return entries
    }

    /// The runnable form of a plan in this home.
    static func runnable(_ plan: StackPlan, home: StackHome) -> RunnableStack {
        RunnableStack(plan: plan, bundleDirectory: home.stackDirectory(name: plan.name, version: plan.version),
                      runDirectory: home.runDirectory(name: plan.name),
                      volumesDirectory: home.volumesDirectory(name: plan.name))
    }

    private func status(of record: StackRecord, plan: StackPlan?, runtime: any ContainerRuntime) async throws -> StackStatus {
        let state = try await runtime.status(stackName: record.name)
        let containers = try await runtime.containers(stackName: record.name)
        return StackStatus(record: record, state: state, containers: containers,
                           urls: Self.urls(plan: plan, containers: containers), findings: [])
    }


    /// Local URLs: each labelled port whose service publishes it, else every published port.
    static func urls(plan: StackPlan?, containers: [StackContainer]) -> [StackURL] {
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
        if let labels = plan?.portLabels, !labels.isEmpty {
            for port in labels {
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
}
