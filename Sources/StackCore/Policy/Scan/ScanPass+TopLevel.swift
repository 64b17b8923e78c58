

extension ScanPass {
    static let networkKeys: Set<String> = [
        "driver", "driver_opts", "attachable", "enable_ipv4", "enable_ipv6", "external", "internal",
        "ipam", "labels", "name",
    ]
    static let volumeKeys: Set<String> = ["driver", "driver_opts", "external", "labels", "name"]
    static let configKeys: Set<String> = [
        "file", "environment", "content", "external", "name", "labels", "driver", "driver_opts",
        "template_driver",
    ]

    mutating func scanTopLevel() {
        typealias Code = ComposePolicyScanner.Code
        for name in compose.networks.keys.sorted() {
            guard let value = compose.networks[name] else { continue }
            scanNetwork(name, value, at: "networks\(Self.key(name))")
        }
        for name in compose.volumes.keys.sorted() {
            guard let value = compose.volumes[name] else { continue }
            scanVolume(name, value, at: "volumes\(Self.key(name))")
        }
        for name in compose.configs.keys.sorted() {
            guard let value = compose.configs[name] else { continue }
            scanConfig(value, code: Code.configs, what: "config \(name)", at: "configs\(Self.key(name))")
        }
        for name in compose.secrets.keys.sorted() {
            guard let value = compose.secrets[name] else { continue }
            scanConfig(value, code: Code.secrets, what: "secret \(name)", at: "secrets\(Self.key(name))")
        }
        for key in compose.other.keys.sorted() {
            let location = composeLocation(key)
            switch key {
            case "include":
                critical(Code.include, "include pulls in other compose files", at: location)
            case "models":
                critical(Code.provider, "models are served by a host-side model runner", at: location)
            case "version":
                break
            default:
                if !key.hasPrefix("x-") {
                    warning(Code.unknownKey, "unknown top-level key \(key) is ignored: not judged and not passed on", at: location)
                }
            }
        }
    }

    /// Networks: only plain bridge networks of this stack.
    ///
    /// `driver_opts` are rejected because bridge options can re-enable masquerading (egress),
    /// change the host binding address or reuse a host bridge interface. An IPAM `config`
    /// (subnet, gateway, ranges) is allowed: it only numbers the stack's own bridge; a
    /// custom IPAM `driver` or `options` is not. A custom `name` is rejected as external:
    /// it can attach the stack to a network that already exists (another stack's, `bridge`).
    private mutating func scanNetwork(_ name: String, _ value: ConfigValue, at path: String) {
        typealias Code = ComposePolicyScanner.Code
        guard let definition = value.objectValue else { return }
        let prefix = composeLocation(path)
        func loc(_ key: String) -> String { prefix + "." + key }
        if let external = definition["external"], external.isSet {
            critical(Code.external, "network \(name) is external to the stack", at: loc("external"))
        }
        if let custom = definition["name"]?.scalarText {
            critical(Code.external, "network \(name) is named \(custom), which may join a network outside the stack",
                     at: loc("name"))
        }
        if let driver = definition["driver"]?.scalarText, driver.lowercased() != "bridge" {
            critical(Code.networkDriver, "network \(name) uses driver \(driver); only bridge is allowed", at: loc("driver"))
        }
        if let options = definition["driver_opts"]?.objectValue, !options.isEmpty {
            critical(Code.networkDriver, "network \(name) sets driver_opts (\(options.keys.sorted().joined(separator: ", ")))",
                     at: loc("driver_opts"))
        }
        if let ipam = definition["ipam"] {
            if let driver = ipam["driver"]?.scalarText, driver.lowercased() != "default" {
                critical(Code.networkDriver, "network \(name) uses IPAM driver \(driver)", at: loc("ipam.driver"))
            }
            if let options = ipam["options"]?.objectValue, !options.isEmpty {
                critical(Code.networkDriver, "network \(name) sets IPAM options", at: loc("ipam.options"))
            }
        }
        warnUnknownKeys(definition, known: Self.networkKeys, what: "network", at: path)
    }

    /// Volumes: the renderer binds named volumes to `volumes/<stack>/<volume>/`, so only a
    /// plain local volume is meaningful; drivers and their options (`type: none, o: bind,
    /// device: /`) would mount host paths. `name` is allowed: it is never used.
    private mutating func scanVolume(_ name: String, _ value: ConfigValue, at path: String) {
        typealias Code = ComposePolicyScanner.Code
        guard let definition = value.objectValue else { return }
        let prefix = composeLocation(path)
        func loc(_ key: String) -> String { prefix + "." + key }
        if let external = definition["external"], external.isSet {
            critical(Code.external, "volume \(name) is external to the stack", at: loc("external"))
        }
        if let driver = definition["driver"]?.scalarText, driver.lowercased() != "local" {
            critical(Code.volumeDriver, "volume \(name) uses driver \(driver); only local is allowed", at: loc("driver"))
        }
        if let options = definition["driver_opts"]?.objectValue, !options.isEmpty {
            let device = options["device"]?.scalarText ?? ""
            if options.values.contains(where: { Self.namesEngineSocket($0.scalarText ?? "") }) {
                critical(Code.dockerSocket, "volume \(name) mounts a container-engine socket", at: loc("driver_opts"))
            } else {
                let detail = device.isEmpty ? "" : " (device \(device))"
                critical(Code.volumeDriver, "volume \(name) sets driver_opts\(detail), which can mount host paths",
                         at: loc("driver_opts"))
            }
        }
        warnUnknownKeys(definition, known: Self.volumeKeys, what: "volume", at: path)
    }

    /// Configs and secrets: a file of the bundle or inline `content`; never the host's
    /// environment, files or an external object.
    private mutating func scanConfig(_ value: ConfigValue, code: String, what: String, at path: String) {
        guard let definition = value.objectValue else { return }
        let prefix = composeLocation(path)
        func loc(_ key: String) -> String { prefix + "." + key }
        if let external = definition["external"], external.isSet {
            critical(ComposePolicyScanner.Code.external, "\(what) is external to the stack", at: loc("external"))
        }
        if let file = definition["file"]?.scalarText {
            requireBundleFile(file, code: code, what: "\(what) file", at: loc("file"))
        }
        if let variable = definition["environment"]?.scalarText {
            critical(code, "\(what) is taken from the host environment variable \(variable)", at: loc("environment"))
        }
        warnUnknownKeys(definition, known: Self.configKeys, what: what, at: path)
    }

    private mutating func warnUnknownKeys(_ definition: [String: ConfigValue], known: Set<String>, what: String,
                                          at path: String) {
        for key in definition.keys.sorted() where !known.contains(key) && !key.hasPrefix("x-") {
            warning(ComposePolicyScanner.Code.unknownKey, "unknown \(what) key \(key) is ignored: not judged and not passed on",
                    at: composeLocation(path + Self.key(key)))
        }
    }
}
