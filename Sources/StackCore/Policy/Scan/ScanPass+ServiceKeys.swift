

extension ScanPass {
    /// Service keys outside the typed model that are known and judged harmless: they shape
    /// the container inside its own namespaces, or are ignored outside Swarm. (`tmpfs`,
    /// `ulimits`, `shm_size`, `init`, `dns`, `extra_hosts`, `isolation` and `platform` were
    /// reviewed explicitly.) Keys read here are `other` keys; typed keys never reach it.
    static let harmlessServiceKeys: Set<String> = [
        "annotations", "attach", "blkio_config", "configs", "container_name", "cpu_count",
        "cpu_percent", "cpu_period", "cpu_quota", "cpu_shares", "cpuset", "develop", "dns",
        "dns_opt", "dns_search", "domainname", "expose", "extra_hosts", "group_add", "hostname",
        "init", "isolation", "mac_address", "mem_reservation", "mem_swappiness", "platform",
        "profiles", "pull_policy", "pull_refresh_after", "read_only", "scale", "secrets",
        "shm_size", "stdin_open", "stop_grace_period", "stop_signal", "tmpfs", "tty",
    ]

    /// Logging drivers that keep logs on the engine host, where `stackctl logs` reads them.
    static let localLoggingDrivers: Set<String> = ["json-file", "local", "none"]

    /// Judges one key of a service's `other` bag.
    mutating func scanOtherServiceKey(_ service: String, _ key: String, _ value: ConfigValue, at path: String) {
        typealias Code = ComposePolicyScanner.Code
        let location = composeLocation(path)
        if key.hasPrefix("x-") || Self.harmlessServiceKeys.contains(key) { return }
        switch key {
        case "build":
            critical(Code.build, "service \(service) builds its image; bundles must use published images", at: location)
        case "extends":
            if let file = value["file"]?.scalarText {
                critical(Code.extendsFile, "extends reads another compose file (\(file))", at: location)
            } else {
                critical(Code.extendsFile, "extends is not supported; spell out each service in full", at: location)
            }
        case "env_file":
            scanFileList(value, code: Code.envFile, what: "env_file", at: path)
        case "label_file":
            scanFileList(value, code: Code.labelFile, what: "label_file", at: path)
        case "ulimits":
            scanUlimits(service, value, at: path)
        case "gpus":
            if value.isSet, !policy.allowGPUs {
                critical(Code.gpus, "service \(service) asks for GPUs, which the policy does not allow", at: location)
            }
        case "deploy":
            scanDeploy(value, at: path)
        case "use_api_socket":
            if value.isSet {
                critical(Code.apiSocket, "use_api_socket hands the container the engine's API socket", at: location)
            }
        case "provider":
            critical(Code.provider, "provider services run host-side plugins", at: location)
        case "models":
            critical(Code.provider, "models are served by a host-side model runner", at: location)
        case "storage_opt":
            critical(Code.storageOpt, "storage_opt changes the engine's storage driver settings", at: location)
        case "credential_spec":
            critical(Code.hostPath, "credential_spec reads host credentials", at: location)
        case "oom_score_adj":
            if let score = value.numberValue, score < 0 {
                critical(Code.oomKillDisable, "a negative oom_score_adj shields the service from the OOM killer", at: location)
            }
        case "cpu_rt_runtime", "cpu_rt_period":
            critical(Code.resources, "\(key) asks for real-time CPU scheduling", at: location)
        case "post_start", "pre_stop":
            for (i, hook) in (value.arrayValue ?? []).enumerated() where hook["privileged"]?.isSet == true {
                critical(Code.privileged, "a \(key) hook runs privileged", at: composeLocation("\(path)[\(i)].privileged"))
            }
        case "volumes_from":
            for (i, item) in value.stringList.enumerated() {
                let itemLocation = composeLocation("\(path)[\(i)]")
                let parts = item.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
                if parts.first?.lowercased() == "container" {
                    critical(Code.hostNamespace, "volumes_from \(item) takes the mounts of a container outside the stack",
                             at: itemLocation)
                } else if let first = parts.first, !isService(first) {
                    critical(Code.external, "volumes_from \(item) names no service of this stack", at: itemLocation)
                }
            }
        case "links":
            for (i, item) in value.stringList.enumerated() {
                let target = item.split(separator: ":", maxSplits: 1).first.map(String.init) ?? item
                if !isService(target) {
                    critical(Code.external, "link to \(target), which is not a service of this stack",
                             at: composeLocation("\(path)[\(i)]"))
                }
            }
        case "external_links":
            if !value.stringList.isEmpty || value.isSet {
                critical(Code.external, "external_links reach containers outside the stack", at: location)
            }
        case "logging":
            if let driver = value["driver"]?.scalarText, !Self.localLoggingDrivers.contains(driver.lowercased()) {
                warning(Code.loggingDriver, "logging driver \(driver) sends logs off the engine host; `stackctl logs` cannot read them",
                        at: composeLocation(path + ".driver"))
            }
        default:
            warning(Code.unknownKey, "unknown service key \(key) is ignored: not judged and not passed on", at: location)
        }
    }

    /// `ulimits`: only `nofile`, and `nproc` up to the service's pids limit. Others
    /// (`rtprio`, `nice`, `memlock`, …) loosen scheduling or memory limits.
    private mutating func scanUlimits(_ service: String, _ value: ConfigValue, at path: String) {
        guard let limits = value.objectValue else {
            critical(ComposePolicyScanner.Code.ulimits, "ulimits must be a mapping", at: composeLocation(path))
            return
        }
        let pids = compose.services[service].map { resolvedResources($0).pids } ?? policy.defaultPids
        for key in limits.keys.sorted() {
            let location = composeLocation(path + Self.key(key))
            switch key {
            case "nofile":
                continue
            case "nproc":
                let values = [limits[key]?.numberValue, limits[key]?["soft"]?.numberValue, limits[key]?["hard"]?.numberValue]
                    .compactMap { $0 }
                if values.isEmpty || values.contains(where: { $0 <= 0 || $0 > Double(pids) }) {
                    critical(ComposePolicyScanner.Code.ulimits,
                             "ulimit nproc must be between 1 and the pids limit \(pids)", at: location)
                }
            default:
                critical(ComposePolicyScanner.Code.ulimits,
                         "ulimit \(key) is not allowed (only nofile, and nproc within the pids limit)", at: location)
            }
        }
    }

    /// `env_file`/`label_file`: a string, a list of strings, or a list of `{path:, required:}`.
    private mutating func scanFileList(_ value: ConfigValue, code: String, what: String, at path: String) {
        let items: [ConfigValue] = value.arrayValue ?? [value]
        for (i, item) in items.enumerated() {
            let itemPath = value.arrayValue == nil ? path : "\(path)[\(i)]"
            guard let file = item.scalarText ?? item["path"]?.scalarText else {
                critical(code, "\(what) entry has no path", at: composeLocation(itemPath))
                continue
            }
            requireBundleFile(file, code: code, what: what, at: composeLocation(itemPath))
        }
    }
}
