import Foundation
import StackCore

extension Docker {
    /// What the renderer needs besides the compose model.
    public struct RenderContext: Sendable {
        public var manifest: Manifest
        /// The unpacked bundle (bind sources resolve inside it, read-only).
        public var bundleDirectory: URL
        /// `volumes/<name>/`: the only writable place a stack's mounts may point to.
        public var volumesDirectory: URL
        /// SHA-256 of the bundle, for labels.
        public var digest: String
        /// Whether the user approved egress (IP masquerade on the stack's network).
        public var egressApproved: Bool
        /// Resource ceilings, defaults and capability allowlist.
        public var policy: IsolationPolicy
        /// The value of every declared parameter.
        public var parameters: [String: String]

        public init(manifest: Manifest, bundleDirectory: URL, volumesDirectory: URL, digest: String,
                    egressApproved: Bool = false, policy: IsolationPolicy = .default,
                    parameters: [String: String]? = nil) {
            self.manifest = manifest
            self.bundleDirectory = bundleDirectory
            self.volumesDirectory = volumesDirectory
            self.digest = digest
            self.egressApproved = egressApproved
            self.policy = policy
            self.parameters = parameters ?? Dictionary(
                manifest.parameters.map { ($0.name, $0.defaultValue ?? "") }, uniquingKeysWith: { a, _ in a })
        }
    }

    /// The rendered compose document and the directories it needs.
    public struct RenderedCompose: Sendable {
        /// The compose project name, `stack-<name>`.
        public var projectName: String
        /// The network's name.
        public var networkName: String
        /// The document.
        public var document: ConfigValue
        /// Directories under the volumes directory that must exist before `up`.
        public var volumeDirectories: [URL]
        /// Numeric owners (`uid`, `gid`) for volume directories mounted into services that run
        /// as a numeric user, so that the stack can write its own data.
        public var volumeOwners: [String: (uid: UInt32, gid: UInt32)]
        /// The document as deterministic JSON.
        public var json: String { document.jsonText() }
    }

    /// Renders the hardened compose file of DESIGN §5: what runs is never what the bundle
    /// says verbatim. Only known-safe keys are carried over; every control is injected;
    /// binds are resolved (symlinks too) and confined; ports bound to 127.0.0.1; one bridge
    /// network per stack, on a bridge named by ``StackBridgeName`` (which the host firewall
    /// guard matches), without IP masquerade unless egress was approved. It re-checks
    /// what the scan already rejected (defence in depth) and throws `policy.*` errors.
    public struct HardenedRenderer: Sendable {
        /// Label keys set on every container and the network.
        public static let labelName = "lol.stack.name"
        public static let labelVersion = "lol.stack.version"
        public static let labelDigest = "lol.stack.digest"
        public static let labelManaged = "lol.stack.managed"
        /// The network's key in the rendered file.
        public static let networkKey = "stack"
        static let masquerade = "com.docker.network.bridge.enable_ip_masquerade"
        static let bridgeNameOption = "com.docker.network.bridge.name"

        /// Service keys copied through after interpolation, as given (the scan judged them).
        static let passthrough: Set<String> = [
            "init", "tmpfs", "shm_size", "stop_signal", "stop_grace_period", "hostname", "read_only",
            "tty", "stdin_open", "expose", "ulimits", "extra_hosts", "dns", "dns_search", "dns_opt",
            "group_add", "domainname", "mac_address", "platform",
        ]

        public init() {}

