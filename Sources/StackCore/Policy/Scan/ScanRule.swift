

/// One rule of the content scan: its stable code, the severity its findings carry and a
/// one-line summary. ``ComposePolicyScanner/rules`` lists them all, for documentation,
/// `stackctl` help and tests.
public struct ScanRule: Sendable, Hashable {
    /// The stable dotted code that findings of this rule carry.
    public let code: String
    /// The severity of this rule's findings.
    public let severity: Finding.Severity
    /// What the rule looks for.
    public let summary: String

    /// Creates a rule description.
    /// - Parameters:
    ///   - code: The stable dotted code.
    ///   - severity: The severity of its findings.
    ///   - summary: What it looks for.
    public init(code: String, severity: Finding.Severity, summary: String) {
        self.code = code
        self.severity = severity
        self.summary = summary
    }
}

extension ComposePolicyScanner {
    /// The stable finding codes of the content scan. Codes never change meaning; new rules
    /// get new codes.
    public enum Code {
        /// Critical: privileged: true, or a lifecycle hook (post_start/pre_stop) that runs privileged.
        public static let privileged = "policy.privileged"
        /// Critical: cap_add (or stack.yaml capabilities) outside the allowlist, or ALL; CAP_ prefix and case are ignored.
        public static let capability = "policy.capability"
        /// Critical: host or another container's namespaces: network_mode host/container:, pid/ipc/uts/userns_mode/cgroup host (or unsupported), ipc/pid container:, volumes_from container:.
        public static let hostNamespace = "policy.host_namespace"
        /// Critical: network_mode other than none, bridge or service:<a service of this stack> (a named network).
        public static let networkMode = "policy.network_mode"
        /// Critical: devices, device_cgroup_rules, or deploy device reservations that are not GPUs.
        public static let devices = "policy.devices"
        /// Critical: gpus or GPU device reservations, unless the policy allows GPUs.
        public static let gpus = "policy.gpus"
        /// Critical: any sysctls.
        public static let sysctls = "policy.sysctls"
        /// Critical: cgroup_parent.
        public static let cgroupParent = "policy.cgroup_parent"
        /// Critical: runtime (any OCI runtime choice).
        public static let runtime = "policy.runtime"
        /// Critical: oom_kill_disable: true, or a negative oom_score_adj.
        public static let oomKillDisable = "policy.oom_kill_disable"
        /// Critical: security_opt other than no-new-privileges[:true] (seccomp, apparmor, label, systempaths, no-new-privileges:false …).
        public static let securityOpt = "policy.security_opt"
        /// Critical: a mount (bind, npipe or volume driver_opts device) of a container-engine socket (docker.sock, containerd.sock, podman.sock …).
        public static let dockerSocket = "policy.docker_socket"
        /// Critical: a bind of an absolute, ~ or drive-letter host path (judged after interpolation), a host named pipe, credential_spec.
        public static let hostPath = "policy.host_path"
        /// Critical: a relative bind (or volume subpath) whose .. climbs out of the bundle.
        public static let bindEscape = "policy.bind_escape"
        /// Critical: a relative bind naming nothing in the bundle (compose would create a directory).
        public static let bindMissing = "policy.bind_missing"
        /// Critical: a mount of type cluster or image.
        public static let mountType = "policy.mount_type"
        /// Critical: a named volume mounted by a service but not listed in stack.yaml volumes.
        public static let volumeUndeclared = "policy.volume_undeclared"
        /// Critical: a top-level volume with a driver other than local, or any driver_opts.
        public static let volumeDriver = "policy.volume_driver"
        /// Critical: a network driver other than bridge, driver_opts, or a custom IPAM driver/options.
        public static let networkDriver = "policy.network_driver"
        /// Critical: external networks, volumes, configs or secrets; a custom network name; links to services outside the stack; external_links.
        public static let external = "policy.external"
        /// Critical: build (images are pulled, never built).
        public static let build = "policy.build"
        /// Critical: top-level include.
        public static let include = "policy.include"
        /// Critical: extends (with a file, or within the file: not applied, so refused).
        public static let extendsFile = "policy.extends_file"
        /// Critical: env_file that is not a file of the bundle (absolute, .., missing).
        public static let envFile = "policy.env_file"
        /// Critical: label_file that is not a file of the bundle.
        public static let labelFile = "policy.label_file"
        /// Critical: a config whose file is not in the bundle, or that is taken from the host environment.
        public static let configs = "policy.configs"
        /// Critical: a secret whose file is not in the bundle, or that is taken from the host environment.
        public static let secrets = "policy.secrets"
        /// Critical: use_api_socket.
        public static let apiSocket = "policy.api_socket"
        /// Critical: provider services and models (host-side plugins).
        public static let provider = "policy.provider"
        /// Critical: $VAR / ${VAR} naming anything but a stack.yaml parameter, a malformed ${…}, or an environment entry taken from the host.
        public static let interpolation = "policy.interpolation"
        /// Critical: more published host ports than the policy allows (each runs a docker-proxy outside the stack's limits).
        public static let ports = "policy.ports"
        /// Critical: ulimits other than nofile, or nproc above the pids limit.
        public static let ulimits = "policy.ulimits"
        /// Critical: a mount target that is not an absolute container path, or an invalid volume name.
        public static let mount = "policy.mount"
        /// Critical: cpus, memory or pids above the policy caps, unlimited (0/-1) or memory below 6 MiB, cpu_rt_runtime/cpu_rt_period.
        public static let resources = "policy.resources"
        /// Critical: a stack.yaml port naming a service the compose file does not have.
        public static let manifestPort = "policy.manifest_port"
        /// Critical: a service without an image.
        public static let noImage = "policy.no_image"
        /// Critical: storage_opt.
        public static let storageOpt = "policy.storage_opt"
        /// Critical: a service label in the lol.stack. namespace that Stack Desktop writes and trusts.
        public static let reservedLabel = "policy.reserved_label"
        /// Warning: an image not pinned by @sha256: digest.
        public static let unpinnedImage = "scan.unpinned_image"
        /// Warning: no user (the image's default, often root), or user root/0.
        public static let runsAsRoot = "scan.runs_as_root"
        /// Warning: no healthcheck in the compose file, or one that is disabled.
        public static let noHealthcheck = "scan.no_healthcheck"
        /// Warning: a resource request above half of the policy cap.
        public static let largeResources = "scan.large_resources"
        /// Warning: a port with a non-loopback host_ip; it is published on 127.0.0.1 instead.
        public static let portRebound = "scan.port_rebound"
        /// Warning: a stack.yaml port that its service does not publish.
        public static let portUnpublished = "scan.port_unpublished"
        /// Warning: network_mode bridge; the service joins the stack's own network instead.
        public static let networkReplaced = "scan.network_replaced"
        /// Warning: deploy reservations above the cap; reservations are not used.
        public static let reservationIgnored = "scan.reservation_ignored"
        /// Warning: a logging driver other than json-file, local or none.
        public static let loggingDriver = "scan.logging_driver"
        /// Warning: a compose key the rule table does not know (not judged, and not passed on).
        public static let unknownKey = "scan.unknown_key"
        /// Warning: stack.yaml asks for network egress.
        public static let egressRequested = "scan.egress_requested"
        /// Warning: macOS metadata entries (._*, __MACOSX/, .DS_Store).
        public static let appleDouble = "scan.appledouble"
        /// Warning: a file with an execute bit or a native-binary name (.exe, .dll, .so, .dylib …).
        public static let executable = "scan.executable"
    }

