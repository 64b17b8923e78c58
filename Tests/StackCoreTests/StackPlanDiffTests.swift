import Foundation
import StackCore
import StackTestSupport
import Testing

@Suite("Stack plan diff")
struct StackPlanDiffTests {
    typealias Kind = PlanChange.Kind
    typealias Mutation = @Sendable (inout StackPlan) -> Void

    static let limits = StackPlan.Resources(cpus: 1, memory: 512 << 20, pids: 256)

    /// `web`: image web:1, user 1000, 127.0.0.1:8080->80/tcp, volume data -> /data
    /// (read-write), bundle conf -> /etc/app (read-only), 1 cpu, 512m, 256 pids.
    static func basePlan() throws -> StackPlan {
        let version = try #require(SemanticVersion("1.0.0"))
        let web = StackPlan.Service(
            name: "web", image: "web:1", user: "1000",
            ports: [StackPlan.Port(hostPort: "8080", containerPort: 80, proto: "tcp")],
            mounts: [
                StackPlan.Mount(kind: .volume, source: "data", target: "/data", readOnly: false),
                StackPlan.Mount(kind: .bundle, source: "conf", target: "/etc/app", readOnly: true),
            ],
            resources: limits)
        return StackPlan(name: "demo", version: version, services: [web], volumes: ["data"])
    }

    struct DiffCase: Sendable, CustomTestStringConvertible {
        let name: String
        /// Applied to both plans first (sets up the old state).
        let before: Mutation
        /// Applied to the newer plan only.
        let after: Mutation
        let kinds: [Kind]
        let raises: [Bool]
        /// The exact detail of the first change, when checked.
        let detail: String?

        init(_ name: String, before: @escaping Mutation = { _ in }, _ after: @escaping Mutation,
             _ kinds: [Kind], raises: [Bool], detail: String? = nil) {
            self.name = name
            self.before = before
            self.after = after
            self.kinds = kinds
            self.raises = raises
            self.detail = detail
        }

        var testDescription: String { name }
    }