        /// Renders the compose model.
        /// - Parameters:
        ///   - compose: The parsed compose file.
        ///   - context: Bundle and volume locations, approvals, policy, parameters.
        /// - Returns: The document and the volume directories to create.
        /// - Throws: `policy.*` errors for anything that cannot be made safe.
        public func render(_ compose: ComposeFile, context: RenderContext) throws -> RenderedCompose {
            let name = context.manifest.name
            let project = "stack-\(name)"
            let network = "stack-\(name)-net"
            let bundleRoot = try resolvedDirectory(context.bundleDirectory)
            // Compose resolves relative paths from the compose file's own directory.
            let composeDirectory = bundleRoot.appendingPathComponent(context.manifest.compose)
                .deletingLastPathComponent().standardizedFileURL
            let volumesRoot = context.volumesDirectory.standardizedFileURL
            var volumeDirectories: [URL] = []
            var volumeOwners: [String: (uid: UInt32, gid: UInt32)] = [:]
            var labels: [String: ConfigValue] = [
                Self.labelName: .string(name),
                Self.labelVersion: .string(context.manifest.version.description),
                Self.labelDigest: .string(context.digest),
                Self.labelManaged: .string("true"),
            ]
            var services: [String: ConfigValue] = [:]
            for serviceName in compose.services.keys.sorted() {
                guard let service = compose.services[serviceName] else { continue }
                let at = "services.\(serviceName)"
                func str(_ s: String, _ key: String) throws -> ConfigValue {
                    .string(try Interpolation.resolve(s, parameters: context.parameters, location: "\(at).\(key)"))
                }
                var out: [String: ConfigValue] = [:]
                guard let image = service.image else {
                    throw StackError(.policyMount, "\(at): a service needs an image (build is not allowed)")
                }
                out["image"] = try str(image, "image")
                if let command = service.command { out["command"] = try render(command, at: "\(at).command", context) }
                if let entrypoint = service.entrypoint { out["entrypoint"] = try render(entrypoint, at: "\(at).entrypoint", context) }
                var environment: [String: ConfigValue] = [:]
                // env_file values are literal (compose does not read the host for them); they
                // are merged here so that no file outside the rendered document is read.
                for (key, value) in try envFiles(service, base: composeDirectory, bundleRoot: bundleRoot, at: at) {
                    environment[key] = .string(value.replacingOccurrences(of: "$", with: "$$"))
                }
                for (key, value) in service.environment {
                    if let value {
                        environment[key] = try str(value, "environment.\(key)")
                    } else if let parameter = context.parameters[key] {
                        environment[key] = .string(try Interpolation.resolve(parameter.replacingOccurrences(of: "$", with: "$$"),
                                                                             parameters: [:], location: at))
                    } else {
                        throw StackError(.policyInterpolation,
                                         "\(at).environment: \(key) would be taken from the host environment")
                    }
                }
                if !environment.isEmpty { out["environment"] = .object(environment) }
                if let user = service.user { out["user"] = try str(user, "user") }
                if let dir = service.workingDir { out["working_dir"] = try str(dir, "working_dir") }
                var serviceLabels: [String: ConfigValue] = [:]
                for (key, value) in service.labels where !key.hasPrefix("lol.stack.") {
                    serviceLabels[key] = try str(value, "labels.\(key)")
                }
                serviceLabels.merge(labels) { _, ours in ours }
                serviceLabels["lol.stack.service"] = .string(serviceName)
                out["labels"] = .object(serviceLabels)
                if let health = service.healthcheck { out["healthcheck"] = try render(health, at: "\(at).healthcheck", context) }
                let dependsOn = service.dependsOn.filter { compose.services[$0] != nil }.sorted()
                if !dependsOn.isEmpty { out["depends_on"] = .array(dependsOn.map { .string($0) }) }

                // Injected controls.
                out["cap_drop"] = .array([.string("ALL")])
                let allowed = Set(context.policy.allowedCapabilities)
                var caps: [String] = []
                for cap in service.capAdd {
                    let normal = cap.uppercased().hasPrefix("CAP_") ? String(cap.uppercased().dropFirst(4)) : cap.uppercased()
                    guard allowed.contains(normal) else {
                        throw StackError(StackError.Code("policy.capability", exit: .policy),
                                         "\(at).cap_add: \(cap) is not an allowed capability")
                    }
                    caps.append(normal)
                }
                if !caps.isEmpty { out["cap_add"] = .array(Array(Set(caps)).sorted().map { .string($0) }) }
                out["security_opt"] = .array([.string("no-new-privileges:true")])
                let resources = try resources(service, context: context, at: at)
                out["mem_limit"] = .int(Int(resources.memory))
                out["memswap_limit"] = .int(Int(resources.memory))
                out["cpus"] = .double(resources.cpus)
                out["pids_limit"] = .int(resources.pids)
                out["restart"] = .string("on-failure:5")

                if service.networkMode == "none" {
                    out["network_mode"] = .string("none")
                } else if let mode = service.networkMode, mode.hasPrefix("service:"),
                          compose.services[String(mode.dropFirst(8))] != nil {
                    out["network_mode"] = .string(mode)
                } else if service.networkMode != nil {
                    throw StackError(StackError.Code("policy.host_namespace", exit: .policy),
                                     "\(at).network_mode: \(service.networkMode ?? "") is not allowed")
                } else {
                    out["networks"] = .array([.string(Self.networkKey)])
                    if !service.ports.isEmpty {
                        out["ports"] = .array(try service.ports.enumerated().map { index, port in
                            .string(try render(port, at: "\(at).ports[\(index)]", context))
                        })
                    }
                }

                var mounts: [ConfigValue] = []
                var tmpfs: [ConfigValue] = service.other["tmpfs"].map { value in
                    if case .array(let items) = value { return items }
                    return [value]
                } ?? []
                for (index, mount) in service.volumes.enumerated() {
                    let where_ = "\(at).volumes[\(index)]"
                    try checkTarget(mount.target, at: where_)
                    switch mount.type {
                    case .bind:
                        guard let source = mount.source else {
                            throw StackError(.policyMount, "\(where_): a bind mount needs a source")
                        }
                        let resolved = try resolveBind(source, bundleRoot: bundleRoot, base: composeDirectory,
                                                       at: where_, context)
                        mounts.append(.string("\(resolved.path):\(mount.target):ro"))
                    case .volume:
                        let volumeName = mount.source ?? "_anonymous-\(serviceName)-\(index)"
                        guard mount.source == nil || context.manifest.volumes.contains(volumeName)
                                || compose.volumes[volumeName] != nil else {
                            throw StackError(.policyMount, "\(where_): volume '\(volumeName)' is not declared")
                        }
                        guard Manifest.isValidName(volumeName.lowercased()) || volumeName.hasPrefix("_anonymous-") ,
                              !volumeName.contains("/"), !volumeName.contains(":"), volumeName != ".", volumeName != ".." else {
                            throw StackError(.policyMount, "\(where_): '\(volumeName)' is not a valid volume name")
                        }
                        let directory = volumesRoot.appendingPathComponent(volumeName)
                        volumeDirectories.append(directory)
                        if let owner = Self.numericUser(service.user) { volumeOwners[directory.path] = owner }
                        mounts.append(.string("\(directory.path):\(mount.target)\(mount.readOnly ? ":ro" : "")"))
                    case .tmpfs:
                        tmpfs.append(.string(mount.target))
                    case .npipe, .cluster, .image:
                        throw StackError(.policyMount, "\(where_): \(mount.type.rawValue) mounts are not supported")
                    }
                }
                if !mounts.isEmpty { out["volumes"] = .array(mounts) }
                if !tmpfs.isEmpty { out["tmpfs"] = .array(tmpfs) }
                for key in Self.passthrough.sorted() where key != "tmpfs" {
                    if let value = service.other[key] { out[key] = try interpolate(value, at: "\(at).\(key)", context) }
                }
                services[serviceName] = .object(out)
            }
            // The bridge gets a name the host firewall guard matches (``NetworkGuard``).
            var driverOptions: [String: ConfigValue] = [
                Self.bridgeNameOption: .string(StackBridgeName.forStack(name, egress: context.egressApproved)),
            ]
            if !context.egressApproved { driverOptions[Self.masquerade] = .string("false") }
            labels["lol.stack.network"] = .string("true")
            var networkDefinition: [String: ConfigValue] = [
                "name": .string(network), "driver": .string("bridge"), "labels": .object(labels),
            ]
            networkDefinition["driver_opts"] = .object(driverOptions)
            let document: ConfigValue = .object([
                "services": .object(services),
                "networks": .object([Self.networkKey: .object(networkDefinition)]),
            ])
            var unique: [URL] = []
            for directory in volumeDirectories where !unique.contains(directory) { unique.append(directory) }
            return RenderedCompose(projectName: project, networkName: network, document: document,
                                   volumeDirectories: unique, volumeOwners: volumeOwners)
        }