    /// Every rule of the scan, critical ones first, in the order of DESIGN §5.
    public static let rules: [ScanRule] = [
        ScanRule(code: Code.privileged, severity: .critical,
                 summary: "privileged: true, or a lifecycle hook (post_start/pre_stop) that runs privileged"),
        ScanRule(code: Code.capability, severity: .critical,
                 summary: "cap_add (or stack.yaml capabilities) outside the allowlist, or ALL; CAP_ prefix and case are ignored"),
        ScanRule(code: Code.hostNamespace, severity: .critical,
                 summary: "host or another container's namespaces: network_mode host/container:, pid/ipc/uts/userns_mode/cgroup host (or unsupported), ipc/pid container:, volumes_from container:"),
        ScanRule(code: Code.networkMode, severity: .critical,
                 summary: "network_mode other than none, bridge or service:<a service of this stack> (a named network)"),
        ScanRule(code: Code.devices, severity: .critical,
                 summary: "devices, device_cgroup_rules, or deploy device reservations that are not GPUs"),
        ScanRule(code: Code.gpus, severity: .critical,
                 summary: "gpus or GPU device reservations, unless the policy allows GPUs"),
        ScanRule(code: Code.sysctls, severity: .critical, summary: "any sysctls"),
        ScanRule(code: Code.cgroupParent, severity: .critical, summary: "cgroup_parent"),
        ScanRule(code: Code.runtime, severity: .critical, summary: "runtime (any OCI runtime choice)"),
        ScanRule(code: Code.oomKillDisable, severity: .critical,
                 summary: "oom_kill_disable: true, or a negative oom_score_adj"),
        ScanRule(code: Code.securityOpt, severity: .critical,
                 summary: "security_opt other than no-new-privileges[:true] (seccomp, apparmor, label, systempaths, no-new-privileges:false …)"),
        ScanRule(code: Code.dockerSocket, severity: .critical,
                 summary: "a mount (bind, npipe or volume driver_opts device) of a container-engine socket (docker.sock, containerd.sock, podman.sock …)"),
        ScanRule(code: Code.hostPath, severity: .critical,
                 summary: "a bind of an absolute, ~ or drive-letter host path (judged after interpolation), a host named pipe, credential_spec"),
        ScanRule(code: Code.bindEscape, severity: .critical,
                 summary: "a relative bind (or volume subpath) whose .. climbs out of the bundle"),
        ScanRule(code: Code.bindMissing, severity: .critical,
                 summary: "a relative bind naming nothing in the bundle (compose would create a directory)"),
        ScanRule(code: Code.mountType, severity: .critical, summary: "a mount of type cluster or image"),
        ScanRule(code: Code.volumeUndeclared, severity: .critical,
                 summary: "a named volume mounted by a service but not listed in stack.yaml volumes"),
        ScanRule(code: Code.volumeDriver, severity: .critical,
                 summary: "a top-level volume with a driver other than local, or any driver_opts"),
        ScanRule(code: Code.networkDriver, severity: .critical,
                 summary: "a network driver other than bridge, driver_opts, or a custom IPAM driver/options"),
        ScanRule(code: Code.external, severity: .critical,
                 summary: "external networks, volumes, configs or secrets; a custom network name; links to services outside the stack; external_links"),
        ScanRule(code: Code.build, severity: .critical, summary: "build (images are pulled, never built)"),
        ScanRule(code: Code.include, severity: .critical, summary: "top-level include"),
        ScanRule(code: Code.extendsFile, severity: .critical, summary: "extends (with a file, or within the file: not applied, so refused)"),
        ScanRule(code: Code.envFile, severity: .critical,
                 summary: "env_file that is not a file of the bundle (absolute, .., missing)"),
        ScanRule(code: Code.labelFile, severity: .critical,
                 summary: "label_file that is not a file of the bundle"),
        ScanRule(code: Code.configs, severity: .critical,
                 summary: "a config whose file is not in the bundle, or that is taken from the host environment"),
        ScanRule(code: Code.secrets, severity: .critical,
                 summary: "a secret whose file is not in the bundle, or that is taken from the host environment"),
        ScanRule(code: Code.apiSocket, severity: .critical, summary: "use_api_socket"),
        ScanRule(code: Code.provider, severity: .critical, summary: "provider services and models (host-side plugins)"),
        ScanRule(code: Code.interpolation, severity: .critical,
                 summary: "$VAR / ${VAR} naming anything but a stack.yaml parameter, a malformed ${…}, or an environment entry taken from the host"),
        ScanRule(code: Code.ports, severity: .critical,
                 summary: "more published host ports than the policy allows (each runs a docker-proxy outside the stack's limits)"),
        ScanRule(code: Code.ulimits, severity: .critical,
                 summary: "ulimits other than nofile, or nproc above the pids limit"),
        ScanRule(code: Code.mount, severity: .critical,
                 summary: "a mount target that is not an absolute container path, or an invalid volume name"),
        ScanRule(code: Code.resources, severity: .critical,
                 summary: "cpus, memory or pids above the policy caps, unlimited (0/-1) or memory below 6 MiB, cpu_rt_runtime/cpu_rt_period"),
        ScanRule(code: Code.manifestPort, severity: .critical,
                 summary: "a stack.yaml port naming a service the compose file does not have"),
        ScanRule(code: Code.noImage, severity: .critical, summary: "a service without an image"),
        ScanRule(code: Code.storageOpt, severity: .critical, summary: "storage_opt"),
        ScanRule(code: Code.reservedLabel, severity: .critical,
                 summary: "a service label in the lol.stack. namespace that Stack Desktop writes and trusts"),
        ScanRule(code: Code.unpinnedImage, severity: .warning, summary: "an image not pinned by @sha256: digest"),
        ScanRule(code: Code.runsAsRoot, severity: .warning,
                 summary: "no user (the image's default, often root), or user root/0"),
        ScanRule(code: Code.noHealthcheck, severity: .warning,
                 summary: "no healthcheck in the compose file, or one that is disabled"),
        ScanRule(code: Code.largeResources, severity: .warning,
                 summary: "a resource request above half of the policy cap"),
        ScanRule(code: Code.portRebound, severity: .warning,
                 summary: "a port with a non-loopback host_ip; it is published on 127.0.0.1 instead"),
        ScanRule(code: Code.portUnpublished, severity: .warning,
                 summary: "a stack.yaml port that its service does not publish"),
        ScanRule(code: Code.networkReplaced, severity: .warning,
                 summary: "network_mode bridge; the service joins the stack's own network instead"),
        ScanRule(code: Code.reservationIgnored, severity: .warning,
                 summary: "deploy reservations above the cap; reservations are not used"),
        ScanRule(code: Code.loggingDriver, severity: .warning,
                 summary: "a logging driver other than json-file, local or none"),
        ScanRule(code: Code.unknownKey, severity: .warning,
                 summary: "a compose key the rule table does not know (not judged, and not passed on)"),
        ScanRule(code: Code.egressRequested, severity: .warning,
                 summary: "stack.yaml asks for network egress"),
        ScanRule(code: Code.appleDouble, severity: .warning,
                 summary: "macOS metadata entries (._*, __MACOSX/, .DS_Store)"),
        ScanRule(code: Code.executable, severity: .warning,
                 summary: "a file with an execute bit or a native-binary name (.exe, .dll, .so, .dylib …)"),
    ]
}
