import Foundation
import StackCore
import StackTestSupport
import Testing

// MARK: - The example adapter (quoted in Docs/runtime-adapters.md)

/// A ``ContainerRuntime`` for the flavor `example` that runs nothing: it keeps a table of
/// stacks, their services and their states in memory. It shows the contract every runtime
/// keeps: `up` leaves nothing behind when it fails, `down` leaves nothing at all, and
/// `status` answers `absent` for a stack it does not know.
actor ProcessTableRuntime: ContainerRuntime {
    /// One stack in the table.
    struct Row: Sendable {
        var services: [String]
        var state: StackRunState
        var log: [String]
    }

    /// The flavor a manifest names to select this runtime (`flavor: example`).
    nonisolated let flavor = "example"
    /// The stacks this runtime knows, by name.
    private var table: [String: Row] = [:]
    /// Stacks whose `up` fails part-way (to show the clean-up contract).
    private let failingUp: Set<String>

    /// Creates the runtime.
    /// - Parameter failingUp: Names of stacks whose `up` fails after it created them.
    init(failingUp: Set<String> = []) {
        self.failingUp = failingUp
    }

    /// The code this adapter raises; exit 5 like every runtime failure.
    static let failed = StackError.Code("example.failed", exit: .runtime)

    func up(_ stack: RunnableStack) async throws {
        let name = stack.name
        // Create first, as a real engine would (containers, network)…
        table[name] = Row(services: stack.plan.services.map(\.name), state: .partial,
                          log: ["created from \(stack.bundleDirectory.lastPathComponent), digest \(stack.plan.bundleDigest ?? "")"])
        if failingUp.contains(name) {
            // …and on failure remove what was made before throwing: the contract of `up`.
            table[name] = nil
            throw StackError(Self.failed, "\(name) did not start")
        }
        table[name]?.state = .running
        table[name]?.log.append("started")
    }

    func down(stackName: String) async throws {
        // Nothing may remain; removing an unknown stack is not an error.
        table[stackName] = nil
    }

    func start(stackName: String) async throws {
        guard table[stackName] != nil else {
            throw StackError(Self.failed, "\(stackName) has never been started here")
        }
        table[stackName]?.state = .running
        table[stackName]?.log.append("started")
    }

    func stop(stackName: String) async throws {
        guard table[stackName] != nil else {
            throw StackError(Self.failed, "\(stackName) has never been started here")
        }
        table[stackName]?.state = .stopped
        table[stackName]?.log.append("stopped")
    }

    func status(stackName: String) async throws -> StackRunState {
        table[stackName]?.state ?? .absent
    }

    func containers(stackName: String) async throws -> [StackContainer] {
        guard let row = table[stackName] else { return [] }
        return row.services.map { service in
            StackContainer(service: service, id: "\(stackName)-\(service)",
                           state: row.state == .running ? "running" : "exited", ports: [])
        }
    }

    func logs(stackName: String, tail: Int?) async throws -> String {
        let lines = table[stackName]?.log ?? []
        return lines.suffix(tail ?? lines.count).map { "example | \($0)\n" }.joined()
    }
}

// MARK: - Tests

@Suite("A user-written runtime adapter driven by StackRunner")
struct ExampleRuntimeAdapterTests {
    /// A home, a bundle file, the doubles and a runner with the example runtime registered.
    struct Scene {
        static let manifest = Manifest(name: "hello-web", version: SemanticVersion("1.2.0")!, flavor: "example",
                                       volumes: ["data"])
        static let compose = ComposeFile(services: [
            "web": ComposeService(image: "stacktest/busybox:1"),
            "db": ComposeService(image: "stacktest/busybox:1"),
        ])

        let tmp: TemporaryDirectory
        let home: StackHome
        let bundle: BundleFile
        let store = InMemoryStateStore()
        let runtime: ProcessTableRuntime
        let prompter: StubPrompter
        let installer: StackInstaller
        let runner: StackRunner

        init(_ label: String, decision: ApprovalDecision = .approved, failingUp: Set<String> = [],
             registerExample: Bool = true) throws {
            tmp = try TemporaryDirectory(label)
            home = StackHome(root: tmp.path("home"))
            try home.initialize()
            let file = tmp.path("hello-web.stack")
            try Data("an in-memory archive stands in for these bytes".utf8).write(to: file)
            bundle = try BundleFile(path: file.path)
            runtime = ProcessTableRuntime(failingUp: failingUp)
            prompter = StubPrompter(decision: decision)

            var runtimes = RuntimeRegistry()
            if registerExample { runtimes.register(runtime) }
            let workflow = BundleWorkflow(format: InMemoryArchiveFormat(InMemoryArchiveFormat.validItems),
                                          decoder: StubManifestDecoder(manifest: Self.manifest, compose: Self.compose))
            installer = StackInstaller(home: home, workflow: workflow, digester: StubDigester(),
                                       verifier: StubSignatureVerifier(fields: ["stack": "hello-web", "version": "1.2.0"]),
                                       planner: StackPlanner(), runtimes: runtimes, prompter: prompter, store: store)
            runner = StackRunner(home: home, workflow: workflow, planner: StackPlanner(), runtimes: runtimes, store: store)
        }