        private func render(_ command: ComposeCommand, at: String, _ context: RenderContext) throws -> ConfigValue {
            switch command {
            case .shell(let s):
                return .string(try Interpolation.resolve(s, parameters: context.parameters, location: at))
            case .exec(let parts):
                return .array(try parts.map { .string(try Interpolation.resolve($0, parameters: context.parameters, location: at)) })
            }
        }

        private func render(_ health: ComposeHealthcheck, at: String, _ context: RenderContext) throws -> ConfigValue {
            if health.disable { return .object(["disable": .bool(true)]) }
            var out: [String: ConfigValue] = [
                "test": .array(try health.test.map { .string(try Interpolation.resolve($0, parameters: context.parameters, location: at)) }),
            ]
            if let v = health.interval { out["interval"] = .string(v) }
            if let v = health.timeout { out["timeout"] = .string(v) }
            if let v = health.retries { out["retries"] = .int(v) }
            if let v = health.startPeriod { out["start_period"] = .string(v) }
            return .object(out)
        }

        private func render(_ port: ComposePort, at: String, _ context: RenderContext) throws -> String {
            let target = port.target == port.targetEnd ? "\(port.target)" : "\(port.target)-\(port.targetEnd)"
            let published = try port.published.map {
                try Interpolation.resolve($0, parameters: context.parameters, location: at)
            } ?? ""
            guard published.allSatisfy({ $0.isASCII && ($0.isNumber || $0 == "-") }) else {
                throw StackError(.policyMount, "\(at): published port '\(published)' is not a port or range")
            }
            guard port.proto == "tcp" || port.proto == "udp" else {
                throw StackError(.policyMount, "\(at): protocol '\(port.proto)' is not supported")
            }
            // Always loopback, whatever the bundle asked for (DESIGN §5).
            return "127.0.0.1:\(published):\(target)/\(port.proto)"
        }

