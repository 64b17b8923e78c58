import Testing
import StackCore
import StackTestSupport
import StackBundle
@testable import StackSecurity

// MARK: - Fixtures

/// The clean Stack Desktop example and builders for its variants.
enum ScanFixtures {
    static let manifestYAML = """
        name: hello-web
        version: 1.2.0
        flavor: compose
        ports:
          - {service: web, port: 8080, label: Web UI, open: true}
        volumes: [data]
        parameters:
          - {name: ADMIN_EMAIL, type: string, default: "", required: false}

        """

    static let entries: [BundleEntry] = [
        BundleEntry(path: "stack.yaml", kind: .file, size: 200, mode: 0o644),
        BundleEntry(path: "compose.yaml", kind: .file, size: 300, mode: 0o644),
        BundleEntry(path: "www", kind: .directory, size: 0, mode: 0o755),
        BundleEntry(path: "www/index.html", kind: .file, size: 20, mode: 0o644),
        BundleEntry(path: "config/app.env", kind: .file, size: 20, mode: 0o644),
    ]

    /// The clean example, as YAML, with parts replaced or added.
    /// - Parameters:
    ///   - image: The `image:` line's value, `nil` to leave it out.
    ///   - ports, volumes, user, healthcheck: Flow-syntax values, `nil` to leave them out.
    ///   - service: Extra lines of the `web` service (4-space indented), or more services
    ///     (2-space indented).
    ///   - top: Extra top-level lines.
    static func yaml(image: String? = "stacktest/busybox:1",
                     user: String? = #""65534:65534""#,
                     ports: String? = #"["8080:8080"]"#,
                     volumes: String? = #"["./www:/www:ro", "data:/data"]"#,
                     healthcheck: String? = #"{test: ["CMD", "nc", "-z", "127.0.0.1", "8080"]}"#,
                     service: String = "", top: String = "") -> String {
        var lines = ["services:", "  web:"]
        if let image { lines.append("    image: \(image)") }
        lines.append(#"    command: ["httpd", "-f", "-p", "8080", "-h", "/www"]"#)
        if let user { lines.append("    user: \(user)") }
        if let ports { lines.append("    ports: \(ports)") }
        if let volumes { lines.append("    volumes: \(volumes)") }
        if let healthcheck { lines.append("    healthcheck: \(healthcheck)") }
        if !service.isEmpty { lines.append(service) }
        if !top.isEmpty { lines.append(top) }
        return lines.joined(separator: "\n") + "\n"
    }

    /// The clean example's `web` service as a model value.
    static let web = ComposeService(
        image: "stacktest/busybox:1",
        command: .exec(["httpd", "-f", "-p", "8080", "-h", "/www"]),
        ports: [ComposePort(target: 8080, published: "8080")],
        volumes: [ComposeMount(type: .bind, source: "./www", target: "/www", readOnly: true),
                  ComposeMount(type: .volume, source: "data", target: "/data")],
        healthcheck: ComposeHealthcheck(test: ["CMD", "nc", "-z", "127.0.0.1", "8080"]),
        user: "65534:65534")

    /// The clean example as a model, with `web` edited and top-level parts edited.
    static func model(_ edit: (inout ComposeService) -> Void = { _ in },
                      file fileEdit: (inout ComposeFile) -> Void = { _ in }) -> ComposeFile {
        var service = web
        edit(&service)
        var file = ComposeFile(services: ["web": service])
        fileEdit(&file)
        return file
    }

    static func manifest(_ text: String = manifestYAML) throws -> Manifest {
        try LibYAMLManifestDecoder().decodeManifest(Array(text.utf8), path: "stack.yaml")
    }

    /// Decodes as the product does: interpolated with the manifest's parameters first.
    static func compose(_ text: String, manifest: String = manifestYAML) throws -> ComposeFile {
        try LibYAMLManifestDecoder().decodeCompose(Array(text.utf8), path: "compose.yaml",
                                                   interpolation: ComposeInterpolation(parameters: try self.manifest(manifest).parameters))
    }

    static func scan(_ compose: ComposeFile, manifest: String = manifestYAML, entries: [BundleEntry] = entries,
                     policy: IsolationPolicy = .default) throws -> ScanReport {
        ComposePolicyScanner().scan(manifest: try self.manifest(manifest), compose: compose, entries: entries,
                                    policy: policy)
    }

    static func manifestWith(_ extra: String) -> String { manifestYAML + extra + "\n" }
}

/// One attack: a fixture and the one critical code it must raise (and where).
struct RejectCase: Sendable, CustomTestStringConvertible {
    let name: String
    let code: String
    /// A substring of the finding's location, when the case pins it.
    let location: String?
    let compose: ComposeFile?
    let yaml: String?
    let manifest: String
    let entries: [BundleEntry]

    init(_ name: String, _ code: String, at location: String? = nil, model: ComposeFile,
         manifest: String = ScanFixtures.manifestYAML, entries: [BundleEntry] = ScanFixtures.entries) {
        (self.name, self.code, self.location, self.compose, self.yaml) = (name, code, location, model, nil)
        (self.manifest, self.entries) = (manifest, entries)
    }

    init(_ name: String, _ code: String, at location: String? = nil, yaml: String,
         manifest: String = ScanFixtures.manifestYAML, entries: [BundleEntry] = ScanFixtures.entries) {
        (self.name, self.code, self.location, self.compose, self.yaml) = (name, code, location, nil, yaml)
        (self.manifest, self.entries) = (manifest, entries)
    }

    var testDescription: String { "\(name) → \(code)" }

