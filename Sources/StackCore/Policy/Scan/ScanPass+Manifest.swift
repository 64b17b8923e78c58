

extension ScanPass {
    mutating func scanManifest() {
        typealias Code = ComposePolicyScanner.Code
        for (i, capability) in manifest.capabilities.enumerated() {
            let normal = Self.normaliseCapability(capability)
            guard normal == "ALL" || !allowedCapabilities.contains(normal) else { continue }
            critical(Code.capability, "capability \(normal) is not in the allowlist", at: manifestLocation("capabilities[\(i)]"))
        }
        if let cpus = manifest.resources.cpus {
            judge(.cpus, cpus, at: manifestLocation("resources.cpus"), label: "cpus")
        }
        if let memory = manifest.resources.memory {
            judge(.memory, Double(memory), at: manifestLocation("resources.memory"), label: "memory")
        }
        if let pids = manifest.resources.pids {
            judge(.pids, Double(pids), at: manifestLocation("resources.pids"), label: "pids")
        }
        for (i, port) in manifest.ports.enumerated() {
            let location = manifestLocation("ports[\(i)]")
            guard let service = compose.services[port.service] else {
                critical(Code.manifestPort, "port \(port.port) names service \(port.service), which the compose file does not have",
                         at: location)
                continue
            }
            if !service.ports.contains(where: { ($0.target...$0.targetEnd).contains(port.port) }) {
                warning(Code.portUnpublished, "service \(port.service) does not publish port \(port.port)", at: location)
            }
        }
        if manifest.network.egress {
            // A warning, not info: egress is a decision the user makes at approval.
            warning(Code.egressRequested, "the stack asks for a route out of the machine", at: manifestLocation("network.egress"))
        }
    }

    /// Native-binary and launcher suffixes flagged even without an execute bit: they are
    /// what a person might double-click in the unpacked folder. Scripts (`.sh`, `.py`) are
    /// normal in stacks and are flagged only with an execute bit.
    static let binarySuffixes = [
        ".exe", ".dll", ".so", ".dylib", ".bat", ".cmd", ".com", ".msi", ".scr", ".command", ".pkg", ".dmg",
    ]

    mutating func scanEntries() {
        typealias Code = ComposePolicyScanner.Code
        for entry in entries {
            let components = entry.path.split(separator: "/")
            guard let last = components.last else { continue }
            if last.hasPrefix("._") || last == ".DS_Store" || components.contains("__MACOSX") {
                warning(Code.appleDouble, "macOS metadata file; rebuild the bundle without it", at: entry.path)
            }
            guard entry.kind == .file else { continue }
            let lower = last.lowercased()
            if entry.mode & 0o111 != 0 {
                warning(Code.executable, "file is executable (mode \(String(entry.mode, radix: 8)))", at: entry.path)
            } else if Self.binarySuffixes.contains(where: { lower.hasSuffix($0) }) || lower.contains(".so.") {
                warning(Code.executable, "file looks like a native program or library", at: entry.path)
            }
        }
    }
}
