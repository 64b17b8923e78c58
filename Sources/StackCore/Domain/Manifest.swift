/// The decoded and validated `stack.yaml` of a bundle (DESIGN §4.4).
public struct Manifest: Sendable, Hashable, Codable {
    /// The stack's name: `[a-z0-9][a-z0-9-]{0,62}`.
    public var name: String
    /// The stack's version.
    public var version: SemanticVersion
    /// The runtime flavor (`compose`), which selects the runtime adapter.
    public var flavor: String
    /// A display title.
    public var title: String?
    /// A short description.
    public var description: String?
    /// The publisher's display name (the signature, not this text, decides trust).
    public var publisher: String?
    /// The compose file's path inside the bundle; `compose.yaml` by default.
    public var compose: String
    /// Per-service resource defaults and requests.
    public var resources: Resources
    /// Network wishes.
    public var network: Network
    /// Labels for the compose file's published ports.
    public var ports: [Port]
    /// Named data directories, bound from `volumes/<name>/<volume>/`.
    public var volumes: [String]
    /// Extra Linux capabilities requested; an allowlist decides.
    public var capabilities: [String]
    /// Typed parameters the user may set.
    public var parameters: [Parameter]

    /// Creates a manifest; validation happens in the decoder.
    public init(name: String, version: SemanticVersion, flavor: String = "compose",
                title: String? = nil, description: String? = nil, publisher: String? = nil,
                compose: String = Manifest.defaultComposePath, resources: Resources = .init(),
                network: Network = .init(), ports: [Port] = [], volumes: [String] = [],
                capabilities: [String] = [], parameters: [Parameter] = []) {
        self.name = name
        self.version = version
        self.flavor = flavor
        self.title = title
        self.description = description
        self.publisher = publisher
        self.compose = compose
        self.resources = resources
        self.network = network
        self.ports = ports
        self.volumes = volumes
        self.capabilities = capabilities
        self.parameters = parameters
    }

    /// The manifest's file name at the bundle root.
    public static let fileName = "stack.yaml"
    /// The compose path used when the manifest names none.
    public static let defaultComposePath = "compose.yaml"

    /// Per-service resource requests.
    public struct Resources: Sendable, Hashable, Codable {
        /// CPU share, in cores.
        public var cpus: Double?
        /// Memory, in bytes.
        public var memory: Int64?
        /// Maximum number of processes.
        public var pids: Int?
        public init(cpus: Double? = nil, memory: Int64? = nil, pids: Int? = nil) {
            self.cpus = cpus
            self.memory = memory
            self.pids = pids
        }
    }

    /// Network wishes.
    public struct Network: Sendable, Hashable, Codable {
        /// Whether the stack asks for a route out; off unless approved.
        public var egress: Bool
        public init(egress: Bool = false) { self.egress = egress }
    }

    /// A label for one published port.
    public struct Port: Sendable, Hashable, Codable {
        /// The compose service.
        public var service: String
        /// The container port.
        public var port: Int
        /// A display label.
        public var label: String?
        /// Whether this port is the stack's UI URL.
        public var open: Bool
        public init(service: String, port: Int, label: String? = nil, open: Bool = false) {
            self.service = service
            self.port = port
            self.label = label
            self.open = open
        }
    }

    /// A typed parameter.
    public struct Parameter: Sendable, Hashable, Codable {
        /// The kinds a parameter can have.
        public enum Kind: String, Sendable, Hashable, Codable, CaseIterable {
            case string, int, bool, secret
        }
        /// Name: `[A-Za-z_][A-Za-z0-9_]*`, the compose variable grammar.
        public var name: String
        public var type: Kind
        public var defaultValue: String?
        public var required: Bool
        public var description: String?
        public init(name: String, type: Kind = .string, defaultValue: String? = nil,
                    required: Bool = false, description: String? = nil) {
            self.name = name
            self.type = type
            self.defaultValue = defaultValue
            self.required = required
            self.description = description
        }
    }
}

extension Manifest {
    /// Whether `name` is a valid stack name: `[a-z0-9][a-z0-9-]{0,62}`.
    /// - Parameter name: The candidate.
    /// - Returns: `true` when valid.
    public static func isValidName(_ name: String) -> Bool {
        let bytes = Array(name.utf8)
        guard (1...63).contains(bytes.count) else { return false }
        func ok(_ b: UInt8, first: Bool) -> Bool {
            (b >= 0x61 && b <= 0x7A) || (b >= 0x30 && b <= 0x39) || (!first && b == 0x2D)
        }
        return bytes.enumerated().allSatisfy { ok($1, first: $0 == 0) }
    }

    /// Whether `name` is a valid volume name, as Compose writes them:
    /// `[a-zA-Z0-9][a-zA-Z0-9_.-]{0,62}` (so never `.` or `..`). It names a directory under
    /// `volumes/<stack>/`.
    /// - Parameter name: The candidate.
    /// - Returns: `true` when valid.
    public static func isValidVolumeName(_ name: String) -> Bool {
        let bytes = Array(name.utf8)
        guard (1...63).contains(bytes.count) else { return false }
        func alnum(_ b: UInt8) -> Bool {
            (b >= 0x61 && b <= 0x7A) || (b >= 0x41 && b <= 0x5A) || (b >= 0x30 && b <= 0x39)
        }
        return alnum(bytes[0]) && bytes.allSatisfy { alnum($0) || $0 == 0x5F || $0 == 0x2E || $0 == 0x2D }
    }
}
