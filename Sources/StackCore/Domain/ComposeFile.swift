/// A parsed Docker Compose document: the subset Stack Desktop understands as typed
/// fields, with every other key kept in `other` so that policy can judge it and nothing is
/// silently dropped. Every value was interpolated (``ComposeInterpolation``) before it was
/// parsed, so strings hold final text: a literal `$` is `$`, and no `${…}` is left.
public struct ComposeFile: Sendable, Hashable {
    /// Services by name.
    public var services: [String: ComposeService]
    /// Top-level `networks:` definitions by name (null definitions as ``ConfigValue/null``).
    public var networks: [String: ConfigValue]
    /// Top-level `volumes:` definitions by name.
    public var volumes: [String: ConfigValue]
    /// Top-level `configs:` definitions by name.
    public var configs: [String: ConfigValue]
    /// Top-level `secrets:` definitions by name.
    public var secrets: [String: ConfigValue]
    /// Top-level `name:`, if any.
    public var name: String?
    /// Every other top-level key (`version`, `include`, `x-…`), verbatim.
    public var other: [String: ConfigValue]

    public init(services: [String: ComposeService] = [:], networks: [String: ConfigValue] = [:],
                volumes: [String: ConfigValue] = [:], configs: [String: ConfigValue] = [:],
                secrets: [String: ConfigValue] = [:], name: String? = nil,
                other: [String: ConfigValue] = [:]) {
        self.services = services
        self.networks = networks
        self.volumes = volumes
        self.configs = configs
        self.secrets = secrets
        self.name = name
        self.other = other
    }
}

/// A command or entrypoint: compose's string form (run through a shell by the image) or
/// its list form (exec).
public enum ComposeCommand: Sendable, Hashable, Codable {
    case shell(String)
    case exec([String])

    /// Reads compose's own forms: a string (shell) or a list of strings (exec).
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let words = try? container.decode([String].self) {
            self = .exec(words)
        } else {
            self = .shell(try container.decode(String.self))
        }
    }

    /// Writes compose's own forms: a string (shell) or a list of strings (exec).
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .shell(let text): try container.encode(text)
        case .exec(let words): try container.encode(words)
        }
    }
}

/// One compose service.
public struct ComposeService: Sendable, Hashable {
    public var image: String?
    public var command: ComposeCommand?
    public var entrypoint: ComposeCommand?
    /// Environment from the list (`A=b`, `A`) or map form; `nil` values are unset names
    /// that compose would take from the host.
    public var environment: [String: String?]
    public var ports: [ComposePort]
    public var volumes: [ComposeMount]
    /// Network names, from the list or the map form.
    public var networks: [String]
    /// Service names, from the list or the map form.
    public var dependsOn: [String]
    public var healthcheck: ComposeHealthcheck?
    public var restart: String?
    public var user: String?
    public var workingDir: String?
    public var labels: [String: String]
    public var capAdd: [String]
    public var capDrop: [String]
    public var securityOpt: [String]
    public var privileged: Bool?
    public var networkMode: String?
    public var pid: String?
    public var ipc: String?
    public var uts: String?
    public var usernsMode: String?
    public var cgroup: String?
    public var cgroupParent: String?
    public var runtime: String?
    public var devices: [String]
    public var deviceCgroupRules: [String]
    public var sysctls: [String: String]
    public var oomKillDisable: Bool?
    /// `mem_limit`, in bytes.
    public var memLimit: Int64?
    /// `memswap_limit`, in bytes.
    public var memswapLimit: Int64?
    public var cpus: Double?
    public var pidsLimit: Int?
    /// Every other key (`build`, `extends`, `env_file`, `configs`, `secrets`, `gpus`,
    /// `deploy`, `use_api_socket`, `provider`, …), verbatim.
    public var other: [String: ConfigValue]

