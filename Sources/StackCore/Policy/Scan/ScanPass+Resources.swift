

extension ScanPass {
    /// The three resources the policy caps.
    enum Resource: String {
        case cpus, memory, pids
    }

    /// Judges one resource value against the policy: over the cap or unlimited (`≤ 0`, which
    /// the engine reads as "no limit") is critical, over half the cap a warning.
    mutating func judge(_ resource: Resource, _ value: Double, unlimitedAllowed: Bool = false,
                        at location: String, label: String) {
        let cap: Double
        let shown: (Double) -> String
        switch resource {
        case .cpus:
            cap = policy.maxCPUs
            shown = { "\($0)" }
        case .memory:
            cap = Double(policy.maxMemory)
            shown = { Self.bytes($0) }
        case .pids:
            cap = Double(policy.maxPids)
            shown = { "\(Int64($0))" }
        }
        if resource == .memory, value > 0, value < Double(Self.minimumMemory) {
            critical(ComposePolicyScanner.Code.resources,
                     "\(label) \(shown(value)) is below the engine's minimum of 6m", at: location)
        } else if value <= 0, !unlimitedAllowed {
            critical(ComposePolicyScanner.Code.resources,
                     "\(label) \(shown(value)) means unlimited; the cap is \(shown(cap))", at: location)
        } else if value > cap {
            critical(ComposePolicyScanner.Code.resources,
                     "\(label) \(shown(value)) is above the cap of \(shown(cap))", at: location)
        } else if value > cap / 2 {
            warning(ComposePolicyScanner.Code.largeResources,
                    "\(label) \(shown(value)) is more than half of the cap of \(shown(cap))", at: location)
        }
    }

    /// The smallest memory limit the engine accepts.
    static let minimumMemory: Int64 = 6 << 20

    static func bytes(_ value: Double) -> String {
        let mib = value / 1_048_576
        if mib >= 1_024, (mib / 1_024).rounded() == mib / 1_024 { return "\(Int64(mib / 1_024))g" }
        if mib >= 1, mib.rounded() == mib { return "\(Int64(mib))m" }
        return "\(Int64(value)) bytes"
    }

    mutating func scanResources(service s: ComposeService, _ loc: (String) -> String) {
        if let cpus = s.cpus { judge(.cpus, cpus, at: loc(".cpus"), label: "cpus") }
        if let memory = s.memLimit { judge(.memory, Double(memory), at: loc(".mem_limit"), label: "mem_limit") }
        if let pids = s.pidsLimit { judge(.pids, Double(pids), at: loc(".pids_limit"), label: "pids_limit") }
    }

    /// `deploy.resources.limits` and `.reservations` (`cpus`, `memory`, `pids`), and the
    /// device reservations (GPUs and other devices).
    mutating func scanDeploy(_ deploy: ConfigValue, at path: String) {
        guard let resources = deploy["resources"] else { return }
        for kind in ["limits", "reservations"] {
            guard let block = resources[kind] else { continue }
            let reservation = kind == "reservations"
            let base = "\(path).resources.\(kind)"
            if reservation {
                // Reservations schedule Swarm tasks; the renderer does not use them.
                let over = [("cpus", block["cpus"]?.numberValue, policy.maxCPUs),
                            ("memory", block["memory"]?.byteValue.map(Double.init), Double(policy.maxMemory)),
                            ("pids", block["pids"]?.numberValue, Double(policy.maxPids))]
                for (key, value, cap) in over {
                    if let value, value > cap {
                        warning(ComposePolicyScanner.Code.reservationIgnored,
                                "reservation \(key) is above the cap; reservations are not used", at: composeLocation("\(base).\(key)"))
                    }
                }
            } else {
                if let value = block["cpus"]?.numberValue {
                    judge(.cpus, value, at: composeLocation(base + ".cpus"), label: "\(kind).cpus")
                }
                if let value = block["memory"]?.byteValue {
                    judge(.memory, Double(value), at: composeLocation(base + ".memory"), label: "\(kind).memory")
                }
                if let value = block["pids"]?.numberValue {
                    judge(.pids, value, at: composeLocation(base + ".pids"), label: "\(kind).pids")
                }
            }
            for (i, device) in (block["devices"]?.arrayValue ?? []).enumerated() {
                let location = composeLocation("\(base).devices[\(i)]")
                let capabilities = (device["capabilities"]?.stringList ?? []).map { $0.lowercased() }
                let isGPU = capabilities.contains("gpu")
                    || device["driver"]?.stringValue?.lowercased() == "nvidia"
                if isGPU {
                    if !policy.allowGPUs {
                        critical(ComposePolicyScanner.Code.gpus, "a GPU reservation needs GPUs to be allowed", at: location)
                    }
                } else {
                    critical(ComposePolicyScanner.Code.devices, "a device reservation maps host devices", at: location)
                }
            }
        }
    }
}
