

extension ScanPass {
    /// The label namespace the renderer writes (`lol.stack.name|version|digest|managed`) and
    /// the monitor trusts; a bundle may not set labels in it.
    static let reservedLabelPrefix = "lol.stack."

    mutating func scanService(_ name: String, _ s: ComposeService) {
        let at = "services\(Self.key(name))"
        let prefix = composeLocation(at)
        func loc(_ path: String) -> String { prefix + path }

        if s.privileged == true {
            critical(ComposePolicyScanner.Code.privileged, "service \(name) runs privileged", at: loc(".privileged"))
        }
        for (i, cap) in s.capAdd.enumerated() {
            let normal = Self.normaliseCapability(cap)
            if normal == "ALL" {
                critical(ComposePolicyScanner.Code.capability, "cap_add ALL grants every capability", at: loc(".cap_add[\(i)]"))
            } else if !allowedCapabilities.contains(normal) {
                critical(ComposePolicyScanner.Code.capability,
                         "capability \(normal) is not in the allowlist (\(allowedCapabilities.sorted().joined(separator: ", ")))",
                         at: loc(".cap_add[\(i)]"))
            }
        }
        scanNamespaces(name, s, loc)
        for (i, device) in s.devices.enumerated() {
            critical(ComposePolicyScanner.Code.devices, "host device \(device) is mapped into the container", at: loc(".devices[\(i)]"))
        }
        for (i, rule) in s.deviceCgroupRules.enumerated() {
            critical(ComposePolicyScanner.Code.devices, "device cgroup rule \"\(rule)\" opens host devices", at: loc(".device_cgroup_rules[\(i)]"))
        }
        for key in s.sysctls.keys.sorted() {
            critical(ComposePolicyScanner.Code.sysctls, "sysctl \(key) changes kernel settings", at: loc(".sysctls\(Self.key(key))"))
        }
        if let parent = s.cgroupParent {
            critical(ComposePolicyScanner.Code.cgroupParent, "cgroup_parent \(parent) escapes the engine's cgroup", at: loc(".cgroup_parent"))
        }
        if let runtime = s.runtime {
            critical(ComposePolicyScanner.Code.runtime, "runtime \(runtime) replaces the engine's default runtime", at: loc(".runtime"))
        }
        if s.oomKillDisable == true {
            critical(ComposePolicyScanner.Code.oomKillDisable, "oom_kill_disable lets the service exhaust host memory", at: loc(".oom_kill_disable"))
        }
        for (i, option) in s.securityOpt.enumerated() where !Self.isAllowedSecurityOpt(option) {
            critical(ComposePolicyScanner.Code.securityOpt,
                     "security_opt \"\(option)\" is not allowed; only no-new-privileges is", at: loc(".security_opt[\(i)]"))
        }
        for key in s.labels.keys.sorted() where key.lowercased().hasPrefix(Self.reservedLabelPrefix) {
            critical(ComposePolicyScanner.Code.reservedLabel,
                     "label \(key) is in the \(Self.reservedLabelPrefix) namespace that Stack Desktop manages",
                     at: loc(".labels\(Self.key(key))"))
        }
        for (i, mount) in s.volumes.enumerated() {
            scanMount(mount, at: at + ".volumes[\(i)]")
        }
        scanResources(service: s, loc)
        scanPorts(name, s, loc)
        scanImageAndDefaults(name, s, loc)
        for key in s.other.keys.sorted() {
            if let value = s.other[key] { scanOtherServiceKey(name, key, value, at: at + Self.key(key)) }
        }
    }

    // MARK: Namespaces

