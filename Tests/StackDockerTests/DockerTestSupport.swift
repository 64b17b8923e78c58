import Foundation
import StackAPI
import StackBundle
import StackCore
import StackDocker
import StackTestSupport

/// A stack set up on the real engine for one test, removed by ``tearDown()``.
struct LiveStack {
    let runtime: Docker.ComposeRuntime
    let engine: Docker.EngineClient
    let home: StackHome
    let stack: RunnableStack
    let tmp: TemporaryDirectory
    var name: String { stack.name }

    /// Builds a home, writes `files` as the unpacked bundle, and prepares a runnable stack
    /// named `prefix-<random>` (unique, so tests can run in parallel).
    static func make(prefix: String, compose: ComposeFile, files: [String: String] = [:],
                     egress: Bool = false, volumes: [String] = []) throws -> LiveStack {
        let tmp = try TemporaryDirectory("docker-\(prefix)")
        let home = StackHome(root: tmp.path("home"))
        try home.initialize()
        let name = "\(prefix)-\(UUID().uuidString.prefix(8).lowercased())"
        var manifest = Manifest(name: name, version: SemanticVersion("1.0.0")!)
        manifest.volumes = volumes
        manifest.network.egress = egress
        manifest.resources = .init(cpus: 0.5, memory: 64 << 20, pids: 64)
        let bundle = home.stackDirectory(name: name, version: manifest.version)
        try FileManager.default.createDirectory(at: bundle, withIntermediateDirectories: true)
        for (path, text) in files {
            let url = bundle.appendingPathComponent(path)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(text.utf8).write(to: url)
        }
        var plan = try PlanFixture.plan(compose, manifest: manifest, files: files.keys.sorted())
        plan.bundleDigest = String(repeating: "ab", count: 32)
        let stack = RunnableStack(plan: plan, bundleDirectory: bundle,
                                  runDirectory: home.runDirectory(name: name),
                                  volumesDirectory: home.volumesDirectory(name: name))
        let engine = try Docker.EngineClient(http: CurlHTTPClient())
        let runtime = Docker.ComposeRuntime(engine: engine, home: home,
                                            environment: ProcessInfo.processInfo.environment, stopTimeout: 1)
        return LiveStack(runtime: runtime, engine: engine, home: home, stack: stack, tmp: tmp)
    }

    /// Removes the stack's containers and network (never throws: used in cleanup).
    func tearDown() async {
        try? await runtime.down(stackName: name)
    }

    /// The one container of `service`.
    func container(_ service: String) async throws -> StackContainer {
        guard let container = try await runtime.containers(stackName: name).first(where: { $0.service == service }) else {
            throw StackError(.internalError, "no container for service \(service) of \(name)")
        }
        return container
    }

    /// Runs a command in a service's container and returns its exit status and output.
    func exec(_ service: String, _ command: [String]) async throws -> Docker.ProcessResult {
        let container = try await container(service)
        return try await Docker.Subprocess.run(["docker", "exec", container.id] + command,
                                               environment: ProcessInfo.processInfo.environment, timeout: 30)
    }

    /// The container's address on the stack's network.
    func address(_ service: String) async throws -> String {
        let info = try await engine.inspectContainer(id: try await container(service).id)
        let networks = ((info["NetworkSettings"] as? [String: Any])?["Networks"] as? [String: Any]) ?? [:]
        guard let ip = (networks.values.first as? [String: Any])?["IPAddress"] as? String, !ip.isEmpty else {
            throw StackError(.internalError, "no address for \(service)")
        }
        return ip
    }
}

/// A busybox web server service answering on container port 8080.
func webService(ports: [ComposePort] = [ComposePort(target: 8080)], volumes: [ComposeMount] = []) -> ComposeService {
    ComposeService(image: "stacktest/busybox:1",
                   command: .exec(["httpd", "-f", "-p", "8080", "-h", "/www"]),
                   ports: ports, volumes: volumes, user: "65534:65534")
}

/// Fetches `url`, retrying while the server starts (bounded).
func fetch(_ url: String, attempts: Int = 40) async throws -> HTTPResponse {
    let client = CurlHTTPClient()
    var last: (any Error)?
    for _ in 0..<attempts {
        do {
            let response = try await client.send(HTTPRequest(url: url, timeout: 3))
            if response.status == 200 { return response }
        } catch { last = error }
        try await Task.sleep(nanoseconds: 250_000_000)
    }
    throw last ?? StackError(.internalError, "\(url) never answered 200")
}

/// Runs `body`, then tears the stacks down in reverse order, whether `body` threw or not.
func withCleanup(_ stacks: LiveStack..., body: () async throws -> Void) async throws {
    do {
        try await body()
    } catch {
        for stack in stacks.reversed() { await stack.tearDown() }
        throw error
    }
    for stack in stacks.reversed() { await stack.tearDown() }
}

/// Creates and removes Docker networks in a loop until ``stop()``, the way other stacks
/// starting on the same host would. Docker 20.10 lifts its own isolation jumps for a
/// moment at each creation, so probes made meanwhile show whether isolation holds anyway.
final class NetworkChurn: Sendable {
    private let stopped = LockedBox(false)
    private let created = LockedBox(0)
    private let loops: [Task<Void, Never>]

    init(loops count: Int = 2) {
        let stopped = stopped
        let created = created
        loops = (0..<count).map { _ in
            Task.detached {
                let environment = ProcessInfo.processInfo.environment
                while !stopped.withLock({ $0 }) {
                    let name = "stk-churn-\(UUID().uuidString.prefix(8).lowercased())"
                    let made = try? await Docker.Subprocess.run(
                        ["docker", "network", "create", "--label", "stacktest.churn=1", name],
                        environment: environment, timeout: 30)
                    if made?.status == 0 { created.withLock { $0 += 1 } }
                    _ = try? await Docker.Subprocess.run(["docker", "network", "rm", name], environment: environment, timeout: 30)
                }
            }
        }
    }

    /// Waits until at least `count` networks were created (bounded by `timeout` seconds).
    func waitForCreations(_ count: Int, timeout: Double = 30) async throws {
        let deadline = Date().addingTimeInterval(timeout)
        while created.withLock({ $0 }) < count, Date() < deadline { try await Task.sleep(nanoseconds: 50_000_000) }
    }

    /// Stops the loops and returns how many networks they created.
    func stop() async -> Int {
        stopped.withLock { $0 = true }
        for loop in loops { await loop.value }
        return created.withLock { $0 }
    }
}
