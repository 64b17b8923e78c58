extension ScanPass {
    /// Service keys outside the typed model that reach the container as given, once the
    /// rules above have judged them. Every other `other` key is dropped by the plan.
    static let passthroughServiceKeys: Set<String> = [
        "tmpfs", "shm_size", "stop_signal", "stop_grace_period", "hostname", "domainname", "read_only",
        "tty", "stdin_open", "expose", "ulimits", "extra_hosts", "platform", "group_add",
    ]

    /// The restart policy every service gets.
    static let restartPolicy = "on-failure:5"

    /// A service's limits: its own, else `deploy.resources.limits`, else the manifest's,
    /// else the policy's defaults. The rules judge each source; this is the one place that
    /// decides which applies.
    func resolvedResources(_ service: ComposeService) -> StackPlan.Resources {
        let limits = service.other["deploy"]?["resources"]?["limits"]
        let cpus = service.cpus ?? limits?["cpus"]?.numberValue ?? manifest.resources.cpus ?? policy.defaultCPUs
        let memory = service.memLimit ?? limits?["memory"]?.byteValue ?? manifest.resources.memory ?? policy.defaultMemory
        let pids = service.pidsLimit ?? limits?["pids"]?.numberValue.map { Int($0) } ?? manifest.resources.pids ?? policy.defaultPids
        return StackPlan.Resources(cpus: cpus, memory: memory, pids: pids)
    }

    /// The bundle paths of every `env_file` the services name, resolved as Compose would.
    func envFilePaths() -> [String] {
        var paths: [String] = []
        for name in compose.services.keys.sorted() {
            guard let value = compose.services[name]?.other["env_file"] else { continue }
            for entry in Self.envFileEntries(value) {
                if case .inside(let path) = tree.resolve(entry.path), !paths.contains(path) { paths.append(path) }
            }
        }
        return paths
    }

    static func envFileEntries(_ value: ConfigValue) -> [(path: String, required: Bool)] {
        (value.arrayValue ?? [value]).compactMap { item in
            if let path = item.scalarText { return (path, true) }
            guard let path = item["path"]?.scalarText else { return nil }
            return (path, item["required"]?.boolValue ?? true)
        }
    }

    /// Builds the plan from input that produced no critical finding. Everything it reads
    /// was judged by a rule of this pass; it makes no decision of its own.
    /// - Parameters:
    ///   - parameters: The values the compose file was interpolated with.
    ///   - envFiles: The contents of the files ``envFilePaths()`` named, by bundle path.
    /// - Returns: The plan.
    func plan(parameters: [String: String], envFiles: [String: [UInt8]]) -> StackPlan {
        var services: [StackPlan.Service] = []
        var volumes: Set<String> = []
        for name in compose.services.keys.sorted() {
            guard let service = compose.services[name] else { continue }
            var environment: [String: String] = [:]
            if let value = service.other["env_file"] {
                for entry in Self.envFileEntries(value) {
                    guard case .inside(let path) = tree.resolve(entry.path), let bytes = envFiles[path] else { continue }
                    for (key, value) in Self.parseEnvFile(bytes) { environment[key] = value }
                }
            }
            for (key, value) in service.environment {
                if let value {
                    environment[key] = value
                } else if let parameter = parameters[key] {
                    environment[key] = parameter
                }
            }
            let network: StackPlan.Network
            switch service.networkMode?.trimmingSpaces.lowercased() {
            case "none"?: network = .none
            case let mode? where mode.hasPrefix("service:"):
                network = .service(String(service.networkMode?.trimmingSpaces.dropFirst("service:".count) ?? ""))
            default: network = .stack
            }
            let ports = network == .stack ? service.ports.map {
                StackPlan.Port(hostPort: $0.published, containerPort: $0.target, containerPortEnd: $0.targetEnd, proto: $0.proto)
            } : []
            var mounts: [StackPlan.Mount] = []
            for (index, mount) in service.volumes.enumerated() {
                let source = mount.source ?? ""
                let isPath = source.hasPrefix("/") || source.hasPrefix(".") || source.hasPrefix("~") || source.contains("/")
                // A volume whose source is a path is judged as a bind source by the mount
                // rules, so it is planned as one.
                let bindLike = mount.type == .bind || (mount.type == .volume && isPath)
                if bindLike {
                    if case .inside(let path) = tree.resolve(source) {
                        mounts.append(StackPlan.Mount(kind: .bundle, source: path, target: mount.target, readOnly: true))
                    }
                    continue
                }
                switch mount.type {
                case .bind:
                    continue // planned above
                case .volume where mount.source == nil:
                    mounts.append(StackPlan.Mount(kind: .anonymous, source: "_anonymous-\(name)-\(index)",
                                                  target: mount.target, readOnly: mount.readOnly))
                case .volume:
                    volumes.insert(source)
                    mounts.append(StackPlan.Mount(kind: .volume, source: source, target: mount.target,
                                                  readOnly: mount.readOnly))
                case .tmpfs:
                    mounts.append(StackPlan.Mount(kind: .tmpfs, source: nil, target: mount.target, readOnly: false))
                case .npipe, .cluster, .image:
                    continue // rejected by the mount rules
                }
            }
            var options: [String: ConfigValue] = [:]
            for key in Self.passthroughServiceKeys.sorted() {
                if let value = service.other[key] { options[key] = value }
            }
            services.append(StackPlan.Service(
                name: name, image: service.image?.trimmingSpaces ?? "", command: service.command,
                entrypoint: service.entrypoint, user: service.user, workingDir: service.workingDir,
                environment: environment, ports: ports, mounts: mounts,
                capabilities: Array(Set(service.capAdd.map(Self.normaliseCapability))).sorted(),
                resources: resolvedResources(service), restart: Self.restartPolicy,
                initProcess: service.other["init"]?.boolValue ?? true, healthcheck: service.healthcheck,
                labels: service.labels, dependsOn: service.dependsOn.filter(isService).sorted(),
                network: network, options: options))
        }
        return StackPlan(
            name: manifest.name, version: manifest.version, flavor: manifest.flavor, title: manifest.title,
            publisher: manifest.publisher, composePath: manifest.compose, services: services,
            egress: manifest.network.egress, volumes: volumes.sorted(), portLabels: manifest.ports,
            parameters: parameters, findings: report().findings.filter { $0.severity != .critical })
    }

    /// Compose's `env_file` format: `KEY=VALUE` lines, `#` comments, optional `export `,
    /// matching quotes around the value removed. Values are literal.
    static func parseEnvFile(_ bytes: [UInt8]) -> [(String, String)] {
        var out: [(String, String)] = []
        for line in String(decoding: bytes, as: UTF8.self).split(whereSeparator: \.isNewline) {
            let trimmed = String(line).trimmingSpaces
            guard !trimmed.isEmpty, !trimmed.hasPrefix("#"), let eq = trimmed.firstIndex(of: "=") else { continue }
            var key = String(trimmed[..<eq]).trimmingSpaces
            if key.hasPrefix("export ") { key = String(key.dropFirst(7)).trimmingSpaces }
            var value = String(trimmed[trimmed.index(after: eq)...])
            if value.count >= 2, let first = value.first, first == "\"" || first == "'", value.last == first {
                value = String(value.dropFirst().dropLast())
            }
            if !key.isEmpty { out.append((key, value)) }
        }
        return out
    }
}
