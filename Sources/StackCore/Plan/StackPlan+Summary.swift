extension StackPlan {
    /// The plan in plain words, one line each: what approval shows on a terminal, in the
    /// queue and in `bundle verify`. With `changes`, what changed since the last approved
    /// plan comes first, privilege-raising changes marked.
    /// - Parameters:
    ///   - changes: The diff against the last approved plan, if there was one.
    ///   - findings: Whether to end with the findings (callers that list them on their
    ///     own pass `false`).
    /// - Returns: The lines.
    public func summary(changes: [PlanChange]? = nil, findings includeFindings: Bool = true) -> [String] {
        var lines: [String] = []
        lines.append("stack:      \(name) \(version)\(title.map { " (\($0))" } ?? "")")
        if let publisher { lines.append("publisher:  \(publisher)") }
        if let publisherKeyID { lines.append("signed by:  key \(publisherKeyID)") }
        if let bundleDigest { lines.append("sha256:     \(bundleDigest)") }
        if let changes {
            if changes.isEmpty {
                lines.append("changes:    none since the plan you approved before")
            } else {
                lines.append("changes since the plan you approved before:")
                for change in changes { lines.append("  \(change.raisesPrivilege ? "!" : "-") \(change)") }
            }
        }
        lines.append("egress:     \(egress ? "REQUESTED: the stack asks to reach the internet" : "none: no route out of this machine")")
        for service in services {
            let r = service.resources
            lines.append("service \(service.name): image \(service.image), user \(service.user ?? "(image default)")")
            lines.append("  limits:   cpus \(r.cpus), memory \(ScanPass.bytes(Double(r.memory))), pids \(r.pids)")
            for port in service.ports { lines.append("  port:     \(port.description)") }
            for mount in service.mounts {
                let place = mount.kind == .volume || mount.kind == .anonymous ? " [stored in volumes/\(name)/\(mount.source ?? "")/]" : ""
                lines.append("  mount:    \(mount.description)\(place)")
            }
            lines.append("  capabilities: \(service.capabilities.isEmpty ? "none (all dropped)" : "only " + service.capabilities.joined(separator: ", "))")
            switch service.network {
            case .stack: lines.append("  network:  the stack's own network\(service.ports.isEmpty ? "" : ", ports on 127.0.0.1 only")")
            case .none: lines.append("  network:  none")
            case .service(let other): lines.append("  network:  shares \(other)'s")
            }
        }
        if includeFindings {
            lines += findings.groupedLines
        }
        return lines
    }
}
