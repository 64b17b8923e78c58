import Foundation
import StackCore

extension Docker {
    /// Which Compose is installed: v2 (`docker compose`) or v1 (`docker-compose`).
    public enum ComposeVariant: Sendable, Hashable, CustomStringConvertible {
        case v2(docker: String)
        case v1(path: String)

        /// The argument vector prefix.
        public var command: [String] {
            switch self {
            case .v2(let docker): [docker, "compose"]
            case .v1(let path): [path]
            }
        }

        public var description: String {
            switch self {
            case .v2: "docker compose (v2)"
            case .v1: "docker-compose (v1)"
            }
        }

        /// Where Docker CLI plugins live (the v2 `docker-compose` plugin among them).
        static func pluginDirectories(environment: [String: String]) -> [String] {
            var directories: [String] = []
            if let config = environment["DOCKER_CONFIG"] { directories.append(config + "/cli-plugins") }
            if let home = environment["HOME"] { directories.append(home + "/.docker/cli-plugins") }
            return directories + ["/usr/local/lib/docker/cli-plugins", "/usr/local/libexec/docker/cli-plugins",
                                  "/usr/lib/docker/cli-plugins", "/usr/libexec/docker/cli-plugins"]
        }

        /// Detects the variant at run time: v2 when the `docker compose` plugin is installed
        /// (and, with `probe`, answers `docker compose version`), else v1 `docker-compose`.
        /// Without `probe` nothing is executed, which keeps `run` fast; `doctor` probes.
        /// - Parameters:
        ///   - environment: Where `PATH`, `HOME` and `DOCKER_CONFIG` come from.
        ///   - probe: Run `version` to confirm the choice.
        /// - Returns: The variant.
        /// - Throws: `docker.compose_not_found` with a hint.
        public static func detect(environment: [String: String], probe: Bool = false) async throws -> ComposeVariant {
            if !probe {
                if let docker = Subprocess.which("docker", environment: environment),
                   pluginDirectories(environment: environment).contains(where: {
                       FileManager.default.isExecutableFile(atPath: $0 + "/docker-compose")
                   }) {
                    return .v2(docker: docker)
                }
                if let v1 = Subprocess.which("docker-compose", environment: environment) { return .v1(path: v1) }
                throw StackError(.composeNotFound, "neither `docker compose` (v2) nor `docker-compose` (v1) is installed",
                                 hint: "install Docker Compose (Debian: apt-get install docker-compose)")
            }
            if let docker = Subprocess.which("docker", environment: environment),
               let result = try? await Subprocess.run([docker, "compose", "version"], environment: environment, timeout: 20),
               result.status == 0 {
                return .v2(docker: docker)
            }
            if let v1 = Subprocess.which("docker-compose", environment: environment),
               let result = try? await Subprocess.run([v1, "version"], environment: environment, timeout: 20),
               result.status == 0 {
                return .v1(path: v1)
            }
            throw StackError(.composeNotFound, "neither `docker compose` (v2) nor `docker-compose` (v1) works here",
                             hint: "install Docker Compose (Debian: apt-get install docker-compose)")
        }
    }

    /// The `compose` flavor: renders the hardened compose file (``HardenedRenderer``) into
    /// the stack's run directory and drives Compose with project name `stack-<name>`;
    /// cleanup and state come from the Engine API, by label, so nothing is left behind
    /// even when Compose fails half-way.
    public struct ComposeRuntime: ContainerRuntime {
        public let flavor = "compose"
        private let engine: EngineClient
        private let home: StackHome
        private let environment: [String: String]
        private let policy: IsolationPolicy
        private let networkGuard: any NetworkGuard
        private let variant: LockedBox<ComposeVariant?>
        private let logger: Logger?
        private let stopTimeout: Int

        /// Creates the runtime.
        /// - Parameters:
        ///   - engine: The Engine API client.
        ///   - home: The home (run and volume directories).
        ///   - environment: The process environment; only `PATH`, `HOME` and `DOCKER_*`
        ///     reach Compose.
        ///   - policy: Isolation settings; with ``HostFirewallMode/required`` (the default)
        ///     every `up` and `start` first has `networkGuard` install its rules, and fails
        ///     with `runtime.network_guard_unavailable` when it cannot.
        ///   - networkGuard: The host firewall guard; `nil` means ``IPTablesNetworkGuard``.
        ///   - variant: A fixed Compose variant, or `nil` to detect it on first use.
        ///   - stopTimeout: Seconds a container gets to stop before it is killed.
        ///   - logger: Optional logger.
        public init(engine: EngineClient, home: StackHome, environment: [String: String],
                    policy: IsolationPolicy = .default, networkGuard: (any NetworkGuard)? = nil,
                    variant: ComposeVariant? = nil, stopTimeout: Int = 10, logger: Logger? = nil) {
            self.stopTimeout = stopTimeout
            self.engine = engine
            self.home = home
            self.environment = environment.filter { key, _ in
                key == "PATH" || key == "HOME" || key.hasPrefix("DOCKER_")
            }
            self.policy = policy
            self.networkGuard = networkGuard ?? IPTablesNetworkGuard(environment: environment)
            self.variant = LockedBox(variant)
            self.logger = logger
        }