        private func interpolate(_ value: ConfigValue, at: String, _ context: RenderContext) throws -> ConfigValue {
            switch value {
            case .string(let s): return .string(try Interpolation.resolve(s, parameters: context.parameters, location: at))
            case .array(let items): return .array(try items.map { try interpolate($0, at: at, context) })
            case .object(let members):
                return .object(try members.mapValues { try interpolate($0, at: at, context) })
            default: return value
            }
        }

        private func resources(_ service: ComposeService, context: RenderContext, at: String) throws -> (cpus: Double, memory: Int64, pids: Int) {
            let policy = context.policy
            let limits = service.other["deploy"]?.objectValue?["resources"]?.objectValue?["limits"]?.objectValue ?? [:]
            let deployCPUs = limits["cpus"].flatMap { $0.scalarText }.flatMap(Double.init)
            let deployMemory = limits["memory"].flatMap { $0.scalarText }.flatMap(ByteCount.parse)
            let deployPids: Int? = limits["pids"].flatMap { if case .int(let n) = $0 { return n } else { return nil } }
            let cpus = service.cpus ?? deployCPUs ?? context.manifest.resources.cpus ?? policy.defaultCPUs
            let memory = service.memLimit ?? deployMemory ?? context.manifest.resources.memory ?? policy.defaultMemory
            let pids = service.pidsLimit ?? deployPids ?? context.manifest.resources.pids ?? policy.defaultPids
            guard cpus > 0, cpus <= policy.maxCPUs else {
                throw StackError(.policyResources, "\(at): cpus \(cpus) is outside (0, \(policy.maxCPUs)]")
            }
            guard memory >= 6 << 20, memory <= policy.maxMemory else {
                throw StackError(.policyResources, "\(at): memory \(memory) bytes is outside [6 MiB, \(policy.maxMemory)]")
            }
            guard pids > 0, pids <= policy.maxPids else {
                throw StackError(.policyResources, "\(at): pids \(pids) is outside [1, \(policy.maxPids)]")
            }
            return (cpus, memory, pids)
        }

        /// `uid[:gid]` when `user` is numeric.
        static func numericUser(_ user: String?) -> (uid: UInt32, gid: UInt32)? {
            guard let user else { return nil }
            let parts = user.split(separator: ":", omittingEmptySubsequences: false)
            guard (1...2).contains(parts.count), let uid = UInt32(parts[0]) else { return nil }
            if parts.count == 2 {
                guard let gid = UInt32(parts[1]) else { return nil }
                return (uid, gid)
            }
            return (uid, uid)
        }

