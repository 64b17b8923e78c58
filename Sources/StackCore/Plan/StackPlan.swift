/// The one typed answer to "what will this stack run and be granted" (DESIGN §1, §5).
///
/// A plan is built in exactly one place, ``StackPlanner``, from the parsed manifest and
/// compose file under the ``IsolationPolicy``: what the policy rejects never becomes a plan
/// (*parse, don't validate*). Everything downstream reads it: the approval prompt and page
/// render it, an update diffs two of them (``diff(to:)``), the renderer turns it into a
/// compose file, and the monitor compares running containers against it.
///
/// A plan holds no host path: mounts name a path inside the bundle or a volume under
/// `volumes/<stack>/`, and the renderer places them. It does hold environment values
/// (the renderer needs them); ``Service/environmentKeys`` is what people are shown.
public struct StackPlan: Sendable, Hashable, Codable {
    /// The stack's name.
    public var name: String
    /// The stack's version.
    public var version: SemanticVersion
    /// The runtime flavor.
    public var flavor: String
    /// A display title.
    public var title: String?
    /// The publisher's display name.
    public var publisher: String?
    /// SHA-256 of the bundle file, once verified.
    public var bundleDigest: String?
    /// The key id of the publisher key that signed the bundle, once verified.
    public var publisherKeyID: String?
    /// The compose file's path inside the bundle.
    public var composePath: String
    /// The services, sorted by name.
    public var services: [Service]
    /// Whether the stack gets a route out of the machine (IP masquerade on its network).
    public var egress: Bool
    /// Named volumes the services mount, sorted: each is `volumes/<stack>/<volume>/`.
    public var volumes: [String]
    /// The manifest's labels for published ports (which one is the UI).
    public var portLabels: [Manifest.Port]
    /// The values the stack's parameters resolved to, by name (what was interpolated).
    public var parameters: [String: String]
    /// The findings that did not reject the bundle (warnings, information).
    public var findings: [Finding]

    /// Creates a plan. Use ``StackPlanner`` to build one from a bundle.
    public init(name: String, version: SemanticVersion, flavor: String = "compose", title: String? = nil,
                publisher: String? = nil, bundleDigest: String? = nil, publisherKeyID: String? = nil,
                composePath: String = Manifest.defaultComposePath, services: [Service] = [], egress: Bool = false,
                volumes: [String] = [], portLabels: [Manifest.Port] = [], parameters: [String: String] = [:],
                findings: [Finding] = []) {
        self.name = name
        self.version = version
        self.flavor = flavor
        self.title = title
        self.publisher = publisher
        self.bundleDigest = bundleDigest
        self.publisherKeyID = publisherKeyID
        self.composePath = composePath
        self.services = services
        self.egress = egress
        self.volumes = volumes
        self.portLabels = portLabels
        self.parameters = parameters
        self.findings = findings
    }

    /// The service named `name`.
    /// - Parameter name: A service name.
    /// - Returns: The service, or `nil`.
    public func service(_ name: String) -> Service? { services.first { $0.name == name } }

    /// Every published port of every service, in service order.
    public var publishedPorts: [(service: String, port: Port)] {
        services.flatMap { service in service.ports.map { (service.name, $0) } }
    }

    /// Every extra capability any service is granted, sorted.
    public var capabilities: [String] { Array(Set(services.flatMap(\.capabilities))).sorted() }

    /// One service as it will run.
    public struct Service: Sendable, Hashable, Codable {
        /// The service name.
        public var name: String
        /// The image reference as written (`web:1`, `web@sha256:…`).
        public var image: String
        /// The pinned digest (`sha256:…`) when the reference has one.
        public var imageDigest: String? {
            guard let at = image.range(of: "@sha256:") else { return nil }
            return String(image[image.index(after: at.lowerBound)...])
        }
        /// The command, when the bundle sets one.
        public var command: ComposeCommand?
        /// The entrypoint, when the bundle sets one.
        public var entrypoint: ComposeCommand?
        /// The user (`1000:1000`, `nobody`); `nil` means the image's default.
        public var user: String?
        /// The working directory, when set.
        public var workingDir: String?
        /// The environment, env files merged; values are final text.
        public var environment: [String: String]
        /// The environment's names, sorted: what approval shows.
        public var environmentKeys: [String] { environment.keys.sorted() }
        /// Published ports, always on 127.0.0.1.
        public var ports: [Port]
        /// Mounts.
        public var mounts: [Mount]
        /// Capabilities added back after dropping all, sorted, without `CAP_`.
        public var capabilities: [String]
        /// Resource limits.
        public var resources: Resources
        /// The restart policy (`on-failure:5`).
        public var restart: String
        /// Whether an init process reaps children and forwards signals (`init: true`).
        public var initProcess: Bool
        /// The healthcheck, when the compose file has one.
        public var healthcheck: ComposeHealthcheck?
        /// The bundle's own labels (never in the `lol.stack.` namespace).
        public var labels: [String: String]
        /// Services this one starts after.
        public var dependsOn: [String]
        /// Which network the service joins.
        public var network: Network
        /// Further settings that were judged harmless and are passed on (`tmpfs`,
        /// `stop_signal`, `ulimits` within the policy, …), by compose key.
        public var options: [String: ConfigValue]

