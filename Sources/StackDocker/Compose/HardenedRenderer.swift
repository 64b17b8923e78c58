import Foundation
import StackCore

extension Docker {
    /// Where a plan's mounts live on this host.
    public struct RenderContext: Sendable {
        /// The unpacked bundle (bundle mounts resolve inside it, read-only).
        public var bundleDirectory: URL
        /// `volumes/<name>/`: the only writable place a stack's mounts may point to.
        public var volumesDirectory: URL

        public init(bundleDirectory: URL, volumesDirectory: URL) {
            self.bundleDirectory = bundleDirectory
            self.volumesDirectory = volumesDirectory
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

    /// Renders the hardened compose file of DESIGN §5 from a ``StackPlan``: what runs is
    /// never what the bundle says verbatim. The plan was judged by the one rule table
    /// (``StackPlanner``); the renderer decides nothing, it only writes: every control
    /// injected (`cap_drop: [ALL]`, `no-new-privileges`, limits, restart policy, labels),
    /// bundle mounts read-only, named volumes under `volumes/<name>/`, ports on 127.0.0.1,
    /// one bridge network per stack on a bridge named by ``StackBridgeName`` (which the host
    /// firewall guard matches), without IP masquerade unless egress was approved. Every
    /// string is escaped (`$` → `$$`), so Compose interpolates nothing.
    public struct HardenedRenderer: Sendable {
        /// Label keys set on every container and the network.
        public static let labelName = "lol.stack.name"
        public static let labelVersion = "lol.stack.version"
        public static let labelDigest = "lol.stack.digest"
        public static let labelManaged = "lol.stack.managed"
        /// The network's key in the rendered file.
        public static let networkKey = "stack"
        static let masquerade = "com.docker.network.bridge.enable_ip_masquerade"
        /// The DNS server a stack without egress is given: TEST-NET-1 (RFC 5737), which routes
        /// nowhere. Docker's embedded resolver still answers the stack's own service names,
        /// and forwards every other name here, from the container's namespace, where the host
        /// firewall guard drops it; it never falls back to a resolver on the host's loopback,
        /// which would answer from the host's namespace and open a two-way channel out.
        public static let unroutableDNS = "192.0.2.1"
        static let bridgeNameOption = "com.docker.network.bridge.name"

        public init() {}

        /// Renders a plan.
        /// - Parameters:
        ///   - plan: The vetted plan.
        ///   - context: Where the bundle and the volumes are.
        /// - Returns: The document and the volume directories to create.
        public func render(_ plan: StackPlan, context: RenderContext) -> RenderedCompose {
            let name = plan.name
            let network = "stack-\(name)-net"
            let bundleRoot = context.bundleDirectory.standardizedFileURL
            let volumesRoot = context.volumesDirectory.standardizedFileURL
            var volumeDirectories: [URL] = []
            var volumeOwners: [String: (uid: UInt32, gid: UInt32)] = [:]
            var labels: [String: ConfigValue] = [
                Self.labelName: .string(name),
                Self.labelVersion: .string(plan.version.description),
                Self.labelDigest: .string(plan.bundleDigest ?? ""),
                Self.labelManaged: .string("true"),
            ]
            var services: [String: ConfigValue] = [:]
            for service in plan.services {
                var out: [String: ConfigValue] = [:]
                out["image"] = .string(service.image)
                if let command = service.command { out["command"] = Self.render(command) }
                if let entrypoint = service.entrypoint { out["entrypoint"] = Self.render(entrypoint) }
                if !service.environment.isEmpty { out["environment"] = .object(service.environment.mapValues { .string($0) }) }
                if let user = service.user { out["user"] = .string(user) }
                if let dir = service.workingDir { out["working_dir"] = .string(dir) }
                var serviceLabels = service.labels.mapValues { ConfigValue.string($0) }
                serviceLabels.merge(labels) { _, ours in ours }
                serviceLabels["lol.stack.service"] = .string(service.name)
                out["labels"] = .object(serviceLabels)
                if let health = service.healthcheck { out["healthcheck"] = Self.render(health) }
                if !service.dependsOn.isEmpty { out["depends_on"] = .array(service.dependsOn.map { .string($0) }) }
                out["cap_drop"] = .array([.string("ALL")])
                if !service.capabilities.isEmpty { out["cap_add"] = .array(service.capabilities.map { .string($0) }) }
                out["security_opt"] = .array([.string("no-new-privileges:true")])
                out["mem_limit"] = .int(Int(service.resources.memory))
                out["memswap_limit"] = .int(Int(service.resources.memory))
                out["cpus"] = .double(service.resources.cpus)
                out["pids_limit"] = .int(service.resources.pids)
                out["restart"] = .string(service.restart)
                out["init"] = .bool(service.initProcess)
                switch service.network {
                case .none:
                    out["network_mode"] = .string("none")
                case .service(let other):
                    out["network_mode"] = .string("service:\(other)")
                case .stack:
                    out["networks"] = .array([.string(Self.networkKey)])
                    if !plan.egress { out["dns"] = .array([.string(Self.unroutableDNS)]) }
                    if !service.ports.isEmpty {
                        out["ports"] = .array(service.ports.map { .string(Self.render($0)) })
                    }
                }
                var mounts: [ConfigValue] = []
                var tmpfs: [ConfigValue] = service.options["tmpfs"].map { $0.arrayValue ?? [$0] } ?? []
                for mount in service.mounts {
                    switch mount.kind {
                    case .bundle:
                        let path = mount.source.map { $0.isEmpty ? bundleRoot.path : bundleRoot.appendingPathComponent($0).path }
                            ?? bundleRoot.path
                        mounts.append(.string("\(path):\(mount.target):ro"))
                    case .volume, .anonymous:
                        let directory = volumesRoot.appendingPathComponent(mount.source ?? "_anonymous")
                        if !volumeDirectories.contains(directory) { volumeDirectories.append(directory) }
                        if let owner = Self.numericUser(service.user) { volumeOwners[directory.path] = owner }
                        mounts.append(.string("\(directory.path):\(mount.target)\(mount.readOnly ? ":ro" : "")"))
                    case .tmpfs:
                        tmpfs.append(.string(mount.target))
                    }
                }
                if !mounts.isEmpty { out["volumes"] = .array(mounts) }
                if !tmpfs.isEmpty { out["tmpfs"] = .array(tmpfs) }
                for (key, value) in service.options where key != "tmpfs" { out[key] = value }
                services[service.name] = Self.escaped(.object(out))
            }
            // The bridge gets a name the host firewall guard matches (``NetworkGuard``).
            var driverOptions: [String: ConfigValue] = [
                Self.bridgeNameOption: .string(StackBridgeName.forStack(name, egress: plan.egress)),
            ]
            if !plan.egress { driverOptions[Self.masquerade] = .string("false") }
            labels["lol.stack.network"] = .string("true")
            let networkDefinition: [String: ConfigValue] = [
                "name": .string(network), "driver": .string("bridge"), "labels": .object(labels),
                "driver_opts": .object(driverOptions),
            ]
            let document: ConfigValue = .object([
                "services": .object(services),
                "networks": .object([Self.networkKey: Self.escaped(.object(networkDefinition))]),
            ])
            return RenderedCompose(projectName: "stack-\(name)", networkName: network, document: document,
                                   volumeDirectories: volumeDirectories, volumeOwners: volumeOwners)
        }

        /// Every string of `value` escaped for Compose (`$` → `$$`); keys are never
        /// interpolated by Compose and stay as they are.
        static func escaped(_ value: ConfigValue) -> ConfigValue {
            switch value {
            case .string(let s): .string(ComposeInterpolation.escapedForCompose(s))
            case .array(let items): .array(items.map(escaped))
            case .object(let members): .object(members.mapValues(escaped))
            case .null, .bool, .int, .double: value
            }
        }

        static func render(_ command: ComposeCommand) -> ConfigValue {
            switch command {
            case .shell(let text): .string(text)
            case .exec(let parts): .array(parts.map { .string($0) })
            }
        }

        static func render(_ health: ComposeHealthcheck) -> ConfigValue {
            if health.disable { return .object(["disable": .bool(true)]) }
            var out: [String: ConfigValue] = ["test": .array(health.test.map { .string($0) })]
            if let v = health.interval { out["interval"] = .string(v) }
            if let v = health.timeout { out["timeout"] = .string(v) }
            if let v = health.retries { out["retries"] = .int(v) }
            if let v = health.startPeriod { out["start_period"] = .string(v) }
            if let v = health.startInterval { out["start_interval"] = .string(v) }
            return .object(out)
        }

        /// Always loopback, whatever the bundle asked for (DESIGN §5).
        static func render(_ port: StackPlan.Port) -> String {
            let target = port.count == 1 ? "\(port.containerPort)" : "\(port.containerPort)-\(port.containerPortEnd)"
            return "\(StackPlan.Port.hostAddress):\(port.hostPort ?? ""):\(target)/\(port.proto)"
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
    }
}