        /// Reads the service's `env_file` entries (string, list, or `{path, required}`),
        /// each confined to the bundle, in compose's `KEY=VALUE` format.
        private func envFiles(_ service: ComposeService, base: URL, bundleRoot: URL, at: String) throws -> [(String, String)] {
            guard let value = service.other["env_file"] else { return [] }
            var entries: [(path: String, required: Bool)] = []
            for item in value.arrayValue ?? [value] {
                if let path = item.stringValue { entries.append((path, true)) }
                else if let object = item.objectValue, let path = object["path"]?.stringValue {
                    entries.append((path, object["required"]?.boolValue ?? true))
                } else {
                    throw StackError(.policyMount, "\(at).env_file: an entry is neither a path nor {path:}")
                }
            }
            var out: [(String, String)] = []
            for entry in entries {
                guard !entry.path.hasPrefix("/"), !entry.path.hasPrefix("~") else {
                    throw StackError(StackError.Code("policy.env_file", exit: .policy), "\(at).env_file: '\(entry.path)' is outside the bundle")
                }
                let url = base.appendingPathComponent(entry.path).standardizedFileURL.resolvingSymlinksInPath()
                guard url.path.hasPrefix(bundleRoot.path + "/") else {
                    throw StackError(StackError.Code("policy.env_file", exit: .policy), "\(at).env_file: '\(entry.path)' is outside the bundle")
                }
                guard let data = FileManager.default.contents(atPath: url.path), data.count <= 1 << 20 else {
                    if !entry.required { continue }
                    throw StackError(.policyBindMissing, "\(at).env_file: '\(entry.path)' is missing or over 1 MiB")
                }
                for line in String(decoding: data, as: UTF8.self).split(whereSeparator: \.isNewline) {
                    let trimmed = line.trimmingCharacters(in: .whitespaces)
                    guard !trimmed.isEmpty, !trimmed.hasPrefix("#"), let eq = trimmed.firstIndex(of: "=") else { continue }
                    var key = String(trimmed[..<eq]).trimmingCharacters(in: .whitespaces)
                    if key.hasPrefix("export ") { key = String(key.dropFirst(7)).trimmingCharacters(in: .whitespaces) }
                    var value = String(trimmed[trimmed.index(after: eq)...])
                    if value.count >= 2, let first = value.first, first == "\"" || first == "'", value.last == first {
                        value = String(value.dropFirst().dropLast())
                    }
                    if !key.isEmpty { out.append((key, value)) }
                }
            }
            return out
        }

        private func checkTarget(_ target: String, at: String) throws {
            guard target.hasPrefix("/"), !target.contains(":"), !target.split(separator: "/").contains("..") else {
                throw StackError(.policyMount, "\(at): mount target '\(target)' must be an absolute path without ':' or '..'")
            }
        }

        /// A relative bind resolves inside the unpacked bundle, after symlinks.
        private func resolveBind(_ source: String, bundleRoot: URL, base: URL, at: String,
                                 _ context: RenderContext) throws -> URL {
            let resolvedSource = try Interpolation.resolve(source, parameters: context.parameters, location: at)
            guard !resolvedSource.hasPrefix("/"), !resolvedSource.hasPrefix("~") else {
                throw StackError(StackError.Code("policy.host_path", exit: .policy),
                                 "\(at): '\(source)' is a host path; binds may only name files inside the bundle")
            }
            guard !resolvedSource.contains(":") else {
                throw StackError(.policyMount, "\(at): bind source '\(source)' contains ':'")
            }
            let candidate = base.appendingPathComponent(resolvedSource).standardizedFileURL
            guard candidate.path == bundleRoot.path || candidate.path.hasPrefix(bundleRoot.path + "/") else {
                throw StackError(.policyBindEscape, "\(at): '\(source)' leaves the bundle")
            }
            guard FileManager.default.fileExists(atPath: candidate.path) else {
                throw StackError(.policyBindMissing, "\(at): '\(source)' does not exist in the bundle")
            }
            let real = candidate.resolvingSymlinksInPath()
            guard real.path == bundleRoot.path || real.path.hasPrefix(bundleRoot.path + "/") else {
                throw StackError(.policyBindEscape, "\(at): '\(source)' resolves to \(real.path), outside the bundle")
            }
            return real
        }

        private func resolvedDirectory(_ url: URL) throws -> URL {
            let real = url.standardizedFileURL.resolvingSymlinksInPath()
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: real.path, isDirectory: &isDirectory), isDirectory.boolValue else {
                throw StackError(.fileNotFound, "the unpacked bundle \(url.path) does not exist")
            }
            return real
        }
    }
}
