import StackCore

/// Decodes a Docker Compose document into StackCore's compose model. Typed keys are
/// checked for their shape; every other key is kept verbatim in `other`. The document was
/// interpolated before (``YAMLNode/interpolated(with:path:)``), so short syntax is read
/// from final values, as Compose does.
enum ComposeDecoding {
    /// Whether `name` is a compose service name: `[a-zA-Z0-9][a-zA-Z0-9_.-]*`, at most
    /// 255 bytes.
    static func isValidServiceName(_ name: String) -> Bool {
        let bytes = Array(name.utf8)
        guard let first = bytes.first, bytes.count <= 255, isAlphanumeric(first) else { return false }
        return bytes.allSatisfy { isAlphanumeric($0) || $0 == 0x5F || $0 == 0x2E || $0 == 0x2D }
    }

    private static func isAlphanumeric(_ b: UInt8) -> Bool {
        (b >= 0x61 && b <= 0x7A) || (b >= 0x41 && b <= 0x5A) || (b >= 0x30 && b <= 0x39)
    }

    static func decode(_ root: YAMLNode) throws -> ComposeFile {
        let top = YAMLField(root, code: .composeInvalid)
        var file = ComposeFile()
        var sawServices = false
        for entry in try top.mapping("a mapping of compose fields") {
            let field = entry.value
            switch entry.key {
            case "services":
                sawServices = true
                file.services = try services(field)
            case "networks": file.networks = try definitions(field)
            case "volumes": file.volumes = try definitions(field)
            case "configs": file.configs = try definitions(field)
            case "secrets": file.secrets = try definitions(field)
            case "name": file.name = field.isNull ? nil : try field.string()
            default: file.other[entry.key] = try field.configValue()
            }
        }
        guard sawServices else {
            throw StackError(.composeInvalid, "\(root.mark): services: missing required field")
        }
        return file
    }

    static func definitions(_ field: YAMLField) throws -> [String: ConfigValue] {
        var result: [String: ConfigValue] = [:]
        for entry in try field.optionalMapping("a mapping of names to definitions") {
            result[entry.key] = try entry.value.configValue()
        }
        return result
    }

    static func services(_ field: YAMLField) throws -> [String: ComposeService] {
        var result: [String: ComposeService] = [:]
        for entry in try field.mapping("a mapping of service names to services") {
            guard isValidServiceName(entry.key) else {
                throw StackError(.composeInvalid,
                                 "\(entry.keyNode.mark): \(entry.value.path): expected a service name matching [a-zA-Z0-9][a-zA-Z0-9_.-]*")
            }
            result[entry.key] = try service(entry.value)
        }
        return result
    }

    // MARK: Service

    static func service(_ field: YAMLField) throws -> ComposeService {
        var s = ComposeService()
        for entry in try field.mapping("a mapping of service settings") {
            let f = entry.value
            guard !f.isNull || !typedServiceKeys.contains(entry.key) else { continue }
            switch entry.key {
            case "image": s.image = try f.string()
            case "command": s.command = try command(f)
            case "entrypoint": s.entrypoint = try command(f)
            case "environment": s.environment = try environment(f)
            case "ports": s.ports = try f.sequence("a list of ports").map(port)
            case "volumes": s.volumes = try f.sequence("a list of mounts").map(mount)
            case "networks": s.networks = try names(f)
            case "depends_on": s.dependsOn = try names(f)
            case "healthcheck": s.healthcheck = try healthcheck(f)
            case "restart": s.restart = try f.string()
            case "user": s.user = try f.string()
            case "working_dir": s.workingDir = try f.string()
            case "labels": s.labels = try keyValues(f, nullAs: "")
            case "cap_add": s.capAdd = try f.strings()
            case "cap_drop": s.capDrop = try f.strings()
            case "security_opt": s.securityOpt = try f.strings()
            case "privileged": s.privileged = try f.bool()
            case "network_mode": s.networkMode = try f.string()
            case "pid": s.pid = try f.string()
            case "ipc": s.ipc = try f.string()
            case "uts": s.uts = try f.string()
            case "userns_mode": s.usernsMode = try f.string()
            case "cgroup": s.cgroup = try f.string()
            case "cgroup_parent": s.cgroupParent = try f.string()
            case "runtime": s.runtime = try f.string()
            case "devices": s.devices = try devices(f)
            case "device_cgroup_rules": s.deviceCgroupRules = try f.strings()
            case "sysctls": s.sysctls = try keyValues(f, nullAs: nil)
            case "oom_kill_disable": s.oomKillDisable = try f.bool()
            case "mem_limit": s.memLimit = try byteCount(f, allowUnlimited: false)
            case "memswap_limit": s.memswapLimit = try byteCount(f, allowUnlimited: true)
            case "cpus": s.cpus = try cpus(f)
            case "pids_limit": s.pidsLimit = try f.int(in: -1...Int.max, "an integer (-1 for unlimited)")
            default: s.other[entry.key] = try f.configValue()
            }
        }
        return s
    }