        public init(name: String, image: String, command: ComposeCommand? = nil, entrypoint: ComposeCommand? = nil,
                    user: String? = nil, workingDir: String? = nil, environment: [String: String] = [:],
                    ports: [Port] = [], mounts: [Mount] = [], capabilities: [String] = [],
                    resources: Resources, restart: String = "on-failure:5", initProcess: Bool = true,
                    healthcheck: ComposeHealthcheck? = nil, labels: [String: String] = [:], dependsOn: [String] = [],
                    network: Network = .stack, options: [String: ConfigValue] = [:]) {
            self.name = name
            self.image = image
            self.command = command
            self.entrypoint = entrypoint
            self.user = user
            self.workingDir = workingDir
            self.environment = environment
            self.ports = ports
            self.mounts = mounts
            self.capabilities = capabilities
            self.resources = resources
            self.restart = restart
            self.initProcess = initProcess
            self.healthcheck = healthcheck
            self.labels = labels
            self.dependsOn = dependsOn
            self.network = network
            self.options = options
        }
    }

    /// The network a service joins. Encoded as `stack`, `none` or `service:<name>`.
    public enum Network: Sendable, Hashable, Codable {
        /// The stack's own bridge network.
        case stack
        /// No network at all.
        case none
        /// The network namespace of another service of the stack.
        case service(String)

        public init(from decoder: any Decoder) throws {
            let text = try decoder.singleValueContainer().decode(String.self)
            switch text {
            case "stack": self = .stack
            case "none": self = .none
            case let other where other.hasPrefix("service:"): self = .service(String(other.dropFirst("service:".count)))
            default:
                throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath,
                                                        debugDescription: "expected stack, none or service:NAME"))
            }
        }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.singleValueContainer()
            switch self {
            case .stack: try container.encode("stack")
            case .none: try container.encode("none")
            case .service(let other): try container.encode("service:\(other)")
            }
        }
    }

    /// A published port. The host address is always 127.0.0.1.
    public struct Port: Sendable, Hashable, Codable {
        /// The host address every port is bound to.
        public static let hostAddress = "127.0.0.1"
        /// The host port or range (`8080`, `8000-8010`); `nil` lets the engine choose.
        public var hostPort: String?
        /// The container port (the first of a range).
        public var containerPort: Int
        /// The last container port of a range; equal to ``containerPort`` otherwise.
        public var containerPortEnd: Int
        /// `tcp`, `udp` or `sctp`.
        public var proto: String

        public init(hostPort: String?, containerPort: Int, containerPortEnd: Int? = nil, proto: String = "tcp") {
            self.hostPort = hostPort
            self.containerPort = containerPort
            self.containerPortEnd = containerPortEnd ?? containerPort
            self.proto = proto
        }

        enum CodingKeys: String, CodingKey {
            case hostIP, hostPort, containerPort, containerPortEnd, proto
        }

        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            hostPort = try container.decodeIfPresent(String.self, forKey: .hostPort)
            containerPort = try container.decode(Int.self, forKey: .containerPort)
            containerPortEnd = try container.decode(Int.self, forKey: .containerPortEnd)
            proto = try container.decode(String.self, forKey: .proto)
        }

        /// Writes the host address too (always 127.0.0.1), so a reader need not know it.
        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(Self.hostAddress, forKey: .hostIP)
            try container.encodeIfPresent(hostPort, forKey: .hostPort)
            try container.encode(containerPort, forKey: .containerPort)
            try container.encode(containerPortEnd, forKey: .containerPortEnd)
            try container.encode(proto, forKey: .proto)
        }

        /// How many host ports it occupies (an ephemeral port counts once per container port).
        public var count: Int { containerPortEnd - containerPort + 1 }

        /// `127.0.0.1:8080->80/tcp`.
        public var description: String {
            let target = count == 1 ? "\(containerPort)" : "\(containerPort)-\(containerPortEnd)"
            return "\(Self.hostAddress):\(hostPort ?? "(any)")->\(target)/\(proto)"
        }
    }

    /// A mount, by where its source lives.
    public struct Mount: Sendable, Hashable, Codable {
        /// Where a mount's source lives.
        public enum Kind: String, Sendable, Hashable, Codable {
            /// A path inside the unpacked bundle; always read-only.
            case bundle
            /// A named volume: `volumes/<stack>/<volume>/`.
            case volume
            /// An anonymous volume: `volumes/<stack>/_anonymous-<service>-<index>/`.
            case anonymous
            /// A tmpfs in memory.
            case tmpfs
        }
        public var kind: Kind
        /// The bundle-relative path (``Kind/bundle``), the volume's name (``Kind/volume``,
        /// ``Kind/anonymous``), or `nil` (``Kind/tmpfs``).
        public var source: String?
        /// The path inside the container.
        public var target: String
        /// Whether the container may only read it.
        public var readOnly: Bool

        public init(kind: Kind, source: String?, target: String, readOnly: Bool) {
            self.kind = kind
            self.source = source
            self.target = target
            self.readOnly = readOnly
        }

        /// `volume data -> /var/lib/data (read-write)`.
        public var description: String {
            let from = switch kind {
            case .bundle: "bundle file \(source ?? "")"
            case .volume: "volume \(source ?? "")"
            case .anonymous: "private volume"
            case .tmpfs: "tmpfs"
            }
            return "\(from) -> \(target) (\(readOnly ? "read-only" : "read-write"))"
        }
    }

    /// A service's resource limits.
    public struct Resources: Sendable, Hashable, Codable {
        /// CPU, in cores.
        public var cpus: Double
        /// Memory (and memory + swap), in bytes.
        public var memory: Int64
        /// Process count.
        public var pids: Int

        public init(cpus: Double, memory: Int64, pids: Int) {
            self.cpus = cpus
            self.memory = memory
            self.pids = pids
        }
    }
}