    func report() throws -> ScanReport {
        let file: ComposeFile
        do {
            file = try compose ?? ScanFixtures.compose(yaml ?? "", manifest: manifest)
        } catch let error as StackError where error.code == .policyInterpolation {
            // The decoder refuses these before any rule runs (interpolation comes first, as in
            // Compose). Shown as the finding they stand for: `compose.yaml: <field path>`.
            let parts = error.message.components(separatedBy: ": ")
            let location = parts.count > 1 ? "compose.yaml: " + parts[1] : error.message
            return ScanReport(findings: [Finding(code: error.code.rawValue, severity: .critical, message: error.message,
                                                 location: location)])
        }
        return try ScanFixtures.scan(file, manifest: manifest, entries: entries)
    }
}

// MARK: - Tables

enum RejectTables {
    typealias F = ScanFixtures
    typealias C = ComposePolicyScanner.Code

    /// One case per reject rule, built directly as model values.
    static let model: [RejectCase] = [
        RejectCase("privileged", C.privileged, at: "services.web.privileged", model: F.model { $0.privileged = true }),
        RejectCase("cap_add SYS_ADMIN", C.capability, at: "services.web.cap_add[0]",
                   model: F.model { $0.capAdd = ["SYS_ADMIN"] }),
        RejectCase("cap_add all (lower case)", C.capability, model: F.model { $0.capAdd = ["all"] }),
        RejectCase("cap_add CAP_sys_ptrace", C.capability, model: F.model { $0.capAdd = ["CAP_sys_ptrace"] }),
        RejectCase("network_mode host", C.hostNamespace, at: "services.web.network_mode",
                   model: F.model { $0.networkMode = "host" }),
        RejectCase("network_mode container:x", C.hostNamespace, model: F.model { $0.networkMode = "container:x" }),
        RejectCase("network_mode service:missing", C.networkMode, model: F.model { $0.networkMode = "service:ghost" }),
        RejectCase("network_mode of a named network", C.networkMode, model: F.model { $0.networkMode = "front" }),
        RejectCase("pid host", C.hostNamespace, at: "services.web.pid", model: F.model { $0.pid = "host" }),
        RejectCase("ipc host", C.hostNamespace, model: F.model { $0.ipc = "host" }),
        RejectCase("ipc container:x", C.hostNamespace, model: F.model { $0.ipc = "container:x" }),
        RejectCase("uts host", C.hostNamespace, model: F.model { $0.uts = "host" }),
        RejectCase("userns_mode host", C.hostNamespace, model: F.model { $0.usernsMode = "host" }),
        RejectCase("cgroup host", C.hostNamespace, model: F.model { $0.cgroup = "host" }),
        RejectCase("devices", C.devices, at: "services.web.devices[0]", model: F.model { $0.devices = ["/dev/kvm"] }),
        RejectCase("device_cgroup_rules", C.devices, model: F.model { $0.deviceCgroupRules = ["c 1:3 mr"] }),
        RejectCase("gpus", C.gpus, at: "services.web.gpus", model: F.model { $0.other["gpus"] = .string("all") }),
        RejectCase("sysctls", C.sysctls, at: #"services.web.sysctls["net.ipv4.ip_forward"]"#,
                   model: F.model { $0.sysctls = ["net.ipv4.ip_forward": "1"] }),
        RejectCase("cgroup_parent", C.cgroupParent, model: F.model { $0.cgroupParent = "/" }),
        RejectCase("runtime", C.runtime, model: F.model { $0.runtime = "nvidia" }),
        RejectCase("oom_kill_disable", C.oomKillDisable, model: F.model { $0.oomKillDisable = true }),
        RejectCase("seccomp unconfined", C.securityOpt, at: "services.web.security_opt[0]",
                   model: F.model { $0.securityOpt = ["seccomp:unconfined"] }),
        RejectCase("apparmor unconfined", C.securityOpt, model: F.model { $0.securityOpt = ["apparmor=unconfined"] }),
        RejectCase("label disable", C.securityOpt, model: F.model { $0.securityOpt = ["label:disable"] }),
        RejectCase("docker socket bind", C.dockerSocket, at: "services.web.volumes[2]", model: F.model {
            $0.volumes.append(ComposeMount(type: .bind, source: "/var/run/docker.sock", target: "/var/run/docker.sock"))
        }),
        RejectCase("host /etc bind", C.hostPath, model: F.model {
            $0.volumes.append(ComposeMount(type: .bind, source: "/etc", target: "/host"))
        }),
        RejectCase("relative bind escaping", C.bindEscape, model: F.model {
            $0.volumes.append(ComposeMount(type: .bind, source: "./a/../../x", target: "/x"))
        }),
        RejectCase("relative bind missing", C.bindMissing, model: F.model {
            $0.volumes.append(ComposeMount(type: .bind, source: "./nothing", target: "/x"))
        }),
        RejectCase("undeclared named volume", C.volumeUndeclared, model: F.model {
            $0.volumes.append(ComposeMount(type: .volume, source: "cache", target: "/cache"))
        }),
        RejectCase("cluster volume", C.mountType, model: F.model {
            $0.volumes.append(ComposeMount(type: .cluster, source: "data", target: "/c"))
        }),
        RejectCase("volume driver", C.volumeDriver, at: "volumes.data.driver",
                   model: F.model(file: { $0.volumes = ["data": .object(["driver": .string("nfs")])] })),
        RejectCase("network driver macvlan", C.networkDriver, at: "networks.lan.driver",
                   model: F.model(file: { $0.networks = ["lan": .object(["driver": .string("macvlan")])] })),
        RejectCase("external network", C.external, at: "networks.outside.external",
                   model: F.model(file: { $0.networks = ["outside": .object(["external": .bool(true)])] })),
        RejectCase("build", C.build, model: F.model { $0.other["build"] = .string(".") }),
        RejectCase("include", C.include, at: "compose.yaml: include",
                   model: F.model(file: { $0.other["include"] = .array([.string("other.yaml")]) })),
        RejectCase("extends file", C.extendsFile, model: F.model {
            $0.other["extends"] = .object(["file": .string("../base.yaml"), "service": .string("web")])
        }),
        RejectCase("env_file absolute", C.envFile, model: F.model { $0.other["env_file"] = .string("/etc/environment") }),
        RejectCase("configs file outside", C.configs, at: "configs.app.file",
                   model: F.model(file: { $0.configs = ["app": .object(["file": .string("../app.conf")])] })),
        RejectCase("secrets from environment", C.secrets, at: "secrets.token.environment",
                   model: F.model(file: { $0.secrets = ["token": .object(["environment": .string("GITHUB_TOKEN")])] })),
        RejectCase("use_api_socket", C.apiSocket, model: F.model { $0.other["use_api_socket"] = .bool(true) }),
        RejectCase("provider", C.provider, model: F.model { $0.other["provider"] = .object(["type": .string("model")]) }),
        RejectCase("bare host env", C.interpolation, at: "services.web.environment.AWS_SECRET_ACCESS_KEY",
                   model: F.model { $0.environment = ["AWS_SECRET_ACCESS_KEY": String?.none] }),
        RejectCase("cpus above cap", C.resources, at: "services.web.cpus", model: F.model { $0.cpus = 64 }),
        RejectCase("no image", C.noImage, at: "services.web.image", model: F.model { $0.image = nil }),
        RejectCase("storage_opt", C.storageOpt, model: F.model { $0.other["storage_opt"] = .object(["size": .string("1T")]) }),
        RejectCase("manifest port names unknown service", C.manifestPort, at: "stack.yaml: ports[1]",
                   model: F.model(), manifest: F.manifestYAML.replacingOccurrences(
                       of: "  - {service: web, port: 8080, label: Web UI, open: true}",
                       with: "  - {service: web, port: 8080}\n  - {service: api, port: 9000}")),
    ]