    /// The service keys decoded into typed fields; a null value leaves them unset.
    static let typedServiceKeys: Set<String> = [
        "image", "command", "entrypoint", "environment", "ports", "volumes", "networks",
        "depends_on", "healthcheck", "restart", "user", "working_dir", "labels", "cap_add",
        "cap_drop", "security_opt", "privileged", "network_mode", "pid", "ipc", "uts",
        "userns_mode", "cgroup", "cgroup_parent", "runtime", "devices", "device_cgroup_rules",
        "sysctls", "oom_kill_disable", "mem_limit", "memswap_limit", "cpus", "pids_limit",
    ]

    /// Scalars of a list, as written (`[sleep, 10]` gives `sleep`, `10`).
    static func words(_ field: YAMLField, _ what: String) throws -> [String] {
        try field.sequence(what).map { item in
            guard let text = try item.scalarText() else { throw item.expected("a string") }
            return text
        }
    }

    static func command(_ field: YAMLField) throws -> ComposeCommand {
        if field.node.sequenceItems != nil {
            return .exec(try words(field, "a string or a list of strings"))
        }
        return .shell(try field.string("a string or a list of strings"))
    }

    static func environment(_ field: YAMLField) throws -> [String: String?] {
        var result: [String: String?] = [:]
        if let entries = try? field.mapping() {
            for entry in entries {
                try checkVariableName(entry.key, at: entry.value)
                result[entry.key] = .some(try entry.value.scalarText("a scalar value or null"))
            }
            return result
        }
        for item in try field.sequence("a list of NAME=value strings or a mapping") {
            let text = try item.string("a NAME=value string")
            if let equals = text.firstIndex(of: "=") {
                let name = String(text[..<equals])
                try checkVariableName(name, at: item)
                result[name] = .some(String(text[text.index(after: equals)...]))
            } else {
                try checkVariableName(text, at: item)
                result[text] = .some(nil)
            }
        }
        return result
    }

    private static func checkVariableName(_ name: String, at field: YAMLField) throws {
        guard !name.isEmpty, !name.contains("="), !name.hasControlCharacters() else {
            throw field.error("expected an environment variable name, found \"\(name)\"")
        }
    }

    /// `k=v` strings or a mapping; `nullAs` is the value for `k` alone or a null value
    /// (`nil` makes them errors).
    static func keyValues(_ field: YAMLField, nullAs: String?) throws -> [String: String] {
        var result: [String: String] = [:]
        if let entries = try? field.mapping() {
            for entry in entries {
                guard let value = try entry.value.scalarText("a scalar value") ?? nullAs else {
                    throw entry.value.expected("a scalar value")
                }
                result[entry.key] = value
            }
            return result
        }
        for item in try field.sequence("a list of key=value strings or a mapping") {
            let text = try item.string("a key=value string")
            if let equals = text.firstIndex(of: "="), equals != text.startIndex {
                result[String(text[..<equals])] = String(text[text.index(after: equals)...])
            } else if let nullAs, !text.isEmpty, !text.hasPrefix("=") {
                result[text] = nullAs
            } else {
                throw item.error("expected a key=value string, found \"\(text)\"")
            }
        }
        return result
    }