    public init(image: String? = nil, command: ComposeCommand? = nil, entrypoint: ComposeCommand? = nil,
                environment: [String: String?] = [:], ports: [ComposePort] = [],
                volumes: [ComposeMount] = [], networks: [String] = [], dependsOn: [String] = [],
                healthcheck: ComposeHealthcheck? = nil, restart: String? = nil, user: String? = nil,
                workingDir: String? = nil, labels: [String: String] = [:], capAdd: [String] = [],
                capDrop: [String] = [], securityOpt: [String] = [], privileged: Bool? = nil,
                networkMode: String? = nil, pid: String? = nil, ipc: String? = nil, uts: String? = nil,
                usernsMode: String? = nil, cgroup: String? = nil, cgroupParent: String? = nil,
                runtime: String? = nil, devices: [String] = [], deviceCgroupRules: [String] = [],
                sysctls: [String: String] = [:], oomKillDisable: Bool? = nil, memLimit: Int64? = nil,
                memswapLimit: Int64? = nil, cpus: Double? = nil, pidsLimit: Int? = nil,
                other: [String: ConfigValue] = [:]) {
        self.image = image
        self.command = command
        self.entrypoint = entrypoint
        self.environment = environment
        self.ports = ports
        self.volumes = volumes
        self.networks = networks
        self.dependsOn = dependsOn
        self.healthcheck = healthcheck
        self.restart = restart
        self.user = user
        self.workingDir = workingDir
        self.labels = labels
        self.capAdd = capAdd
        self.capDrop = capDrop
        self.securityOpt = securityOpt
        self.privileged = privileged
        self.networkMode = networkMode
        self.pid = pid
        self.ipc = ipc
        self.uts = uts
        self.usernsMode = usernsMode
        self.cgroup = cgroup
        self.cgroupParent = cgroupParent
        self.runtime = runtime
        self.devices = devices
        self.deviceCgroupRules = deviceCgroupRules
        self.sysctls = sysctls
        self.oomKillDisable = oomKillDisable
        self.memLimit = memLimit
        self.memswapLimit = memswapLimit
        self.cpus = cpus
        self.pidsLimit = pidsLimit
        self.other = other
    }
}

/// A published port, from the short (`"127.0.0.1:8080:80/tcp"`) or long syntax.
public struct ComposePort: Sendable, Hashable {
    /// The container port (or the first of a range).
    public var target: Int
    /// The last container port of a range (`8000-8010`); equal to `target` otherwise.
    public var targetEnd: Int
    /// The host port or range as written (`8080`, `8080-8090`), `nil` for an ephemeral one.
    public var published: String?
    /// The host address, if given.
    public var hostIP: String?
    /// `tcp` (default) or `udp`.
    public var proto: String
    public init(target: Int, targetEnd: Int? = nil, published: String? = nil, hostIP: String? = nil,
                proto: String = "tcp") {
        self.target = target
        self.targetEnd = targetEnd ?? target
        self.published = published
        self.hostIP = hostIP
        self.proto = proto
    }
}

/// A service mount, from the short (`./conf:/etc/app:ro`, `data:/var/lib`) or long syntax.
public struct ComposeMount: Sendable, Hashable {
    /// The mount kinds compose knows.
    public enum Kind: String, Sendable, Hashable, CaseIterable {
        case bind, volume, tmpfs, npipe, cluster, image
    }
    public var type: Kind
    /// The host path (bind), volume name (volume) or `nil` (anonymous volume, tmpfs).
    public var source: String?
    /// The path inside the container.
    public var target: String
    public var readOnly: Bool
    /// Every other long-syntax key (`bind`, `volume`, `tmpfs`, `consistency`), verbatim.
    public var options: [String: ConfigValue]
    public init(type: Kind, source: String?, target: String, readOnly: Bool = false,
                options: [String: ConfigValue] = [:]) {
        self.type = type
        self.source = source
        self.target = target
        self.readOnly = readOnly
        self.options = options
    }
}

/// A service healthcheck.
public struct ComposeHealthcheck: Sendable, Hashable, Codable {
    /// `test`, in list form (`["CMD", …]`, `["CMD-SHELL", …]`, `["NONE"]`); a string form
    /// becomes `["CMD-SHELL", string]`.
    public var test: [String]
    public var interval: String?
    public var timeout: String?
    public var retries: Int?
    public var startPeriod: String?
    /// `start_interval`: the probe interval during the start period.
    public var startInterval: String?
    public var disable: Bool
    public init(test: [String] = [], interval: String? = nil, timeout: String? = nil,
                retries: Int? = nil, startPeriod: String? = nil, startInterval: String? = nil,
                disable: Bool = false) {
        self.startInterval = startInterval
        self.test = test
        self.interval = interval
        self.timeout = timeout
        self.retries = retries
        self.startPeriod = startPeriod
        self.disable = disable
    }
}
