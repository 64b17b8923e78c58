/// One difference between two ``StackPlan``s, as an update shows it (DESIGN §1).
public struct PlanChange: Sendable, Hashable, Codable, CustomStringConvertible {
    /// What changed.
    public enum Kind: String, Sendable, Hashable, Codable, CaseIterable {
        case serviceAdded = "service_added"
        case serviceRemoved = "service_removed"
        case imageChanged = "image_changed"
        case commandChanged = "command_changed"
        case userChanged = "user_changed"
        case environmentChanged = "environment_changed"
        case portAdded = "port_added"
        case portRemoved = "port_removed"
        case mountAdded = "mount_added"
        case mountRemoved = "mount_removed"
        case mountMadeWritable = "mount_made_writable"
        case capabilityAdded = "capability_added"
        case capabilityRemoved = "capability_removed"
        case limitRaised = "limit_raised"
        case limitLowered = "limit_lowered"
        case networkChanged = "network_changed"
        case egressEnabled = "egress_enabled"
        case egressDisabled = "egress_disabled"
        case optionChanged = "option_changed"
    }

    /// What changed.
    public var kind: Kind
    /// The service it concerns, or `nil` for the whole stack.
    public var service: String?
    /// The change in words (`port 127.0.0.1:8443->443/tcp`).
    public var detail: String
    /// Whether the new plan grants more than the old one: a new port, mount, capability,
    /// route out, higher limit, a service that brings any of these, or a switch to root.
    /// A trusted stack still asks when an update raises a privilege.
    public var raisesPrivilege: Bool

    public init(kind: Kind, service: String?, detail: String, raisesPrivilege: Bool) {
        self.kind = kind
        self.service = service
        self.detail = detail
        self.raisesPrivilege = raisesPrivilege
    }

    /// `+ web: port 127.0.0.1:8443->443/tcp (raises privilege)`.
    public var description: String {
        "\(service.map { "\($0): " } ?? "")\(kind.rawValue.replacingOccurrences(of: "_", with: " ")): \(detail)"
            + (raisesPrivilege ? " (raises privilege)" : "")
    }
}

extension StackPlan {
    /// What changes from this plan to `newer`, service by service, in a stable order.
    /// - Parameter newer: The plan that would replace this one.
    /// - Returns: The changes; empty when the two grant and run the same.
    public func diff(to newer: StackPlan) -> [PlanChange] {
        var changes: [PlanChange] = []
        if !egress && newer.egress {
            changes.append(PlanChange(kind: .egressEnabled, service: nil, detail: "the stack may reach the internet",
                                      raisesPrivilege: true))
        } else if egress && !newer.egress {
            changes.append(PlanChange(kind: .egressDisabled, service: nil, detail: "no more route out", raisesPrivilege: false))
        }
        let names = Set(services.map(\.name)).union(newer.services.map(\.name)).sorted()
        for name in names {
            switch (service(name), newer.service(name)) {
            case (nil, let added?):
                let grants = !added.ports.isEmpty || !added.capabilities.isEmpty
                    || added.mounts.contains { !$0.readOnly && $0.kind != .tmpfs }
                changes.append(PlanChange(kind: .serviceAdded, service: name, detail: "image \(added.image)",
                                          raisesPrivilege: grants))
                changes += Self.grants(of: added)
            case (let removed?, nil):
                changes.append(PlanChange(kind: .serviceRemoved, service: name, detail: "image \(removed.image)",
                                          raisesPrivilege: false))
            case (let old?, let new?):
                changes += Self.diff(old, new)
            case (nil, nil):
                continue
            }
        }
        return changes
    }

    /// The grants of a new service, each as its own change (so approval lists them).
    private static func grants(of service: Service) -> [PlanChange] {
        var changes: [PlanChange] = []
        for port in service.ports {
            changes.append(PlanChange(kind: .portAdded, service: service.name, detail: "port \(port.description)", raisesPrivilege: true))
        }
        for cap in service.capabilities {
            changes.append(PlanChange(kind: .capabilityAdded, service: service.name, detail: "capability \(cap)", raisesPrivilege: true))
        }
        for mount in service.mounts where mount.kind != .tmpfs {
            changes.append(PlanChange(kind: .mountAdded, service: service.name, detail: mount.description,
                                      raisesPrivilege: !mount.readOnly))
        }
        return changes
    }