    /// Names from a list of strings or the keys of a mapping, in document order.
    static func names(_ field: YAMLField) throws -> [String] {
        if let entries = try? field.mapping() { return entries.map(\.key) }
        return try field.strings("a list of names or a mapping")
    }

    static func devices(_ field: YAMLField) throws -> [String] {
        try field.sequence("a list of devices").map { item in
            if item.node.mappingPairs != nil {
                guard let source = try item.mapping().first(where: { $0.key == "source" }) else {
                    throw item.error("a device mapping needs a source")
                }
                return try source.value.string()
            }
            return try item.string("a device string or mapping")
        }
    }

    static func byteCount(_ field: YAMLField, allowUnlimited: Bool) throws -> Int64 {
        let what = "an amount of memory such as 512m, 1g or a number of bytes"
        switch try field.scalar() {
        case .int(let value)?:
            if value >= 0 || (allowUnlimited && value == -1) { return Int64(value) }
        case .string(let text)?:
            if let bytes = ByteCount.parse(text) { return bytes }
            if allowUnlimited, text == "-1" { return -1 }
        default:
            throw field.expected(what)
        }
        throw field.error("expected \(what), found \"\(field.node.scalarText ?? "")\"")
    }

    static func cpus(_ field: YAMLField) throws -> Double {
        let what = "a number of CPUs"
        let value: Double
        switch try field.scalar() {
        case .int(let i)?: value = Double(i)
        case .double(let d)?: value = d
        case .string(let text)?:
            guard let parsed = Double(text) else { throw field.error("expected \(what), found \"\(text)\"") }
            value = parsed
        default: throw field.expected(what)
        }
        guard value.isFinite, value >= 0 else { throw field.error("expected \(what), found \(value)") }
        return value
    }

    // MARK: Healthcheck

    static let healthcheckKeys: Set<String> = ["test", "interval", "timeout", "retries", "start_period",
                                                "start_interval", "disable"]

    static func healthcheck(_ field: YAMLField) throws -> ComposeHealthcheck {
        var check = ComposeHealthcheck()
        for entry in try field.mapping("a healthcheck mapping") {
            let f = entry.value
            guard healthcheckKeys.contains(entry.key) || entry.key.hasPrefix("x-") else {
                throw StackError(.composeInvalid,
                                 "\(entry.keyNode.mark): \(f.path): unsupported healthcheck key",
                                 hint: "supported: \(healthcheckKeys.sorted().joined(separator: ", "))")
            }
            guard !f.isNull else { continue }
            switch entry.key {
            case "test":
                if f.node.sequenceItems != nil {
                    check.test = try words(f, "a string or a list of strings")
                } else {
                    check.test = ["CMD-SHELL", try f.string("a string or a list of strings")]
                }
            case "interval": check.interval = try f.string("a duration such as 30s")
            case "timeout": check.timeout = try f.string("a duration such as 30s")
            case "start_period": check.startPeriod = try f.string("a duration such as 30s")
            case "start_interval": check.startInterval = try f.string("a duration such as 5s")
            case "retries": check.retries = try f.int(in: 0...Int.max, "a non-negative integer")
            case "disable": check.disable = try f.bool()
            default: break
            }
        }
        return check
    }

    // MARK: Ports

    static let portLongKeys: Set<String> = ["target", "published", "host_ip", "protocol", "mode", "name", "app_protocol"]

    static func port(_ field: YAMLField) throws -> ComposePort {
        switch try field.scalar() {
        case .int(let value)?:
            guard (1...65_535).contains(value) else { throw field.error("expected a port from 1 to 65535, found \(value)") }
            return ComposePort(target: value)
        case .string(let text)?:
            return try shortPort(text, field)
        case nil where field.node.mappingPairs != nil:
            return try longPort(field)
        default:
            throw field.expected("a port: a number, a \"[host_ip:][published:]target[/protocol]\" string or a mapping")
        }
    }