    static let cases: [DiffCase] = [
        // Services.
        DiffCase("service added with a port", {
            $0.services.insert(StackPlan.Service(
                name: "api", image: "api:1",
                ports: [StackPlan.Port(hostPort: "9090", containerPort: 90)], resources: limits), at: 0)
        }, [.serviceAdded, .portAdded], raises: [true, true], detail: "image api:1"),
        DiffCase("service added with nothing granted", {
            $0.services.append(StackPlan.Service(name: "worker", image: "worker:1", resources: limits))
        }, [.serviceAdded], raises: [false], detail: "image worker:1"),
        DiffCase("service added with a read-only bundle mount and a tmpfs", {
            $0.services.append(StackPlan.Service(
                name: "worker", image: "worker:1",
                mounts: [
                    StackPlan.Mount(kind: .bundle, source: "static", target: "/srv", readOnly: true),
                    StackPlan.Mount(kind: .tmpfs, source: nil, target: "/tmp", readOnly: false),
                ],
                resources: limits))
        }, [.serviceAdded, .mountAdded], raises: [false, false]),
        DiffCase("service added with a capability and a writable volume", {
            $0.services.append(StackPlan.Service(
                name: "worker", image: "worker:1",
                mounts: [StackPlan.Mount(kind: .volume, source: "data", target: "/data", readOnly: false)],
                capabilities: ["NET_ADMIN"], resources: limits))
        }, [.serviceAdded, .capabilityAdded, .mountAdded], raises: [true, true, true]),
        DiffCase("service removed", { $0.services.removeAll() },
                 [.serviceRemoved], raises: [false], detail: "image web:1"),
        // What runs.
        DiffCase("image changed", { $0.services[0].image = "web:2" },
                 [.imageChanged], raises: [false], detail: "web:1 -> web:2"),
        DiffCase("command changed", { $0.services[0].command = .exec(["serve", "--fast"]) },
                 [.commandChanged], raises: [false]),
        DiffCase("entrypoint changed", { $0.services[0].entrypoint = .shell("/bin/start") },
                 [.commandChanged], raises: [false]),
        DiffCase("working directory changed", { $0.services[0].workingDir = "/app" },
                 [.commandChanged], raises: [false]),
        DiffCase("user changed to root (0)", { $0.services[0].user = "0" },
                 [.userChanged], raises: [true], detail: "1000 -> 0"),
        DiffCase("user changed to root (root:root)", { $0.services[0].user = "root:root" },
                 [.userChanged], raises: [true]),
        DiffCase("user changed to the image default", { $0.services[0].user = nil },
                 [.userChanged], raises: [true], detail: "1000 -> (image default)"),
        DiffCase("user changed to 2000", { $0.services[0].user = "2000" },
                 [.userChanged], raises: [false], detail: "1000 -> 2000"),
        DiffCase("user changed from root to 2000", before: { $0.services[0].user = "0" },
                 { $0.services[0].user = "2000" }, [.userChanged], raises: [false]),
        DiffCase("environment variable added", { $0.services[0].environment = ["LOG": "debug"] },
                 [.environmentChanged], raises: [false], detail: "added LOG"),
        DiffCase("environment value changed", before: { $0.services[0].environment = ["LOG": "info"] },
                 { $0.services[0].environment = ["LOG": "debug"] },
                 [.environmentChanged], raises: [false], detail: "values changed"),
        // Ports.
        DiffCase("port added", { $0.services[0].ports.append(StackPlan.Port(hostPort: "8443", containerPort: 443)) },
                 [.portAdded], raises: [true], detail: "port 127.0.0.1:8443->443/tcp"),
        DiffCase("port removed", { $0.services[0].ports.removeAll() },
                 [.portRemoved], raises: [false], detail: "port 127.0.0.1:8080->80/tcp"),
        DiffCase("port moved to another host port", { $0.services[0].ports[0].hostPort = "8081" },
                 [.portAdded, .portRemoved], raises: [true, false], detail: "port 127.0.0.1:8081->80/tcp"),
        // Mounts.
        DiffCase("read-write volume mount added", {
            $0.services[0].mounts.append(StackPlan.Mount(kind: .volume, source: "cache", target: "/cache", readOnly: false))
        }, [.mountAdded], raises: [true], detail: "volume cache -> /cache (read-write)"),
        DiffCase("read-only volume mount added", {
            $0.services[0].mounts.append(StackPlan.Mount(kind: .volume, source: "cache", target: "/cache", readOnly: true))
        }, [.mountAdded], raises: [true], detail: "volume cache -> /cache (read-only)"),
        DiffCase("read-only bundle mount added", {
            $0.services[0].mounts.append(StackPlan.Mount(kind: .bundle, source: "static", target: "/srv", readOnly: true))
        }, [.mountAdded], raises: [false], detail: "bundle file static -> /srv (read-only)"),
        DiffCase("tmpfs added", {
            $0.services[0].mounts.append(StackPlan.Mount(kind: .tmpfs, source: nil, target: "/tmp", readOnly: false))
        }, [], raises: []),
        DiffCase("bundle mount made writable", { $0.services[0].mounts[1].readOnly = false },
                 [.mountMadeWritable], raises: [true], detail: "bundle file conf -> /etc/app (read-write)"),
        DiffCase("mount removed", { _ = $0.services[0].mounts.removeLast() },
                 [.mountRemoved], raises: [false], detail: "bundle file conf -> /etc/app (read-only)"),
        // Capabilities.
        DiffCase("capability added", { $0.services[0].capabilities = ["NET_BIND_SERVICE"] },
                 [.capabilityAdded], raises: [true], detail: "capability NET_BIND_SERVICE"),
        DiffCase("capability removed", before: { $0.services[0].capabilities = ["CHOWN"] },
                 { $0.services[0].capabilities = [] },
                 [.capabilityRemoved], raises: [false], detail: "capability CHOWN"),
        // Limits.
        DiffCase("cpus raised", { $0.services[0].resources.cpus = 2 },
                 [.limitRaised], raises: [true], detail: "cpus 1.0 -> 2.0"),
        DiffCase("memory raised", { $0.services[0].resources.memory = 1 << 30 },
                 [.limitRaised], raises: [true], detail: "memory 512m -> 1g"),
        DiffCase("pids raised", { $0.services[0].resources.pids = 512 },
                 [.limitRaised], raises: [true], detail: "pids 256 -> 512"),
        DiffCase("cpus lowered", { $0.services[0].resources.cpus = 0.5 },
                 [.limitLowered], raises: [false], detail: "cpus 1.0 -> 0.5"),
        DiffCase("memory lowered", { $0.services[0].resources.memory = 256 << 20 },
                 [.limitLowered], raises: [false], detail: "memory 512m -> 256m"),
        DiffCase("pids lowered", { $0.services[0].resources.pids = 128 },
                 [.limitLowered], raises: [false], detail: "pids 256 -> 128"),
        DiffCase("every limit raised, in the order cpus, memory, pids", {
            $0.services[0].resources = StackPlan.Resources(cpus: 4, memory: 2 << 30, pids: 1024)
        }, [.limitRaised, .limitRaised, .limitRaised], raises: [true, true, true]),
        // Network.
        DiffCase("network from stack to none", { $0.services[0].network = .none },
                 [.networkChanged], raises: [false], detail: "the stack's network -> no network"),
        DiffCase("network from none to stack", before: { $0.services[0].network = .none },
                 { $0.services[0].network = .stack },
                 [.networkChanged], raises: [true], detail: "no network -> the stack's network"),
        DiffCase("network from stack to another service's", { $0.services[0].network = .service("db") },
                 [.networkChanged], raises: [false], detail: "the stack's network -> the network of db"),
        // Egress.
        DiffCase("egress enabled", { $0.egress = true },
                 [.egressEnabled], raises: [true], detail: "the stack may reach the internet"),
        DiffCase("egress disabled", before: { $0.egress = true }, { $0.egress = false },
                 [.egressDisabled], raises: [false], detail: "no more route out"),
        // Harmless settings.
        DiffCase("option changed", { $0.services[0].options["stop_signal"] = .string("SIGINT") },
                 [.optionChanged], raises: [false], detail: "stop_signal"),
        DiffCase("labels changed", { $0.services[0].labels = ["team": "a"] },
                 [.optionChanged], raises: [false], detail: "healthcheck, labels, init or start order"),
        DiffCase("restart policy changed", { $0.services[0].restart = "always" },
                 [.optionChanged], raises: [false]),
        DiffCase("init process turned off", { $0.services[0].initProcess = false },
                 [.optionChanged], raises: [false]),
        DiffCase("start order changed", { $0.services[0].dependsOn = ["db"] },
                 [.optionChanged], raises: [false]),
        // Metadata is not a change of what runs or is granted.
        DiffCase("metadata only", {
            $0.title = "Demo"
            $0.publisher = "Example"
            $0.bundleDigest = String(repeating: "a", count: 64)
            $0.publisherKeyID = "key-1"
            $0.parameters = ["PORT": "8080"]
        }, [], raises: []),
        // Several at once, in the stable order.
        DiffCase("egress, image and port together", {
            $0.egress = true
            $0.services[0].image = "web:2"
            $0.services[0].ports.append(StackPlan.Port(hostPort: "8443", containerPort: 443))
        }, [.egressEnabled, .imageChanged, .portAdded], raises: [true, false, true]),
    ]