    private static func diff(_ old: Service, _ new: Service) -> [PlanChange] {
        let name = new.name
        var changes: [PlanChange] = []
        func add(_ kind: PlanChange.Kind, _ detail: String, raises: Bool) {
            changes.append(PlanChange(kind: kind, service: name, detail: detail, raisesPrivilege: raises))
        }
        if old.image != new.image { add(.imageChanged, "\(old.image) -> \(new.image)", raises: false) }
        if old.command != new.command || old.entrypoint != new.entrypoint || old.workingDir != new.workingDir {
            add(.commandChanged, "command, entrypoint or working directory", raises: false)
        }
        if old.user != new.user {
            let toRoot = ScanPass.isRootUser(new.user) && !ScanPass.isRootUser(old.user)
            add(.userChanged, "\(old.user ?? "(image default)") -> \(new.user ?? "(image default)")", raises: toRoot)
        }
        if old.environment != new.environment {
            let added = Set(new.environment.keys).subtracting(old.environment.keys).sorted()
            let removed = Set(old.environment.keys).subtracting(new.environment.keys).sorted()
            var parts: [String] = []
            if !added.isEmpty { parts.append("added \(added.joined(separator: ", "))") }
            if !removed.isEmpty { parts.append("removed \(removed.joined(separator: ", "))") }
            if parts.isEmpty { parts.append("values changed") }
            add(.environmentChanged, parts.joined(separator: "; "), raises: false)
        }
        for port in new.ports where !old.ports.contains(port) {
            add(.portAdded, "port \(port.description)", raises: true)
        }
        for port in old.ports where !new.ports.contains(port) {
            add(.portRemoved, "port \(port.description)", raises: false)
        }
        for mount in new.mounts where mount.kind != .tmpfs {
            let sameTarget = old.mounts.first { $0.kind == mount.kind && $0.source == mount.source && $0.target == mount.target }
            if let before = sameTarget {
                if before.readOnly && !mount.readOnly { add(.mountMadeWritable, mount.description, raises: true) }
            } else {
                add(.mountAdded, mount.description, raises: !mount.readOnly || mount.kind == .volume)
            }
        }
        for mount in old.mounts where mount.kind != .tmpfs
            && !new.mounts.contains(where: { $0.kind == mount.kind && $0.source == mount.source && $0.target == mount.target }) {
            add(.mountRemoved, mount.description, raises: false)
        }
        for cap in new.capabilities where !old.capabilities.contains(cap) { add(.capabilityAdded, "capability \(cap)", raises: true) }
        for cap in old.capabilities where !new.capabilities.contains(cap) { add(.capabilityRemoved, "capability \(cap)", raises: false) }
        let limits: [(String, Double, Double, (Double) -> String)] = [
            ("cpus", old.resources.cpus, new.resources.cpus, { "\($0)" }),
            ("memory", Double(old.resources.memory), Double(new.resources.memory), { ScanPass.bytes($0) }),
            ("pids", Double(old.resources.pids), Double(new.resources.pids), { "\(Int64($0))" }),
        ]
        for (label, before, after, shown) in limits where before != after {
            add(after > before ? .limitRaised : .limitLowered, "\(label) \(shown(before)) -> \(shown(after))",
                raises: after > before)
        }
        if old.network != new.network {
            add(.networkChanged, "\(Self.describe(old.network)) -> \(Self.describe(new.network))",
                raises: old.network == .none)
        }
        if old.options != new.options || old.initProcess != new.initProcess || old.healthcheck != new.healthcheck
            || old.labels != new.labels || old.dependsOn != new.dependsOn || old.restart != new.restart {
            let keys = Set(old.options.keys).union(new.options.keys).filter { old.options[$0] != new.options[$0] }.sorted()
            add(.optionChanged, keys.isEmpty ? "healthcheck, labels, init or start order" : keys.joined(separator: ", "),
                raises: false)
        }
        return changes
    }

    static func describe(_ network: Network) -> String {
        switch network {
        case .stack: "the stack's network"
        case .none: "no network"
        case .service(let other): "the network of \(other)"
        }
    }
}