        var options: InstallOptions { InstallOptions(verification: VerificationOptions(signature: Array("sig".utf8))) }
        var stackDirectory: URL { home.stacksDirectory.appendingPathComponent("hello-web") }

        /// The error `body` throws, as a `StackError`.
        func error(_ body: () async throws -> Void) async -> StackError? {
            do {
                try await body()
                return nil
            } catch {
                return error as? StackError
            }
        }
    }

    @Test("RuntimeRegistry maps the manifest's flavor to the registered runtime")
    func registry() {
        var registry = RuntimeRegistry()
        registry.register(ProcessTableRuntime())
        #expect(registry.flavors == ["example"])
        #expect(registry.runtime(for: "example")?.flavor == "example")
        #expect(registry.runtime(for: "compose") == nil)
    }

    @Test("a successful run installs, records and runs the stack on the example runtime")
    func runs() async throws {
        let scene = try Scene("example-run")
        let status = try await scene.installer.run(scene.bundle, options: scene.options)

        #expect(status.state == .running)
        #expect(status.record.status == .running)
        #expect(status.record.flavor == "example")
        #expect(status.record.keyID == StubSignatureVerifier.keyID)
        #expect(status.record.digest == StubDigester.sha256)
        #expect(status.containers.map(\.service) == ["db", "web"])
        #expect(status.containers.allSatisfy { $0.state == "running" })
        #expect(try await scene.runtime.status(stackName: "hello-web") == .running)
        #expect(scene.prompter.requests.withLock { $0.count } == 1)
        // Committed read-only into stacks/<name>/<version>/, and no staging left in tmp/.
        #expect(FileManager.default.fileExists(
            atPath: scene.home.stackDirectory(name: "hello-web", version: Scene.manifest.version)
                .appendingPathComponent("stack.yaml").path))
        #expect(try contents(of: scene.home.tmpDirectory) == [])
        #expect(try VersionLedger(store: scene.store).highest(stack: "hello-web", keyID: StubSignatureVerifier.keyID)
                == Scene.manifest.version)

        try await scene.runner.stop("hello-web")
        #expect(try await scene.runner.status("hello-web").state == .stopped)
        #expect(try await scene.runner.start("hello-web").state == .running)
        #expect(try await scene.runner.logs("hello-web", tail: 1) == "example | started\n")
    }

    @Test("a declined approval is approval.declined (exit 6): nothing recorded, unpacked or started")
    func declined() async throws {
        let scene = try Scene("example-declined", decision: .declined(reason: "no thanks"))
        let error = await scene.error { _ = try await scene.installer.run(scene.bundle, options: scene.options) }

        #expect(error?.code == .approvalDeclined)
        #expect(error?.exitStatus == .declined)
        #expect(try await scene.runtime.status(stackName: "hello-web") == .absent)
        #expect(try await scene.runner.list().isEmpty)
        #expect(try VersionLedger(store: scene.store).highest(stack: "hello-web", keyID: StubSignatureVerifier.keyID) == nil)
        #expect(!FileManager.default.fileExists(atPath: scene.stackDirectory.path))
        #expect(try contents(of: scene.home.tmpDirectory) == [])
    }

    @Test("the install reports its steps in order, the plan before approval, the status last")
    func eventsInOrder() async throws {
        let scene = try Scene("example-events")
        var seen: [String] = []
        for try await event in scene.installer.install(scene.bundle, options: scene.options) {
            switch event {
            case .phase(let state): seen.append(state.rawValue)
            case .planned(let plan, let changes): seen.append("planned \(plan.services.map(\.name)) \(changes == nil)")
            case .finished(let status): seen.append("finished \(status.state.rawValue)")
            }
        }
        #expect(seen == ["verifying", "planned [\"db\", \"web\"] true", "awaiting_approval", "unpacking", "starting",
                         "finished running"])
        let request = try #require(scene.prompter.requests.withLock { $0.first })
        #expect(request.plan?.services.map(\.name) == ["db", "web"])
        #expect(request.changes == nil)
    }

    @Test("a trusted stack skips the prompt unless its plan raises a privilege since the last approved plan")
    func trustedRaisingAsks() async throws {
        let scene = try Scene("example-trusted", decision: .declined(reason: "not now"))
        #expect(try TrustedStacks(home: scene.home).add(.init(name: "hello-web")))
        // The first install of a trusted stack runs without asking.
        _ = try await scene.installer.run(scene.bundle, options: scene.options)
        #expect(scene.prompter.requests.withLock { $0.isEmpty })
        try await scene.runner.remove("hello-web", purge: false)
        // The last approved plan had no egress; this one asks for it: a raise, so the user is asked.
        var previous = try #require(try ApprovedPlans(store: scene.store).plan("hello-web"))
        previous.services = previous.services.map { var s = $0; s.resources.memory /= 2; return s }
        try ApprovedPlans(store: scene.store).save(previous)
        let error = await scene.error { _ = try await scene.installer.run(scene.bundle, options: scene.options) }
        #expect(error?.code == .approvalDeclined)
        let request = try #require(scene.prompter.requests.withLock { $0.first })
        #expect(request.changes?.contains { $0.kind == .limitRaised && $0.raisesPrivilege } == true)
        #expect(request.summary.contains { $0.hasPrefix("  ! ") })
    }

    @Test("--yes skips the prompt")
    func assumeYes() async throws {
        let scene = try Scene("example-yes", decision: .declined(reason: "would decline"))
        var options = scene.options
        options.assumeYes = true
        let status = try await scene.installer.run(scene.bundle, options: options)
        #expect(status.state == .running)
        #expect(scene.prompter.requests.withLock { $0.isEmpty })
    }

    @Test("a failing first start undoes the install: no record, no files, nothing running")
    func upFailsUndone() async throws {
        let scene = try Scene("example-up-undone", failingUp: ["hello-web"])
        let error = await scene.error { _ = try await scene.installer.run(scene.bundle, options: scene.options) }
        #expect(error?.code == ProcessTableRuntime.failed)
        #expect(error?.exitStatus == .runtime)
        #expect(try await scene.runner.list().isEmpty)
        #expect(!FileManager.default.fileExists(atPath: scene.stackDirectory.path))
        #expect(try contents(of: scene.home.tmpDirectory) == [])
        #expect(try await scene.runtime.status(stackName: "hello-web") == .absent)
    }

    @Test("with keepFailed, a failing runtime.up records the stack as failed, and the runtime left nothing running")
    func upFails() async throws {
        let scene = try Scene("example-up-fails", failingUp: ["hello-web"])
        var options = scene.options
        options.keepFailed = true
        let error = await scene.error { _ = try await scene.installer.run(scene.bundle, options: options) }

        #expect(error?.code == ProcessTableRuntime.failed)
        #expect(error?.exitStatus == .runtime)
        let status = try await scene.runner.status("hello-web")
        #expect(status.record.status == .failed)
        #expect(status.record.lastError?.contains("example.failed") == true)
        #expect(status.state == .absent)
        #expect(status.containers.isEmpty)
    }

    @Test("remove takes the stack down and forgets it; its data directory is kept unless purged",
          arguments: [false, true])
    func remove(purge: Bool) async throws {
        let scene = try Scene("example-remove")
        _ = try await scene.installer.run(scene.bundle, options: scene.options)
        let data = scene.home.volumesDirectory(name: "hello-web").appendingPathComponent("data")
        try FileManager.default.createDirectory(at: data, withIntermediateDirectories: true)

        try await scene.runner.remove("hello-web", purge: purge)

        #expect(try await scene.runtime.status(stackName: "hello-web") == .absent)
        #expect(try await scene.runner.list().isEmpty)
        #expect(await scene.error { _ = try await scene.runner.status("hello-web") }?.code == .stackNotFound)
        #expect(!FileManager.default.fileExists(atPath: scene.stackDirectory.path))
        #expect(FileManager.default.fileExists(atPath: data.path) == !purge)
    }

    @Test("a flavor nobody registered is runtime.unknown_flavor (exit 5) before anything is installed")
    func unknownFlavor() async throws {
        let scene = try Scene("example-unknown", registerExample: false)
        let error = await scene.error { _ = try await scene.installer.run(scene.bundle, options: scene.options) }
        #expect(error?.code == .runtimeUnknownFlavor)
        #expect(error?.exitStatus == .runtime)
        #expect(try await scene.runner.list().isEmpty)
        #expect(scene.prompter.requests.withLock { $0.isEmpty })
    }
}