    @Test("each kind of change is reported with its privilege", arguments: cases)
    func diff(_ row: DiffCase) throws {
        var old = try Self.basePlan()
        row.before(&old)
        var new = old
        row.after(&new)
        let changes = old.diff(to: new)
        #expect(changes.map(\.kind) == row.kinds)
        #expect(changes.map(\.raisesPrivilege) == row.raises)
        if let detail = row.detail {
            let first = try #require(changes.first)
            #expect(first.detail == detail)
        }
        for change in changes {
            switch change.kind {
            case .egressEnabled, .egressDisabled: #expect(change.service == nil)
            default: #expect(change.service != nil)
            }
        }
    }

    @Test("identical plans have no changes")
    func identical() throws {
        let plan = try Self.basePlan()
        #expect(plan.diff(to: plan).isEmpty)
        #expect(try plan.diff(to: Self.basePlan()).isEmpty)
    }

    @Test("a change concerns the service it is about")
    func serviceNames() throws {
        let old = try Self.basePlan()
        var new = old
        new.services.append(StackPlan.Service(name: "worker", image: "worker:1", resources: Self.limits))
        new.services[0].image = "web:2"
        let changes = old.diff(to: new)
        #expect(changes.map(\.kind) == [.imageChanged, .serviceAdded])
        #expect(changes.map(\.service) == ["web", "worker"])
    }