    static func shortPort(_ text: String, _ field: YAMLField) throws -> ComposePort {
        func invalid(_ why: String) -> StackError {
            field.error("\(why) in \"\(text)\"; expected [host_ip:][published:]target[/protocol]")
        }
        var spec = Substring(text)
        var proto = "tcp"
        if let slash = spec.lastIndex(of: "/") {
            proto = String(spec[spec.index(after: slash)...]).lowercased()
            spec = spec[..<slash]
        }
        guard ["tcp", "udp", "sctp"].contains(proto) else { throw invalid("unknown protocol \"\(proto)\"") }
        var hostIP: String?
        var parts: [Substring]
        if spec.hasPrefix("[") {
            guard let close = spec.firstIndex(of: "]") else { throw invalid("an unclosed [") }
            hostIP = String(spec[spec.index(after: spec.startIndex)..<close])
            let rest = spec[spec.index(after: close)...]
            guard rest.hasPrefix(":") else { throw invalid("no port after the host address") }
            parts = rest.dropFirst().split(separator: ":", omittingEmptySubsequences: false)
            guard parts.count == 2 else { throw invalid("expected published:target after the host address") }
        } else {
            parts = spec.split(separator: ":", omittingEmptySubsequences: false)
            if parts.count > 2 {
                hostIP = parts.dropLast(2).joined(separator: ":")
                parts = Array(parts.suffix(2))
            }
        }
        guard let targetText = parts.last else { throw invalid("no container port") }
        guard let target = portRange(targetText) else { throw invalid("a bad container port \"\(targetText)\"") }
        var published: String?
        if parts.count == 2, !parts[0].isEmpty {
            guard portRange(parts[0]) != nil else { throw invalid("a bad published port \"\(parts[0])\"") }
            published = String(parts[0])
        }
        if let ip = hostIP {
            guard !ip.isEmpty, ip.allSatisfy({ $0.isHexDigit || $0 == "." || $0 == ":" || $0 == "%" }) else {
                throw invalid("a bad host address \"\(ip)\"")
            }
        }
        return ComposePort(target: target.lowerBound, targetEnd: target.upperBound, published: published,
                           hostIP: hostIP, proto: proto)
    }

    /// `80` or `8000-8010`, each port 1…65535 (a published `0` is not accepted).
    static func portRange(_ text: Substring) -> ClosedRange<Int>? {
        let bounds = text.split(separator: "-", omittingEmptySubsequences: false)
        guard (1...2).contains(bounds.count),
              bounds.allSatisfy({ !$0.isEmpty && $0.count <= 5 && $0.allSatisfy(\.isASCIIDigitCharacter) }) else {
            return nil
        }
        let numbers = bounds.compactMap { Int($0) }
        guard numbers.count == bounds.count, let low = numbers.first, let high = numbers.last,
              low >= 1, high <= 65_535, low <= high else { return nil }
        return low...high
    }

    static func longPort(_ field: YAMLField) throws -> ComposePort {
        var target: Int?
        var port = ComposePort(target: 1)
        for entry in try field.mapping() {
            let f = entry.value
            guard portLongKeys.contains(entry.key) || entry.key.hasPrefix("x-") else {
                throw StackError(.composeInvalid, "\(entry.keyNode.mark): \(f.path): unsupported port key",
                                 hint: "supported: \(portLongKeys.sorted().joined(separator: ", "))")
            }
            guard !f.isNull else { continue }
            switch entry.key {
            case "target":
                let text = try f.string("a container port")
                guard let range = portRange(Substring(text)), range.count == 1 else {
                    throw f.error("expected a container port from 1 to 65535, found \"\(text)\"")
                }
                target = range.lowerBound
            case "published":
                let text = try f.string("a published port or range")
                guard portRange(Substring(text)) != nil else {
                    throw f.error("expected a published port or range such as 8080 or 8000-8010, found \"\(text)\"")
                }
                port.published = text
            case "host_ip": port.hostIP = try f.string("a host address")
            case "protocol":
                let proto = try f.string("tcp or udp").lowercased()
                guard ["tcp", "udp", "sctp"].contains(proto) else { throw f.error("expected tcp or udp, found \"\(proto)\"") }
                port.proto = proto
            case "mode":
                let mode = try f.string("host or ingress")
                guard mode == "host" || mode == "ingress" else { throw f.error("expected host or ingress, found \"\(mode)\"") }
            default:
                _ = try f.string()
            }
        }
        guard let target else { throw field.error("a long-syntax port needs a target") }
        port.target = target
        port.targetEnd = target
        return port
    }

