/// The isolation settings the scan and the renderer enforce (DESIGN §5): which extra
/// capabilities a stack may ask for, and the resource ceilings and defaults.
public struct IsolationPolicy: Sendable, Hashable, Codable {
    /// Capabilities a service may add back after `cap_drop: [ALL]`. Docker's defaults minus
    /// the risky ones (`NET_RAW`, `MKNOD`, `AUDIT_WRITE`, `SETFCAP`).
    public var allowedCapabilities: [String]
    /// Largest CPU request per service, in cores.
    public var maxCPUs: Double
    /// Largest memory request per service, in bytes.
    public var maxMemory: Int64
    /// Largest pids request per service.
    public var maxPids: Int
    /// CPU given to a service that asks for none.
    public var defaultCPUs: Double
    /// Memory given to a service that asks for none, in bytes.
    public var defaultMemory: Int64
    /// Pids limit given to a service that asks for none.
    public var defaultPids: Int
    /// Whether `gpus` may be requested.
    public var allowGPUs: Bool
    /// Whether stacks start only behind the host firewall guard (``NetworkGuard``).
    public var hostFirewall: HostFirewallMode
    /// Most host ports one stack may publish (a range counts each port): the engine starts
    /// one `docker-proxy` per port, outside the stack's own limits.
    public var maxPublishedPorts: Int

    public static let `default` = IsolationPolicy()

    public init(allowedCapabilities: [String] = ["CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL",
                                                 "NET_BIND_SERVICE", "SETGID", "SETPCAP", "SETUID", "SYS_CHROOT"],
                maxCPUs: Double = 4, maxMemory: Int64 = 4 << 30, maxPids: Int = 4_096,
                defaultCPUs: Double = 1, defaultMemory: Int64 = 512 << 20, defaultPids: Int = 256,
                allowGPUs: Bool = false, hostFirewall: HostFirewallMode = .required, maxPublishedPorts: Int = 32) {
        self.maxPublishedPorts = maxPublishedPorts
        self.allowedCapabilities = allowedCapabilities
        self.maxCPUs = maxCPUs
        self.maxMemory = maxMemory
        self.maxPids = maxPids
        self.defaultCPUs = defaultCPUs
        self.defaultMemory = defaultMemory
        self.defaultPids = defaultPids
        self.allowGPUs = allowGPUs
        self.hostFirewall = hostFirewall
    }
}