    @Test("a plan round-trips through JSON unchanged")
    func codable() throws {
        var plan = try Self.basePlan()
        plan.title = "Demo"
        plan.publisher = "Example Inc."
        plan.bundleDigest = String(repeating: "b", count: 64)
        plan.publisherKeyID = "key-1"
        plan.egress = true
        plan.portLabels = [Manifest.Port(service: "web", port: 80, label: "UI", open: true)]
        plan.parameters = ["PORT": "8080", "MODE": ""]
        plan.findings = [Finding(code: "scan.unpinned_image", severity: .warning, message: "web:1 is not pinned",
                                 location: "compose.yaml: services.web.image")]
        plan.services[0].command = .exec(["serve", "--port", "80"])
        plan.services[0].entrypoint = .shell("/bin/sh -c start")
        plan.services[0].workingDir = "/app"
        plan.services[0].environment = ["LOG": "debug", "EMPTY": ""]
        plan.services[0].capabilities = ["NET_BIND_SERVICE"]
        plan.services[0].resources.cpus = 1.5
        plan.services[0].labels = ["team": "a"]
        plan.services[0].options = ["stop_signal": .string("SIGINT"), "tmpfs": .array([.string("/run")])]
        plan.services[0].ports.append(StackPlan.Port(hostPort: nil, containerPort: 9000, containerPortEnd: 9010,
                                                     proto: "udp"))
        plan.services.append(StackPlan.Service(
            name: "worker", image: "worker@sha256:" + String(repeating: "c", count: 64),
            mounts: [StackPlan.Mount(kind: .tmpfs, source: nil, target: "/tmp", readOnly: false),
                     StackPlan.Mount(kind: .anonymous, source: "_anonymous-worker-0", target: "/var", readOnly: false)],
            resources: Self.limits, dependsOn: ["web"], network: .service("web")))

        let data = try JSONEncoder().encode(plan)
        let decoded = try JSONDecoder().decode(StackPlan.self, from: data)
        #expect(decoded == plan)
        #expect(decoded.diff(to: plan).isEmpty)

        let base = try Self.basePlan()
        let decodedBase = try JSONDecoder().decode(StackPlan.self, from: JSONEncoder().encode(base))
        #expect(decodedBase == base)
    }

    @Test("a change reads 'service: kind: detail', marked only when it raises a privilege")
    func changeDescription() {
        let raising = PlanChange(kind: .portAdded, service: "web", detail: "port 127.0.0.1:8443->443/tcp",
                                 raisesPrivilege: true)
        #expect(raising.description == "web: port added: port 127.0.0.1:8443->443/tcp (raises privilege)")
        let plain = PlanChange(kind: .egressDisabled, service: nil, detail: "no more route out", raisesPrivilege: false)
        #expect(plain.description == "egress disabled: no more route out")
        #expect(!plain.description.contains("raises privilege"))
    }

    @Test("every change of the table is marked exactly when it raises a privilege", arguments: cases)
    func descriptionsMarkRaising(_ row: DiffCase) throws {
        var old = try Self.basePlan()
        row.before(&old)
        var new = old
        row.after(&new)
        for change in old.diff(to: new) {
            #expect(change.description.contains("(raises privilege)") == change.raisesPrivilege, "\(change)")
        }
    }

    @Test("summary lists changes first, ! for those that raise a privilege")
    func summaryMarksRaising() throws {
        let old = try Self.basePlan()
        var new = old
        new.services[0].image = "web:2"
        new.services[0].ports.append(StackPlan.Port(hostPort: "8443", containerPort: 443))
        new.services[0].resources.pids = 128
        let changes = old.diff(to: new)
        #expect(changes.map(\.kind) == [.imageChanged, .portAdded, .limitLowered])

        let lines = new.summary(changes: changes)
        let header = try #require(lines.firstIndex(of: "changes since the plan you approved before:"))
        #expect(Array(lines[(header + 1)...].prefix(3)) == [
            "  - web: image changed: web:1 -> web:2",
            "  ! web: port added: port 127.0.0.1:8443->443/tcp (raises privilege)",
            "  - web: limit lowered: pids 256 -> 128",
        ])
        #expect(lines.filter { $0.hasPrefix("  ! ") }.count == changes.filter(\.raisesPrivilege).count)
        let egress = try #require(lines.firstIndex { $0.hasPrefix("egress:") })
        #expect(header < egress)
    }

    @Test("summary says when nothing changed, and omits changes without a diff")
    func summaryWithoutChanges() throws {
        let plan = try Self.basePlan()
        #expect(plan.summary(changes: []).contains("changes:    none since the plan you approved before"))
        let lines = plan.summary()
        #expect(!lines.contains { $0.hasPrefix("changes") })
        #expect(!lines.contains { $0.hasPrefix("  ! ") })
        #expect(lines.first == "stack:      demo 1.0.0")
    }
}