    // MARK: Mounts

    static func mount(_ field: YAMLField) throws -> ComposeMount {
        if field.node.mappingPairs != nil { return try longMount(field) }
        return try shortMount(try field.string("a mount string or mapping"), field)
    }

    static func shortMount(_ text: String, _ field: YAMLField) throws -> ComposeMount {
        func invalid(_ why: String) -> StackError {
            field.error("\(why) in \"\(text)\"; expected [source:]target[:mode]")
        }
        let parts = text.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        guard parts.allSatisfy({ !$0.isEmpty }), (1...3).contains(parts.count) else { throw invalid("a malformed mount") }
        if parts.count == 1 {
            guard text.hasPrefix("/") else { throw invalid("an anonymous volume needs an absolute container path") }
            return ComposeMount(type: .volume, source: nil, target: text)
        }
        let source = parts[0], target = parts[1]
        guard target.hasPrefix("/") else { throw invalid("the container path must be absolute") }
        let isBind = source.hasPrefix("/") || source.hasPrefix(".") || source.hasPrefix("~")
        var mount = ComposeMount(type: isBind ? .bind : .volume, source: source, target: target)
        guard parts.count == 3 else { return mount }
        var bind: [String: ConfigValue] = [:]
        var volume: [String: ConfigValue] = [:]
        for option in parts[2].split(separator: ",", omittingEmptySubsequences: false) {
            switch option {
            case "ro": mount.readOnly = true
            case "rw": mount.readOnly = false
            case "z", "Z": bind["selinux"] = .string(String(option))
            case "shared", "rshared", "slave", "rslave", "private", "rprivate":
                bind["propagation"] = .string(String(option))
            case "nocopy": volume["nocopy"] = .bool(true)
            case "cached", "delegated", "consistent": mount.options["consistency"] = .string(String(option))
            default: throw invalid("an unknown mount option \"\(option)\"")
            }
        }
        if !bind.isEmpty { mount.options["bind"] = .object(bind) }
        if !volume.isEmpty { mount.options["volume"] = .object(volume) }
        return mount
    }

    static func longMount(_ field: YAMLField) throws -> ComposeMount {
        var kind: ComposeMount.Kind?
        var source: String?
        var target: String?
        var readOnly = false
        var options: [String: ConfigValue] = [:]
        for entry in try field.mapping() {
            let f = entry.value
            switch entry.key {
            case "type":
                let text = try f.string("a mount type")
                guard let parsed = ComposeMount.Kind(rawValue: text) else {
                    let kinds = ComposeMount.Kind.allCases.map(\.rawValue).joined(separator: ", ")
                    throw f.error("expected one of \(kinds), found \"\(text)\"")
                }
                kind = parsed
            case "source": source = f.isNull ? nil : try f.string()
            case "target": target = f.isNull ? nil : try f.string()
            case "read_only": readOnly = f.isNull ? false : try f.bool()
            default: options[entry.key] = try f.configValue()
            }
        }
        guard let kind else { throw field.error("a long-syntax mount needs a type") }
        guard let target, !target.isEmpty else { throw field.error("a long-syntax mount needs a target") }
        if kind == .bind, source?.isEmpty ?? true { throw field.error("a bind mount needs a source") }
        return ComposeMount(type: kind, source: source, target: target, readOnly: readOnly, options: options)
    }
}

extension Character {
    fileprivate var isASCIIDigitCharacter: Bool { isASCII && isNumber }
}