        static func project(_ name: String) -> String { "stack-\(name)" }
        static func projectLabel(_ name: String) -> String { "com.docker.compose.project=\(project(name))" }

        /// The rendered file of a stack.
        public func composeFile(stackName: String) -> URL {
            home.runDirectory(name: stackName).appendingPathComponent("compose.json")
        }

        public func up(_ stack: RunnableStack) async throws {
            let name = stack.name
            let rendered = HardenedRenderer().render(stack.plan, context: RenderContext(
                bundleDirectory: stack.bundleDirectory.resolvingSymlinksInPath(),
                volumesDirectory: stack.volumesDirectory))
            try await guardNetworks(name, egress: stack.plan.egress)
            try await requireFreePorts(stack.plan)
            do {
                try FileManager.default.createDirectory(at: stack.runDirectory, withIntermediateDirectories: true,
                                                        attributes: [.posixPermissions: 0o700])
            } catch {
                throw StackError(.ioFailed, "cannot prepare the run directory of \(name)", cause: error)
            }
            for directory in rendered.volumeDirectories {
                // Made from the home's descriptor without following links; a service running
                // as a numeric user owns its data directory (as root), so it can write there.
                _ = try home.prepareVolumeDirectory(stack: name, volume: directory.lastPathComponent,
                                                    owner: rendered.volumeOwners[directory.path])
            }
            let file = stack.runDirectory.appendingPathComponent("compose.json")
            try AtomicFile.write(Array(rendered.json.utf8), to: file, mode: 0o600)
            var arguments = ["up", "-d", "--no-build", "--remove-orphans"]
            if case .v2 = try await composeVariant() { arguments += ["--pull", "never"] }
            do {
                try await compose(name, file: file, arguments)
            } catch {
                logger?.warning("compose up failed; removing what it made", metadata: ["stack": name])
                try? await down(stackName: name)
                throw error
            }
        }

        /// Every fixed host port of the plan must be free on 127.0.0.1 before `up`, or the
        /// stack fails with `runtime.port_in_use` naming the port and who holds it (another
        /// stack, by name, or another process) — not with Compose's output after a while.
        func requireFreePorts(_ plan: StackPlan) async throws {
            var wanted: [(port: Int, proto: String, service: String)] = []
            for (service, port) in plan.publishedPorts {
                guard let text = port.hostPort else { continue }
                let bounds = text.split(separator: "-").compactMap { Int($0) }
                guard let low = bounds.first, let high = bounds.last, low <= high else { continue }
                for number in low...high { wanted.append((number, port.proto, service)) }
            }
            guard let taken = wanted.first(where: { !Posix.isLoopbackPortFree($0.port, proto: $0.proto) }) else { return }
            let holder = try? await engine.containers(label: "\(HardenedRenderer.labelManaged)=true", all: false)
                .first { $0.ports.contains { $0.publicPort == taken.port && $0.type == taken.proto } }
            let who = holder.flatMap { $0.labels[HardenedRenderer.labelName] }.map { "the stack \($0)" } ?? "another process"
            throw StackError(.runtimePortInUse,
                             "\(plan.name): service \(taken.service) publishes 127.0.0.1:\(taken.port)/\(taken.proto), which \(who) already uses",
                             hint: holder.flatMap { $0.labels[HardenedRenderer.labelName] }.map { "stop it first with `stackctl stop \($0)`" }
                                ?? "stop the process that listens there (`ss -ltnup | grep :\(taken.port)`), or use a bundle that publishes another port")
        }

        public func down(stackName: String) async throws {
            let file = composeFile(stackName: stackName)
            var composeError: (any Error)?
            if FileManager.default.fileExists(atPath: file.path) {
                do {
                    try await compose(stackName, file: file, ["down", "--remove-orphans", "--timeout", String(stopTimeout)])
                } catch {
                    composeError = error
                }
            }
            // Whatever Compose did, sweep by label: no container or network may remain.
            for container in try await engine.containers(label: Self.projectLabel(stackName), all: true) {
                try await engine.removeContainer(id: container.id, force: true)
            }
            for network in try await engine.networks(label: "\(HardenedRenderer.labelName)=\(stackName)") {
                try await engine.removeNetwork(id: network.id)
            }
            if let composeError { logger?.warning("compose down reported: \(composeError)") }
        }

        public func start(stackName: String) async throws {
            let file = try existingFile(stackName)
            try await guardNetworks(stackName, egress: Self.egress(ofRendered: file))
            try await compose(stackName, file: file, ["start"])
        }