    /// The same rules and more, parsed from real compose syntax.
    static let yaml: [RejectCase] = [
        RejectCase("privileged", C.privileged, at: "services.web.privileged", yaml: F.yaml(service: "    privileged: true")),
        RejectCase("host network", C.hostNamespace, at: "services.web.network_mode",
                   yaml: F.yaml(ports: nil, service: "    network_mode: host")),
        RejectCase("network_mode container:x", C.hostNamespace, yaml: F.yaml(service: "    network_mode: container:x")),
        RejectCase("network_mode of a named network", C.networkMode, yaml: F.yaml(service: "    network_mode: front")),
        RejectCase("a port range over the cap", C.ports, at: "services", yaml: F.yaml(ports: #"["1-65535:1-65535"]"#)),
        RejectCase("ulimit rtprio", C.ulimits, at: "services.web.ulimits.rtprio", yaml: F.yaml(service: "    ulimits: {rtprio: 99}")),
        RejectCase("ulimit nproc above pids", C.ulimits, yaml: F.yaml(service: "    ulimits: {nproc: {soft: 10, hard: 100000}}")),
        RejectCase("relative mount target", C.mount, yaml: F.yaml(volumes: "[{type: volume, source: data, target: data}]")),
        RejectCase("extends within the file", C.extendsFile, at: "services.worker.extends", yaml: F.yaml(service: """
              worker:
                extends: web
                user: "1000"
                healthcheck: {test: [CMD, true]}
            """)),
        RejectCase("host pid", C.hostNamespace, at: "services.web.pid", yaml: F.yaml(service: "    pid: host")),
        RejectCase("host ipc", C.hostNamespace, at: "services.web.ipc", yaml: F.yaml(service: "    ipc: host")),
        RejectCase("ipc container:x", C.hostNamespace, yaml: F.yaml(service: "    ipc: container:db")),
        RejectCase("host uts", C.hostNamespace, at: "services.web.uts", yaml: F.yaml(service: "    uts: host")),
        RejectCase("host userns", C.hostNamespace, at: "services.web.userns_mode", yaml: F.yaml(service: "    userns_mode: host")),
        RejectCase("cgroup host", C.hostNamespace, at: "services.web.cgroup", yaml: F.yaml(service: "    cgroup: host")),
        RejectCase("volumes_from container:x", C.hostNamespace, at: "services.web.volumes_from[0]",
                   yaml: F.yaml(service: "    volumes_from: [\"container:vault\"]")),
        RejectCase("docker socket short syntax", C.dockerSocket, at: "services.web.volumes[0]",
                   yaml: F.yaml(volumes: #"["/var/run/docker.sock:/var/run/docker.sock"]"#)),
        RejectCase("docker socket /run short syntax", C.dockerSocket,
                   yaml: F.yaml(volumes: #"["/run/docker.sock:/sock:ro"]"#)),
        RejectCase("docker socket long syntax", C.dockerSocket, at: "services.web.volumes[0]",
                   yaml: F.yaml(volumes: "[{type: bind, source: /var/run/docker.sock, target: /docker.sock}]")),
        RejectCase("podman socket long syntax", C.dockerSocket,
                   yaml: F.yaml(volumes: "[{type: bind, source: /run/user/1000/podman/podman.sock, target: /s}]")),
        RejectCase("docker socket via volume driver_opts", C.dockerSocket, at: "volumes.data.driver_opts",
                   yaml: F.yaml(top: "volumes:\n  data:\n    driver_opts: {type: none, o: bind, device: /var/run/docker.sock}")),
        RejectCase("host /etc bind", C.hostPath, at: "services.web.volumes[0]", yaml: F.yaml(volumes: #"["/etc:/host-etc:ro"]"#)),
        RejectCase("host root bind long syntax", C.hostPath, yaml: F.yaml(volumes: "[{type: bind, source: /, target: /host}]")),
        RejectCase("~/.ssh bind", C.hostPath, yaml: F.yaml(volumes: #"["~/.ssh:/root/.ssh:ro"]"#)),
        RejectCase("bind source from a parameter that holds a host path", C.hostPath,
                   yaml: F.yaml(volumes: #"["${DIR}:/x"]"#), manifest: F.manifestWith("  - {name: DIR, default: /etc}")),
        RejectCase("relative bind ../x", C.bindEscape, at: "services.web.volumes[0]", yaml: F.yaml(volumes: #"["../x:/x"]"#)),
        RejectCase("relative bind ./../x", C.bindEscape, yaml: F.yaml(volumes: #"["./../x:/x"]"#)),
        RejectCase("relative bind ./a/../../x", C.bindEscape, yaml: F.yaml(volumes: #"["./www/../../x:/x"]"#)),
        RejectCase("relative bind to a missing path", C.bindMissing, at: "services.web.volumes[0]",
                   yaml: F.yaml(volumes: #"["./conf:/etc/app:ro"]"#)),
        RejectCase("cap_add SYS_ADMIN", C.capability, at: "services.web.cap_add[0]",
                   yaml: F.yaml(service: "    cap_add: [SYS_ADMIN]")),
        RejectCase("cap_add cap_net_raw", C.capability, yaml: F.yaml(service: "    cap_add: [cap_net_raw]")),
        RejectCase("cap_add ALL", C.capability, yaml: F.yaml(service: "    cap_add: [ALL]")),
        RejectCase("manifest capability not allowed", C.capability, at: "stack.yaml: capabilities[0]",
                   yaml: F.yaml(), manifest: F.manifestWith("capabilities: [SYS_ADMIN]")),
        RejectCase("devices", C.devices, at: "services.web.devices[0]", yaml: F.yaml(service: #"    devices: ["/dev/sda:/dev/sda"]"#)),
        RejectCase("device_cgroup_rules", C.devices, yaml: F.yaml(service: #"    device_cgroup_rules: ["a *:* rwm"]"#)),
        RejectCase("deploy device reservation", C.devices, yaml: F.yaml(service: """
                       deploy:
                         resources:
                           reservations:
                             devices: [{capabilities: [tpu]}]
                   """)),
        RejectCase("gpus", C.gpus, at: "services.web.gpus", yaml: F.yaml(service: "    gpus: all")),
        RejectCase("deploy GPU reservation", C.gpus, at: "services.web.deploy.resources.reservations.devices[0]",
                   yaml: F.yaml(service: """
                       deploy:
                         resources:
                           reservations:
                             devices: [{driver: nvidia, count: 1, capabilities: [gpu]}]
                   """)),
        RejectCase("seccomp unconfined (colon)", C.securityOpt, yaml: F.yaml(service: #"    security_opt: ["seccomp:unconfined"]"#)),
        RejectCase("seccomp unconfined (equals)", C.securityOpt, yaml: F.yaml(service: #"    security_opt: ["seccomp=unconfined"]"#)),
        RejectCase("apparmor unconfined", C.securityOpt, yaml: F.yaml(service: #"    security_opt: ["apparmor:unconfined"]"#)),
        RejectCase("label disable", C.securityOpt, yaml: F.yaml(service: #"    security_opt: ["label=disable"]"#)),
        RejectCase("label type", C.securityOpt, yaml: F.yaml(service: #"    security_opt: ["label:type:spc_t"]"#)),
        RejectCase("no-new-privileges false", C.securityOpt, at: "services.web.security_opt[1]",
                   yaml: F.yaml(service: #"    security_opt: ["no-new-privileges", "no-new-privileges:false"]"#)),
        RejectCase("sysctls", C.sysctls, yaml: F.yaml(service: "    sysctls: {net.core.somaxconn: 1024}")),
        RejectCase("build", C.build, at: "services.web.build", yaml: F.yaml(service: "    build: .")),
        RejectCase("include", C.include, at: "compose.yaml: include", yaml: F.yaml(top: "include: [../other/compose.yaml]")),
        RejectCase("extends file", C.extendsFile, at: "services.web.extends",
                   yaml: F.yaml(service: "    extends: {file: common.yaml, service: base}")),
        RejectCase("env_file outside (string)", C.envFile, at: "services.web.env_file",
                   yaml: F.yaml(service: "    env_file: /etc/environment")),
        RejectCase("env_file outside (list, ..)", C.envFile, at: "services.web.env_file[1]",
                   yaml: F.yaml(service: "    env_file: [config/app.env, ../../.env]")),
        RejectCase("env_file outside (long form)", C.envFile,
                   yaml: F.yaml(service: "    env_file: [{path: ~/.aws/credentials, required: false}]")),
        RejectCase("env_file missing", C.envFile, yaml: F.yaml(service: "    env_file: .env")),
        RejectCase("configs file outside", C.configs, at: "configs.app.file",
                   yaml: F.yaml(top: "configs:\n  app:\n    file: /etc/passwd")),
        RejectCase("configs from environment", C.configs, yaml: F.yaml(top: "configs:\n  app:\n    environment: PATH")),
        RejectCase("secrets from environment", C.secrets, at: "secrets.token.environment",
                   yaml: F.yaml(top: "secrets:\n  token:\n    environment: GITHUB_TOKEN")),
        RejectCase("secrets file outside", C.secrets, yaml: F.yaml(top: "secrets:\n  key:\n    file: ~/.ssh/id_ed25519")),
        RejectCase("external secret", C.external, yaml: F.yaml(top: "secrets:\n  key:\n    external: true")),
        RejectCase("external network", C.external, at: "networks.outside.external",
                   yaml: F.yaml(top: "networks:\n  outside:\n    external: true")),
        RejectCase("network with a custom name", C.external, at: "networks.default.name",
                   yaml: F.yaml(top: "networks:\n  default:\n    name: stack-other_default")),
        RejectCase("external volume", C.external, at: "volumes.data.external",
                   yaml: F.yaml(top: "volumes:\n  data:\n    external: true")),
        RejectCase("volume driver_opts binding /", C.volumeDriver, at: "volumes.data.driver_opts",
                   yaml: F.yaml(top: "volumes:\n  data:\n    driver: local\n    driver_opts: {type: none, o: bind, device: /}")),
        RejectCase("network driver host", C.networkDriver, at: "networks.net.driver",
                   yaml: F.yaml(top: "networks:\n  net:\n    driver: host")),
        RejectCase("network driver macvlan", C.networkDriver, yaml: F.yaml(top: "networks:\n  lan:\n    driver: macvlan")),
        RejectCase("network driver_opts masquerade", C.networkDriver, yaml: F.yaml(top: """
                   networks:
                     default:
                       driver_opts: {com.docker.network.bridge.enable_ip_masquerade: "true"}
                   """)),
        RejectCase("use_api_socket", C.apiSocket, yaml: F.yaml(service: "    use_api_socket: true")),
        RejectCase("provider", C.provider, yaml: F.yaml(service: """
                     ai:
                       provider: {type: model, options: {model: ai/smollm2}}
                   """)),
        RejectCase("cgroup_parent", C.cgroupParent, yaml: F.yaml(service: "    cgroup_parent: system.slice")),
        RejectCase("runtime", C.runtime, yaml: F.yaml(service: "    runtime: nvidia")),
        RejectCase("oom_kill_disable", C.oomKillDisable, yaml: F.yaml(service: "    oom_kill_disable: true")),
        RejectCase("negative oom_score_adj", C.oomKillDisable, yaml: F.yaml(service: "    oom_score_adj: -1000")),
        RejectCase("${HOME} interpolation", C.interpolation, at: "services.web.working_dir",
                   yaml: F.yaml(service: #"    working_dir: "${HOME}""#)),
        RejectCase("$USER interpolation", C.interpolation, at: "services.web.environment[0]",
                   yaml: F.yaml(service: #"    environment: ["WHO=$USER"]"#)),
        RejectCase("${VAR:-default} still names VAR", C.interpolation, at: "services.web.image",
                   yaml: F.yaml(image: #""${IMAGE:-stacktest/busybox:1}""#)),
        RejectCase("nested default", C.interpolation, at: "services.web.labels.who",
                   yaml: F.yaml(service: #"    labels: {who: "${ADMIN_EMAIL:-${USER}}"}"#)),
        RejectCase("interpolation in an unknown key", C.interpolation, at: "services.web.x-extra.path",
                   yaml: F.yaml(service: #"    x-extra: {path: "$PWD"}"#)),
        RejectCase("malformed ${}", C.interpolation, yaml: F.yaml(service: #"    entrypoint: ["echo", "${}"]"#)),
        RejectCase("bare env var from host (list)", C.interpolation, at: "services.web.environment.AWS_SECRET_ACCESS_KEY",
                   yaml: F.yaml(service: "    environment: [AWS_SECRET_ACCESS_KEY]")),
        RejectCase("bare env var from host (map)", C.interpolation, at: "services.web.environment.TOKEN",
                   yaml: F.yaml(service: "    environment: {TOKEN: }")),
        RejectCase("cpus above cap", C.resources, at: "services.web.cpus", yaml: F.yaml(service: "    cpus: 16")),
        RejectCase("mem_limit above cap", C.resources, at: "services.web.mem_limit", yaml: F.yaml(service: "    mem_limit: 64g")),
        RejectCase("pids unlimited", C.resources, at: "services.web.pids_limit", yaml: F.yaml(service: "    pids_limit: -1")),
        RejectCase("deploy memory limit above cap", C.resources, at: "services.web.deploy.resources.limits.memory",
                   yaml: F.yaml(service: "    deploy: {resources: {limits: {memory: 8G}}}")),
        RejectCase("manifest resources above cap", C.resources, at: "stack.yaml: resources.memory",
                   yaml: F.yaml(), manifest: F.manifestWith("resources: {memory: 16g}")),
        RejectCase("cpu_rt_runtime", C.resources, yaml: F.yaml(service: "    cpu_rt_runtime: 950ms")),
        RejectCase("service without image", C.noImage, at: "services.web.image", yaml: F.yaml(image: nil)),
        RejectCase("manifest port naming unknown service", C.manifestPort, at: "stack.yaml: ports[0]",
                   yaml: F.yaml(), manifest: ScanFixtures.manifestYAML.replacingOccurrences(of: "service: web", with: "service: api")),
        RejectCase("storage_opt", C.storageOpt, yaml: F.yaml(service: "    storage_opt: {size: 20G}")),
        RejectCase("undeclared named volume", C.volumeUndeclared, yaml: F.yaml(volumes: #"["cache:/cache"]"#)),
        RejectCase("links outside the stack", C.external, yaml: F.yaml(service: "    links: [\"postgres:db\"]")),
        RejectCase("external_links", C.external, yaml: F.yaml(service: "    external_links: [\"redis_1\"]")),
        RejectCase("label_file outside", C.labelFile, yaml: F.yaml(service: "    label_file: /etc/labels")),
        RejectCase("privileged post_start hook", C.privileged, at: "services.web.post_start[0].privileged",
                   yaml: F.yaml(service: "    post_start: [{command: [sh, -c, id], privileged: true}]")),
        RejectCase("reserved label", C.reservedLabel, at: #"services.web.labels["lol.stack.managed"]"#,
                   yaml: F.yaml(service: #"    labels: {lol.stack.managed: "true"}"#)),
        RejectCase("volume source from a parameter that holds a host path", C.hostPath, at: "services.web.volumes[0]",
                   yaml: F.yaml(volumes: #"["${DIR:-data}/x:/x"]"#), manifest: F.manifestWith("  - {name: DIR, default: /var}")),
        RejectCase("long-syntax volume with a path source", C.hostPath,
                   yaml: F.yaml(volumes: "[{type: volume, source: /etc, target: /e}]")),
        RejectCase("named pipe", C.dockerSocket,
                   yaml: F.yaml(volumes: #"[{type: npipe, source: '\\.\pipe\docker_engine', target: '\\.\pipe\docker_engine'}]"#)),
        RejectCase("models", C.provider, yaml: F.yaml(top: "models:\n  llm: {model: ai/smollm2}")),
    ]
}

// MARK: - Suite

@Suite("ComposePolicyScanner")
struct ComposePolicyScannerTests {
    typealias C = ComposePolicyScanner.Code

    static func check(_ rejectCase: RejectCase) throws {
        let report = try rejectCase.report()
        let hits = report.findings.filter { $0.code == rejectCase.code }
        #expect(!hits.isEmpty, "expected \(rejectCase.code); got \(report.findings)")
        #expect(hits.allSatisfy { $0.severity == .critical }, "\(hits)")
        if let location = rejectCase.location {
            let expected = location.contains(": ") ? location : "compose.yaml: \(location)"
            #expect(hits.contains { $0.location == expected }, "expected at \(expected); got \(hits.map(\.location))")
        }
        // Precision: the attack raises its own rule and no other rejection.
        #expect(Set(report.critical.map(\.code)) == [rejectCase.code], "\(report.critical)")
        let rejection = try #require(report.rejection)
        #expect(rejection.code.rawValue == rejectCase.code)
        #expect(rejection.code.exitStatus == .policy)
        // The planner runs the same table: the case never becomes a plan, with the same code.
        if let compose = try? rejectCase.compose ?? ScanFixtures.compose(rejectCase.yaml ?? "", manifest: rejectCase.manifest) {
            let manifest = try ScanFixtures.manifest(rejectCase.manifest)
            let error = stackError {
                _ = try StackPlanner().plan(manifest: manifest, compose: compose, entries: rejectCase.entries,
                                            interpolation: ComposeInterpolation(parameters: manifest.parameters))
            }
            #expect(error?.code.rawValue == rejectCase.code, "\(rejectCase.name): \(String(describing: error))")
        }
    }

    @Test("each reject rule, built as model values", arguments: RejectTables.model)
    func rejectsModel(_ rejectCase: RejectCase) throws {
        try Self.check(rejectCase)
    }

    @Test("each reject rule, parsed from compose YAML", arguments: RejectTables.yaml)
    func rejectsYAML(_ rejectCase: RejectCase) throws {
        try Self.check(rejectCase)
    }

    @Test("the clean example has no critical finding, parsed or built")
    func cleanExample() throws {
        for compose in [try ScanFixtures.compose(ScanFixtures.yaml()), ScanFixtures.model()] {
            let report = try ScanFixtures.scan(compose)
            #expect(report.critical.isEmpty, "\(report.findings)")
            #expect(report.rejection == nil)
            #expect(report.findings.map(\.code) == [C.unpinnedImage], "\(report.findings)")
        }
        #expect(try ScanFixtures.compose(ScanFixtures.yaml()) == ScanFixtures.model())
    }

    /// Fixtures that look close to an attack but are allowed.
    static let allowed: [(String, String)] = [
        ("network_mode none", ScanFixtures.yaml(ports: nil, service: "    network_mode: none")),
        ("network_mode service: of this stack", ScanFixtures.yaml(service: """
              db:
                image: stacktest/db@sha256:0000000000000000000000000000000000000000000000000000000000000000
                user: "999"
                network_mode: service:web
                ipc: service:web
                volumes_from: [web]
                links: [web]
                healthcheck: {test: [CMD, true]}
            """)),
        ("ipc shareable", ScanFixtures.yaml(service: "    ipc: shareable")),
        ("no-new-privileges", ScanFixtures.yaml(service: #"    security_opt: ["no-new-privileges", "no-new-privileges:true"]"#)),
        ("allowed capabilities, any spelling", ScanFixtures.yaml(service: "    cap_add: [NET_BIND_SERVICE, cap_chown, Kill]")),
        ("parameter interpolation and $$", ScanFixtures.yaml(service: #"""
                environment: {EMAIL: "${ADMIN_EMAIL:-none}", ADMIN_EMAIL: , PRICE: "$$5", SHELL_ARG: "$1"}
                entrypoint: ["sh", "-c", "echo $$HOME $ADMIN_EMAIL"]
            """#)),
        ("bind of a file and of the bundle root", ScanFixtures.yaml(volumes: #"["./www/index.html:/i:ro", ".:/bundle:ro", "data:/data"]"#)),
        ("relative bind that re-enters the bundle", ScanFixtures.yaml(volumes: #"["./www/../www:/www:ro"]"#)),
        ("env_file, configs and secrets in the bundle", ScanFixtures.yaml(service: "    env_file: [./config/app.env, {path: config/app.env}]",
                                                                        top: "configs:\n  app: {file: ./config/app.env}\nsecrets:\n  s: {file: config/app.env}")),
        ("local volume, plain bridge network with a subnet", ScanFixtures.yaml(top: """
            volumes:
              data: {driver: local, labels: {a: b}}
            networks:
              default:
                driver: bridge
                internal: false
                ipam: {config: [{subnet: 172.28.0.0/16}]}
            """)),
        ("loopback port, tmpfs, ulimits, init, shm_size", ScanFixtures.yaml(ports: #"["127.0.0.1:8080:8080"]"#, service: """
                tmpfs: [/tmp]
                ulimits: {nofile: 1024}
                init: true
                shm_size: 64m
                pull_policy: always
                dns: [1.1.1.1]
                extra_hosts: ["a:10.0.0.1"]
                platform: linux/amd64
                extends: {service: web}
            """.replacingOccurrences(of: "extends: {service: web}", with: "stop_grace_period: 5s"))),
        ("resources within the caps", ScanFixtures.yaml(service: "    cpus: 1.5\n    mem_limit: 1g\n    pids_limit: 512")),
        ("network_mode bridge (replaced by the stack's network)", ScanFixtures.yaml(service: "    network_mode: bridge")),
        ("reservations above the cap (not used)", ScanFixtures.yaml(service: "    deploy: {resources: {reservations: {memory: 64g}}}")),
        ("a ${DIR:-./www} bind read after interpolation", ScanFixtures.yaml(volumes: #"["${ADMIN_EMAIL:-./www}:/www:ro"]"#)),
    ]

    @Test("near misses are allowed", arguments: 0..<allowed.count)
    func allowedFixtures(index: Int) throws {
        let (name, text) = Self.allowed[index]
        let compose = try ScanFixtures.compose(text)
        let report = try ScanFixtures.scan(compose)
        #expect(report.critical.isEmpty, "\(name): \(report.critical)")
        // …and each becomes a plan with the same (non-critical) findings.
        let manifest = try ScanFixtures.manifest(ScanFixtures.manifestYAML)
        let plan = try StackPlanner().plan(manifest: manifest, compose: compose, entries: ScanFixtures.entries,
                                           interpolation: ComposeInterpolation(parameters: manifest.parameters))
        #expect(plan.findings == report.findings, "\(name)")
        #expect(Set(plan.services.map(\.name)) == Set(compose.services.keys), "\(name)")
    }

    @Test("GPUs pass when the policy allows them")
    func gpusAllowed() throws {
        let compose = try ScanFixtures.compose(ScanFixtures.yaml(service: "    gpus: all"))
        var policy = IsolationPolicy.default
        policy.allowGPUs = true
        #expect(try ScanFixtures.scan(compose, policy: policy).critical.isEmpty)
        #expect(try ScanFixtures.scan(compose).critical.map(\.code) == [C.gpus])
    }

    @Test("relative paths resolve against the compose file's directory")
    func composeInSubdirectory() throws {
        let manifest = ScanFixtures.manifestWith("compose: deploy/compose.yaml")
        let entries = ScanFixtures.entries + [BundleEntry(path: "deploy/compose.yaml", kind: .file, size: 1, mode: 0o644)]
        let inside = try ScanFixtures.compose(ScanFixtures.yaml(volumes: #"["../www:/www:ro", "data:/data"]"#))
        let report = try ScanFixtures.scan(inside, manifest: manifest, entries: entries)
        #expect(report.critical.isEmpty, "\(report.critical)")
        let outside = try ScanFixtures.compose(ScanFixtures.yaml(volumes: #"["../../www:/www:ro"]"#))
        let rejected = try ScanFixtures.scan(outside, manifest: manifest, entries: entries)
        #expect(rejected.critical.map(\.location) == ["deploy/compose.yaml: services.web.volumes[0]"])
        #expect(rejected.critical.map(\.code) == [C.bindEscape])
    }

    // MARK: Warnings

    struct WarningCase: Sendable, CustomTestStringConvertible {
        let name: String
        let code: String
        let location: String
        let yaml: String
        var manifest = ScanFixtures.manifestYAML
        var entries = ScanFixtures.entries
        var testDescription: String { "\(name) → \(code)" }
    }

    static let warnings: [WarningCase] = [
        WarningCase(name: "unpinned image", code: C.unpinnedImage, location: "compose.yaml: services.web.image",
                    yaml: ScanFixtures.yaml(image: "nginx:latest")),
        WarningCase(name: "no user", code: C.runsAsRoot, location: "compose.yaml: services.web.user",
                    yaml: ScanFixtures.yaml(user: nil)),
        WarningCase(name: "user root", code: C.runsAsRoot, location: "compose.yaml: services.web.user",
                    yaml: ScanFixtures.yaml(user: "root")),
        WarningCase(name: "user 0:0", code: C.runsAsRoot, location: "compose.yaml: services.web.user",
                    yaml: ScanFixtures.yaml(user: #""0:0""#)),
        WarningCase(name: "no healthcheck", code: C.noHealthcheck, location: "compose.yaml: services.web.healthcheck",
                    yaml: ScanFixtures.yaml(healthcheck: nil)),
        WarningCase(name: "healthcheck disabled", code: C.noHealthcheck, location: "compose.yaml: services.web.healthcheck",
                    yaml: ScanFixtures.yaml(healthcheck: "{disable: true}")),
        WarningCase(name: "port rebound", code: C.portRebound, location: "compose.yaml: services.web.ports[0]",
                    yaml: ScanFixtures.yaml(ports: #"["0.0.0.0:8080:8080"]"#)),
        WarningCase(name: "port rebound (long syntax, IPv6)", code: C.portRebound, location: "compose.yaml: services.web.ports[0]",
                    yaml: ScanFixtures.yaml(ports: #"[{target: 8080, published: "8080", host_ip: "::"}]"#)),
        WarningCase(name: "large resources", code: C.largeResources, location: "compose.yaml: services.web.cpus",
                    yaml: ScanFixtures.yaml(service: "    cpus: 3")),
        WarningCase(name: "logging driver", code: C.loggingDriver, location: "compose.yaml: services.web.logging.driver",
                    yaml: ScanFixtures.yaml(service: "    logging: {driver: syslog, options: {syslog-address: \"udp://1.2.3.4:514\"}}")),
        WarningCase(name: "network_mode bridge", code: C.networkReplaced, location: "compose.yaml: services.web.network_mode",
                    yaml: ScanFixtures.yaml(service: "    network_mode: bridge")),
        WarningCase(name: "reservation above the cap", code: C.reservationIgnored,
                    location: "compose.yaml: services.web.deploy.resources.reservations.memory",
                    yaml: ScanFixtures.yaml(service: "    deploy: {resources: {reservations: {memory: 64g}}}")),
        WarningCase(name: "unknown key", code: C.unknownKey, location: "compose.yaml: services.web.frobnicate",
                    yaml: ScanFixtures.yaml(service: "    frobnicate: true")),
        WarningCase(name: "manifest port not published", code: C.portUnpublished, location: "stack.yaml: ports[0]",
                    yaml: ScanFixtures.yaml(ports: #"["9090:9090"]"#)),
        WarningCase(name: "egress requested", code: C.egressRequested, location: "stack.yaml: network.egress",
                    yaml: ScanFixtures.yaml(), manifest: ScanFixtures.manifestWith("network: {egress: true}")),
        WarningCase(name: "AppleDouble entry", code: C.appleDouble, location: "www/._index.html",
                    yaml: ScanFixtures.yaml(),
                    entries: ScanFixtures.entries + [BundleEntry(path: "www/._index.html", kind: .file, size: 4, mode: 0o644)]),
        WarningCase(name: "__MACOSX folder", code: C.appleDouble, location: "__MACOSX",
                    yaml: ScanFixtures.yaml(),
                    entries: ScanFixtures.entries + [BundleEntry(path: "__MACOSX", kind: .directory, size: 0, mode: 0o755)]),
        WarningCase(name: "executable bit", code: C.executable, location: "www/run.sh",
                    yaml: ScanFixtures.yaml(),
                    entries: ScanFixtures.entries + [BundleEntry(path: "www/run.sh", kind: .file, size: 4, mode: 0o755)]),
        WarningCase(name: "native library name", code: C.executable, location: "lib/libssl.so.3",
                    yaml: ScanFixtures.yaml(),
                    entries: ScanFixtures.entries + [BundleEntry(path: "lib/libssl.so.3", kind: .file, size: 4, mode: 0o644)]),
    ]

    @Test("each warning", arguments: warnings)
    func warns(_ warningCase: WarningCase) throws {
        let report = try ScanFixtures.scan(try ScanFixtures.compose(warningCase.yaml), manifest: warningCase.manifest,
                                           entries: warningCase.entries)
        let hit = report.findings.first { $0.code == warningCase.code && $0.location == warningCase.location }
        #expect(hit?.severity == .warning, "\(report.findings)")
        #expect(report.critical.isEmpty, "\(report.critical)")
        #expect(report.rejection == nil)
    }

    // MARK: Report

    @Test("rejection names the first critical code and exits with the policy status")
    func rejection() throws {
        let compose = try ScanFixtures.compose(ScanFixtures.yaml(ports: nil, service: "    privileged: true\n    network_mode: host"))
        let report = try ScanFixtures.scan(compose)
        #expect(report.critical.map(\.code) == [C.hostNamespace, C.privileged])
        let error = try #require(report.rejection)
        #expect(error.code.rawValue == C.hostNamespace)
        #expect(error.code.exitStatus == .policy)
        #expect(error.message.contains("policy.privileged"))
        #expect(report.findings.first?.severity == .critical)
    }

    @Test("findings are deterministic and sorted")
    func deterministic() throws {
        let text = ScanFixtures.yaml(image: "nginx", user: nil, volumes: #"["/etc:/e", "../x:/x", "/var/run/docker.sock:/s"]"#,
                                     healthcheck: nil, service: """
                                         cap_add: [SYS_ADMIN, NET_ADMIN]
                                         environment: ["A=$$X", C]
                                       db:
                                         image: postgres
                                         privileged: true
                                     """)
        let first = try ScanFixtures.scan(try ScanFixtures.compose(text))
        for _ in 0..<5 {
            #expect(try ScanFixtures.scan(try ScanFixtures.compose(text)) == first)
        }
        #expect(first.findings.map(\.severity) == first.findings.map(\.severity).sorted())
        let critical = first.critical.map { "\($0.location)|\($0.code)" }
        #expect(critical == critical.sorted())
        #expect(first.critical.count == 7, "\(first.critical)")
    }

    @Test("every code emitted is catalogued with its severity, and codes are unique")
    func catalogue() throws {
        let catalogue = Dictionary(ComposePolicyScanner.rules.map { ($0.code, $0.severity) }, uniquingKeysWith: { a, _ in a })
        #expect(catalogue.count == ComposePolicyScanner.rules.count)
        var emitted: [Finding] = []
        for rejectCase in RejectTables.model + RejectTables.yaml { emitted += try rejectCase.report().findings }
        for warningCase in Self.warnings {
            emitted += try ScanFixtures.scan(try ScanFixtures.compose(warningCase.yaml), manifest: warningCase.manifest,
                                             entries: warningCase.entries).findings
        }
        for finding in emitted {
            #expect(catalogue[finding.code] == finding.severity, "\(finding)")
        }
        // Every catalogued rule is exercised by some case.
        #expect(Set(emitted.map(\.code)) == Set(catalogue.keys))
    }

    // MARK: Units
}