    private mutating func scanNamespaces(_ name: String, _ s: ComposeService, _ loc: (String) -> String) {
        if let mode = s.networkMode {
            let lower = mode.trimmingSpaces.lowercased()
            if lower == "host" || lower.hasPrefix("container:") {
                critical(ComposePolicyScanner.Code.hostNamespace,
                         "network_mode \(mode) shares a network namespace outside the stack", at: loc(".network_mode"))
            } else if lower == "none" || isSiblingReference(mode) {
                // No network at all, or another service of this stack.
            } else if lower == "bridge" {
                warning(ComposePolicyScanner.Code.networkReplaced,
                        "network_mode bridge is replaced by the stack's own network", at: loc(".network_mode"))
            } else {
                critical(ComposePolicyScanner.Code.networkMode,
                         "network_mode \(mode) would leave the stack's own network (only none or service:<name> are allowed)",
                         at: loc(".network_mode"))
            }
        }
        // The values each key may take besides `service:<sibling>` (where Compose allows it).
        let namespaces: [(key: String, value: String?, allowed: Set<String>, siblings: Bool)] = [
            ("pid", s.pid, [], true),
            ("ipc", s.ipc, ["private", "shareable", "none"], true),
            ("uts", s.uts, [], false),
            ("userns_mode", s.usernsMode, [], false),
            ("cgroup", s.cgroup, ["private"], false),
        ]
        for ns in namespaces {
            guard let value = ns.value else { continue }
            let lower = value.trimmingSpaces.lowercased()
            if lower.isEmpty || ns.allowed.contains(lower) || (ns.siblings && isSiblingReference(value)) { continue }
            let why = lower == "host" ? "shares the host's namespace"
                : lower.hasPrefix("container:") ? "joins another container's namespace"
                : "is not a supported isolated mode"
            critical(ComposePolicyScanner.Code.hostNamespace, "\(ns.key) \(value) \(why)", at: loc(".\(ns.key)"))
        }
    }

    /// `service:<name>` naming a service of this stack.
    func isSiblingReference(_ value: String) -> Bool {
        let trimmed = value.trimmingSpaces
        guard trimmed.lowercased().hasPrefix("service:") else { return false }
        return isService(String(trimmed.dropFirst("service:".count)))
    }

    // MARK: Security options

    /// Only `no-new-privileges` (bare, `:true` or `=true`) may be given; everything else
    /// (seccomp, apparmor, label, systempaths, podman's mask/unmask …) either loosens the
    /// confinement or picks host-side profiles, and the renderer sets the confinement itself.
    static func isAllowedSecurityOpt(_ option: String) -> Bool {
        let lower = option.trimmingSpaces.lowercased()
        return ["no-new-privileges", "no-new-privileges:true", "no-new-privileges=true"].contains(lower)
    }

    // MARK: Ports

    private mutating func scanPorts(_ name: String, _ s: ComposeService, _ loc: (String) -> String) {
        for (i, port) in s.ports.enumerated() {
            guard let ip = port.hostIP, !Self.isLoopback(ip) else { continue }
            warning(ComposePolicyScanner.Code.portRebound,
                    "host_ip \(ip) is not used: port \(port.published ?? "(ephemeral)") is published on 127.0.0.1 only",
                    at: loc(".ports[\(i)]"))
        }
    }

    static func isLoopback(_ ip: String) -> Bool {
        let lower = ip.trimmingSpaces.lowercased()
        return lower.hasPrefix("127.") || lower == "::1" || lower == "[::1]" || lower == "localhost"
    }

    // MARK: Image, user, healthcheck

    private mutating func scanImageAndDefaults(_ name: String, _ s: ComposeService, _ loc: (String) -> String) {
        if let image = effectiveImage(of: name) {
            if !image.contains("@sha256:") {
                warning(ComposePolicyScanner.Code.unpinnedImage,
                        "image \(image) is not pinned by digest; its content can change", at: loc(".image"))
            }
        } else if s.other["provider"] == nil, s.other["extends"] == nil {
            // Provider services have no image by design, and `extends` takes it from
            // elsewhere; `policy.provider` and `policy.extends_file` reject those.
            critical(ComposePolicyScanner.Code.noImage,
                     "service \(name) has no image (images are pulled, never built)", at: loc(".image"))
        }
        if Self.isRootUser(s.user) {
            let message = s.user.map { "service \(name) runs as \($0)" }
                ?? "service \(name) sets no user: it runs as the image's user, often root"
            warning(ComposePolicyScanner.Code.runsAsRoot, message, at: loc(".user"))
        }
        if let check = s.healthcheck {
            if check.disable || check.test.first?.uppercased() == "NONE" {
                warning(ComposePolicyScanner.Code.noHealthcheck, "the healthcheck of service \(name) is disabled", at: loc(".healthcheck"))
            }
        } else {
            warning(ComposePolicyScanner.Code.noHealthcheck,
                    "service \(name) has no healthcheck (the image may define one)", at: loc(".healthcheck"))
        }
    }

    /// The service's image (`extends` is refused, so a service must name its own).
    func effectiveImage(of name: String) -> String? {
        guard let image = compose.services[name]?.image?.trimmingSpaces, !image.isEmpty else { return nil }
        return image
    }

    static func isRootUser(_ user: String?) -> Bool {
        guard let user = user?.trimmingSpaces, !user.isEmpty else { return true }
        let uid = user.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? user
        return uid == "root" || uid == "0"
    }
}