        public func stop(stackName: String) async throws {
            try await compose(stackName, file: try existingFile(stackName), ["stop", "--timeout", String(stopTimeout)])
        }

        public func status(stackName: String) async throws -> StackRunState {
            let containers = try await engine.containers(label: Self.projectLabel(stackName), all: true)
            if containers.isEmpty { return .absent }
            let running = containers.filter { $0.state == "running" }.count
            if running == containers.count { return .running }
            return running == 0 ? .stopped : .partial
        }

        public func containers(stackName: String) async throws -> [StackContainer] {
            try await engine.containers(label: Self.projectLabel(stackName), all: true).map { container in
                StackContainer(
                    service: container.labels["com.docker.compose.service"] ?? container.names.first ?? container.id,
                    id: container.id, state: container.state,
                    ports: container.ports.compactMap { port in
                        port.publicPort.map { "\(port.ip ?? ""):\($0)->\(port.privatePort)/\(port.type)" }
                    }.sorted())
            }.sorted { $0.service < $1.service }
        }

        public func logs(stackName: String, tail: Int?) async throws -> String {
            var text = ""
            for container in try await containers(stackName: stackName) {
                let output = try await engine.logs(id: container.id, tail: tail)
                for line in output.split(separator: "\n", omittingEmptySubsequences: false) where !line.isEmpty {
                    text += "\(container.service) | \(line)\n"
                }
            }
            return text
        }

        public func followLogs(stackName: String, tail: Int?, onText: @escaping @Sendable (String) -> Bool) async throws {
            let containers = try await containers(stackName: stackName)
            try await withThrowingTaskGroup(of: Void.self) { group in
                for container in containers {
                    let engine = engine
                    group.addTask {
                        let partial = LockedBox("")
                        try await engine.followLogs(id: container.id, tail: tail) { text in
                            // Prefix whole lines with the service name.
                            let lines: [String] = partial.withLock { pending in
                                pending += text
                                var parts = pending.components(separatedBy: "\n")
                                pending = parts.removeLast()
                                return parts
                            }
                            for line in lines where !onText("\(container.service) | \(line)\n") { return false }
                            return true
                        }
                    }
                }
                try await group.waitForAll()
            }
        }

        /// Has the guard install its rules, unless the policy turned it off.
        /// Has the guard install its rules (the guard serialises itself across processes).
        /// With the guard off, a stack without egress is refused: masquerade
        /// off alone still lets its packets leave one-way (UDP, SYN, ICMP) with their private
        /// source address; only the guard's DROP rules stop them.
        private func guardNetworks(_ name: String, egress: Bool) async throws {
            guard policy.hostFirewall == .required else {
                if !egress {
                    throw StackError(.networkGuardUnavailable,
                                     "\(name) has no route out, which only the host firewall guard enforces, and isolation.hostFirewall is off",
                                     hint: "turn the guard on (`stackctl config set isolation.hostFirewall required`, as root with iptables), or approve egress for this stack")
                }
                return
            }
            try await networkGuard.ensure()
        }

        /// Whether a rendered stack may reach out: its network keeps IP masquerade.
        static func egress(ofRendered file: URL) -> Bool {
            guard let data = FileManager.default.contents(atPath: file.path),
                  let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
                  let network = (object["networks"] as? [String: Any])?[HardenedRenderer.networkKey] as? [String: Any],
                  let options = network["driver_opts"] as? [String: Any] else { return false }
            return options[HardenedRenderer.masquerade] as? String != "false"
        }

        /// The detected (or fixed) Compose variant.
        public func composeVariant() async throws -> ComposeVariant {
            if let known = variant.withLock({ $0 }) { return known }
            let detected = try await ComposeVariant.detect(environment: environment)
            variant.withLock { $0 = detected }
            return detected
        }

        private func existingFile(_ stackName: String) throws -> URL {
            let file = composeFile(stackName: stackName)
            guard FileManager.default.fileExists(atPath: file.path) else {
                throw StackError(.composeFailed, "\(stackName) has never been started here (no \(file.path))",
                                 hint: "run it first with `stackctl run`")
            }
            return file
        }

        private func compose(_ stackName: String, file: URL, _ arguments: [String]) async throws {
            let command = try await composeVariant().command
                + ["--project-name", Self.project(stackName), "--file", file.path,
                   "--project-directory", file.deletingLastPathComponent().path] + arguments
            logger?.debug("running \(command.joined(separator: " "))")
            let result = try await Subprocess.run(command, environment: environment, timeout: 300)
            guard result.status == 0 else {
                let detail = result.errorOutput.split(separator: "\n").suffix(12).joined(separator: "\n")
                throw StackError(.composeFailed,
                                 "compose \(arguments.first ?? "") of \(stackName) failed (exit \(result.status)): \(detail)",
                                 hint: "check `stackctl doctor`; the rendered file is \(file.path)")
            }
        }
    }
}
