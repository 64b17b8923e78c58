import StackCore

extension ScanPass {
    /// Checks every string of the compose model for `$` references: Compose interpolates
    /// values everywhere (not keys), and only the stack's parameters may be named, so nothing
    /// of the host's environment leaks into a container or a mount.
    mutating func scanInterpolation() {
        var strings: [(path: String, text: String)] = []
        for name in compose.services.keys.sorted() {
            guard let service = compose.services[name] else { continue }
            collect(service, at: "services\(Self.key(name))", into: &strings)
            for key in service.environment.keys.sorted() {
                guard case .some(.none) = service.environment[key], !parameters.contains(key) else { continue }
                critical(ComposePolicyScanner.Code.interpolation,
                         "environment \(key) has no value, so compose would take it from the host",
                         at: composeLocation("services\(Self.key(name)).environment\(Self.key(key))"))
            }
        }
        if let name = compose.name { strings.append(("name", name)) }
        let groups: [(String, [String: ConfigValue])] = [
            ("networks", compose.networks), ("volumes", compose.volumes), ("configs", compose.configs),
            ("secrets", compose.secrets),
        ]
        for (group, values) in groups {
            collect(.object(values), at: group, into: &strings)
        }
        for key in compose.other.keys.sorted() {
            if let value = compose.other[key] { collect(value, at: key, into: &strings) }
        }
        for (path, text) in strings {
            for reference in Interpolation.references(in: text) {
                switch reference {
                case .variable(let name) where parameters.contains(name):
                    continue
                case .variable(let name):
                    critical(ComposePolicyScanner.Code.interpolation,
                             "$\(name) is not a stack parameter; compose would read it from the host environment",
                             at: composeLocation(path))
                case .malformed(let text):
                    critical(ComposePolicyScanner.Code.interpolation,
                             "\(text) is not a valid variable reference (write $$ for a literal $)",
                             at: composeLocation(path))
                }
            }
        }
    }

    private func collect(_ s: ComposeService, at path: String, into out: inout [(path: String, text: String)]) {
        func add(_ key: String, _ text: String?) {
            if let text { out.append((path + key, text)) }
        }
        func addAll(_ key: String, _ texts: [String]) {
            for (i, text) in texts.enumerated() { out.append(("\(path)\(key)[\(i)]", text)) }
        }
        func addMap(_ key: String, _ map: [String: String]) {
            for name in map.keys.sorted() { out.append(("\(path)\(key)\(Self.key(name))", map[name] ?? "")) }
        }
        func addCommand(_ key: String, _ command: ComposeCommand?) {
            switch command {
            case .shell(let text)?: add(key, text)
            case .exec(let words)?: addAll(key, words)
            case nil: break
            }
        }
        add(".image", s.image)
        addCommand(".command", s.command)
        addCommand(".entrypoint", s.entrypoint)
        for key in s.environment.keys.sorted() {
            if case .some(.some(let value)) = s.environment[key] { add(".environment\(Self.key(key))", value) }
        }
        for (i, port) in s.ports.enumerated() {
            add(".ports[\(i)]", port.published)
            add(".ports[\(i)]", port.hostIP)
        }
        for (i, mount) in s.volumes.enumerated() {
            add(".volumes[\(i)]", mount.source)
            add(".volumes[\(i)]", mount.target)
            collect(.object(mount.options), at: "\(path).volumes[\(i)]", into: &out)
        }
        addAll(".networks", s.networks)
        addAll(".depends_on", s.dependsOn)
        if let check = s.healthcheck {
            addAll(".healthcheck.test", check.test)
            add(".healthcheck.interval", check.interval)
            add(".healthcheck.timeout", check.timeout)
            add(".healthcheck.start_period", check.startPeriod)
        }
        add(".restart", s.restart)
        add(".user", s.user)
        add(".working_dir", s.workingDir)
        addMap(".labels", s.labels)
        addAll(".cap_add", s.capAdd)
        addAll(".cap_drop", s.capDrop)
        addAll(".security_opt", s.securityOpt)
        add(".network_mode", s.networkMode)
        add(".pid", s.pid)
        add(".ipc", s.ipc)
        add(".uts", s.uts)
        add(".userns_mode", s.usernsMode)
        add(".cgroup", s.cgroup)
        add(".cgroup_parent", s.cgroupParent)
        add(".runtime", s.runtime)
        addAll(".devices", s.devices)
        addAll(".device_cgroup_rules", s.deviceCgroupRules)
        addMap(".sysctls", s.sysctls)
        for key in s.other.keys.sorted() {
            if let value = s.other[key] { collect(value, at: path + Self.key(key), into: &out) }
        }
    }

    private func collect(_ value: ConfigValue, at path: String, into out: inout [(path: String, text: String)]) {
        switch value {
        case .string(let text):
            out.append((path, text))
        case .array(let items):
            for (i, item) in items.enumerated() { collect(item, at: "\(path)[\(i)]", into: &out) }
        case .object(let members):
            for key in members.keys.sorted() {
                if let member = members[key] { collect(member, at: path + Self.key(key), into: &out) }
            }
        case .null, .bool, .int, .double:
            break
        }
    }
}