@Suite("Run pipeline: a failure between steps leaves no residue")
struct RunPipelineResidueTests {
    @Test("commit fails (the stack's folder is blocked by a file): no record, no ledger entry, no staging, nothing started")
    func commitFails() async throws {
        let scene = try ExampleRuntimeAdapterTests.Scene("residue-commit")
        try Data("in the way".utf8).write(to: scene.stackDirectory)
        let error = await scene.error { _ = try await scene.installer.run(scene.bundle, options: scene.options) }
        #expect(error != nil)
        #expect(error?.code == .ioFailed || error?.code == .destinationExists, "\(String(describing: error))")
        #expect(try await scene.runner.list().isEmpty)
        #expect(try VersionLedger(store: scene.store).highest(stack: "hello-web", keyID: StubSignatureVerifier.keyID) == nil)
        #expect(try contents(of: scene.home.tmpDirectory) == [])
        #expect(try await scene.runtime.status(stackName: "hello-web") == .absent)
    }

    @Test("a second run of an installed stack is stack.exists and changes nothing")
    func secondRun() async throws {
        let scene = try ExampleRuntimeAdapterTests.Scene("residue-second")
        _ = try await scene.installer.run(scene.bundle, options: scene.options)
        let before = try await scene.runner.status("hello-web").record
        let error = await scene.error { _ = try await scene.installer.run(scene.bundle, options: scene.options) }
        #expect(error?.code == .stackExists)
        #expect(try await scene.runner.status("hello-web").record == before)
        #expect(try contents(of: scene.home.tmpDirectory) == [])
    }
}
