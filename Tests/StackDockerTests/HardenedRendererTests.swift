import Foundation
import StackBundle
import StackCore
import StackDocker
import StackTestSupport
import Testing

@Suite("Hardened compose renderer")
struct HardenedRendererTests {
    static let golden = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Golden")

    /// An unpacked bundle directory with `www/index.html` and the example documents.
    static func bundle() throws -> (TemporaryDirectory, URL, URL) {
        let tmp = try TemporaryDirectory("render")
        let bundle = tmp.path("bundle")
        try FileManager.default.createDirectory(at: bundle.appendingPathComponent("www"), withIntermediateDirectories: true)
        try Data("x".utf8).write(to: bundle.appendingPathComponent("www/index.html"))
        return (tmp, bundle, tmp.path("volumes/hello-web"))
    }

    static func exampleManifestAndCompose() throws -> (Manifest, ComposeFile) {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("examples/hello-web")
        let decoder = LibYAMLManifestDecoder()
        let manifest = try decoder.decodeManifest([UInt8](try Data(contentsOf: root.appendingPathComponent("stack.yaml"))), path: "stack.yaml")
        let compose = try decoder.decodeCompose([UInt8](try Data(contentsOf: root.appendingPathComponent("compose.yaml"))), path: "compose.yaml")
        return (manifest, compose)
    }

    func render(_ compose: ComposeFile, manifest: Manifest? = nil, egress: Bool = false,
                parameters: [String: String]? = nil) throws -> (String, TemporaryDirectory, URL, URL) {
        let (tmp, bundle, volumes) = try Self.bundle()
        let manifest = manifest ?? Manifest(name: "hello-web", version: SemanticVersion("1.0.0")!)
        let rendered = try Docker.HardenedRenderer().render(compose, context: Docker.RenderContext(
            manifest: manifest, bundleDirectory: bundle, volumesDirectory: volumes,
            digest: String(repeating: "0", count: 64), egressApproved: egress, parameters: parameters))
        let real = bundle.resolvingSymlinksInPath().path
        let text = rendered.json.replacingOccurrences(of: real, with: "$BUNDLE")
            .replacingOccurrences(of: volumes.path, with: "$VOLUMES")
        return (text, tmp, bundle, volumes)
    }

    @Test("the example stack renders to the golden file")
    func golden() throws {
        let (manifest, compose) = try Self.exampleManifestAndCompose()
        let (text, _, _, _) = try render(compose, manifest: manifest)
        let file = Self.golden.appendingPathComponent("hello-web.json")
        if ProcessInfo.processInfo.environment["STACK_UPDATE_GOLDEN"] == "1" {
            try Data(text.utf8).write(to: file)
        }
        let expected = try String(contentsOf: file, encoding: .utf8)
        #expect(text == expected, "rendered:\n\(text)")
    }

    @Test("egress approved: the network keeps IP masquerade")
    func egressApproved() throws {
        let (manifest, compose) = try Self.exampleManifestAndCompose()
        let (closed, _, _, _) = try render(compose, manifest: manifest)
        let (open, _, _, _) = try render(compose, manifest: manifest, egress: true)
        #expect(closed.contains("\"com.docker.network.bridge.enable_ip_masquerade\": \"false\""))
        #expect(!open.contains("enable_ip_masquerade"))
        // The bridge name tells the host firewall guard which rules apply.
        #expect(closed.contains("\"com.docker.network.bridge.name\": \"\(StackBridgeName.forStack(manifest.name, egress: false))\""))
        #expect(open.contains("\"com.docker.network.bridge.name\": \"\(StackBridgeName.forStack(manifest.name, egress: true))\""))
    }

    @Test("every published port is bound to 127.0.0.1, whatever the bundle asked")
    func loopbackPorts() throws {
        let service = ComposeService(image: "i", ports: [
            ComposePort(target: 80, published: "8080", hostIP: "0.0.0.0"),
            ComposePort(target: 443, published: "8443", hostIP: "::"),
            ComposePort(target: 53, proto: "udp"),
            ComposePort(target: 9000, targetEnd: 9002, published: "9000-9002"),
        ])
        let (text, _, _, _) = try render(ComposeFile(services: ["web": service]))
        for expected in ["127.0.0.1:8080:80/tcp", "127.0.0.1:8443:443/tcp", "127.0.0.1::53/udp", "127.0.0.1:9000-9002:9000-9002/tcp"] {
            #expect(text.contains("\"\(expected)\""), "missing \(expected)")
        }
        #expect(!text.contains("0.0.0.0"))
    }

    @Test("parameters interpolate; host variables never do; literal dollars are escaped")
    func interpolation() throws {
        var manifest = Manifest(name: "hello-web", version: SemanticVersion("1.0.0")!)
        manifest.parameters = [Manifest.Parameter(name: "ADMIN_EMAIL", defaultValue: "a@b.c")]
        let service = ComposeService(image: "i", command: .shell("echo ${ADMIN_EMAIL} $$HOME cost$ 5"),
                                     environment: ["MAIL": "${ADMIN_EMAIL:-none}", "ADMIN_EMAIL": nil])
        let (text, _, _, _) = try render(ComposeFile(services: ["web": service]), manifest: manifest)
        #expect(text.contains("\"echo a@b.c $$HOME cost$$ 5\""))
        #expect(text.contains("\"MAIL\": \"a@b.c\""))
        #expect(text.contains("\"ADMIN_EMAIL\": \"a@b.c\""))
    }

    static let rejections: [(String, StackError.Code, ComposeService)] = [
        ("${HOME} in a command", .policyInterpolation, ComposeService(image: "i", command: .shell("ls ${HOME}"))),
        ("$USER in an image", .policyInterpolation, ComposeService(image: "busybox:$USER")),
        ("bare environment name from the host", .policyInterpolation, ComposeService(image: "i", environment: ["PATH": nil])),
        ("absolute host path", StackError.Code("policy.host_path", exit: .policy),
         ComposeService(image: "i", volumes: [ComposeMount(type: .bind, source: "/etc", target: "/host")])),
        ("home directory", StackError.Code("policy.host_path", exit: .policy),
         ComposeService(image: "i", volumes: [ComposeMount(type: .bind, source: "~/.ssh", target: "/k")])),
        ("relative escape", .policyBindEscape,
         ComposeService(image: "i", volumes: [ComposeMount(type: .bind, source: "./www/../../secret", target: "/s")])),
        ("missing bind source", .policyBindMissing,
         ComposeService(image: "i", volumes: [ComposeMount(type: .bind, source: "./nothing", target: "/n")])),
        ("symlink out of the bundle", .policyBindEscape,
         ComposeService(image: "i", volumes: [ComposeMount(type: .bind, source: "./link", target: "/l")])),
        ("mount target with ..", .policyMount,
         ComposeService(image: "i", volumes: [ComposeMount(type: .bind, source: "./www", target: "/a/../etc")])),
        ("undeclared named volume", .policyMount,
         ComposeService(image: "i", volumes: [ComposeMount(type: .volume, source: "other", target: "/d")])),
        ("cap_add SYS_ADMIN", StackError.Code("policy.capability", exit: .policy), ComposeService(image: "i", capAdd: ["SYS_ADMIN"])),
        ("host network", StackError.Code("policy.host_namespace", exit: .policy), ComposeService(image: "i", networkMode: "host")),
        ("container network", StackError.Code("policy.host_namespace", exit: .policy),
         ComposeService(image: "i", networkMode: "container:abc")),
        ("memory over the ceiling", .policyResources, ComposeService(image: "i", memLimit: 64 << 30)),
        ("cpus over the ceiling", .policyResources, ComposeService(image: "i", cpus: 64)),
        ("pids over the ceiling", .policyResources, ComposeService(image: "i", pidsLimit: 1_000_000)),
        ("no image", .policyMount, ComposeService(command: .shell("true"))),
    ]

    @Test("what the scan rejects, the renderer refuses too (defence in depth)",
          arguments: rejections.indices)
    func rejects(_ index: Int) throws {
        let (name, code, service) = Self.rejections[index]
        let (tmp, bundle, volumes) = try Self.bundle()
        try FileManager.default.createSymbolicLink(atPath: bundle.appendingPathComponent("link").path,
                                                   withDestinationPath: tmp.url.path)
        let error = stackError {
            _ = try Docker.HardenedRenderer().render(ComposeFile(services: ["web": service]), context: Docker.RenderContext(
                manifest: Manifest(name: "hello-web", version: SemanticVersion("1.0.0")!), bundleDirectory: bundle,
                volumesDirectory: volumes, digest: "d"))
        }
        #expect(error?.code == code, "\(name): \(String(describing: error))")
        #expect(error?.exitStatus == .policy)
    }

    @Test("injected controls are present on every service and bundle labels cannot override them")
    func injected() throws {
        let service = ComposeService(image: "i", labels: ["lol.stack.name": "spoof", "app": "x"],
                                     capAdd: ["net_bind_service"], securityOpt: ["seccomp:unconfined"],
                                     privileged: true, other: ["container_name": .string("fixed"), "init": .bool(true)])
        let (text, _, _, _) = try render(ComposeFile(services: ["web": service]))
        let object = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        let web = try #require((object["services"] as? [String: Any])?["web"] as? [String: Any])
        #expect(web["cap_drop"] as? [String] == ["ALL"])
        #expect(web["cap_add"] as? [String] == ["NET_BIND_SERVICE"])
        #expect(web["security_opt"] as? [String] == ["no-new-privileges:true"])
        #expect(web["privileged"] == nil)
        #expect(web["container_name"] == nil)
        #expect(web["init"] as? Bool == true)
        #expect(web["restart"] as? String == "on-failure:5")
        #expect(web["mem_limit"] as? Int == 512 << 20)
        #expect(web["memswap_limit"] as? Int == 512 << 20)
        #expect(web["pids_limit"] as? Int == 256)
        #expect(web["networks"] as? [String] == ["stack"])
        let labels = try #require(web["labels"] as? [String: String])
        #expect(labels["lol.stack.name"] == "hello-web")
        #expect(labels["app"] == "x")
    }
}

@Suite("Hardened renderer: env files, deploy limits, volume owners, compose in a folder")
struct HardenedRendererExtraTests {
    @Test("env_file values are merged literally (dollars escaped); environment wins; outside paths are refused")
    func envFile() throws {
        let (tmp, bundle, volumes) = try HardenedRendererTests.bundle()
        try Data("# comment\nA=1\nPRICE=5$\nQUOTED=\"x y\"\nexport B=2\n".utf8).write(to: bundle.appendingPathComponent("app.env"))
        let service = ComposeService(image: "i", environment: ["A": "override"], other: ["env_file": .string("./app.env")])
        let context = Docker.RenderContext(manifest: Manifest(name: "s", version: SemanticVersion("1.0.0")!),
                                           bundleDirectory: bundle, volumesDirectory: volumes, digest: "d")
        let text = try Docker.HardenedRenderer().render(ComposeFile(services: ["web": service]), context: context).json
        #expect(text.contains("\"A\": \"override\""))
        #expect(text.contains("\"PRICE\": \"5$$\""))
        #expect(text.contains("\"QUOTED\": \"x y\""))
        #expect(text.contains("\"B\": \"2\""))
        #expect(!text.contains("env_file"))
        defer { withExtendedLifetime(tmp) {} }
        for outside in ["/etc/environment", "../../etc/environment"] {
            let bad = ComposeService(image: "i", other: ["env_file": .array([.string(outside)])])
            let error = stackError { _ = try Docker.HardenedRenderer().render(ComposeFile(services: ["web": bad]), context: context) }
            #expect(error?.code.rawValue == "policy.env_file", "\(outside)")
        }
    }

    @Test("deploy.resources.limits are applied when the service sets no limit of its own")
    func deployLimits() throws {
        let (tmp, bundle, volumes) = try HardenedRendererTests.bundle()
        defer { withExtendedLifetime(tmp) {} }
        let service = ComposeService(image: "i", other: ["deploy": .object(["resources": .object(["limits": .object([
            "cpus": .string("0.25"), "memory": .string("32m"), "pids": .int(32)])])])])
        let context = Docker.RenderContext(manifest: Manifest(name: "s", version: SemanticVersion("1.0.0")!),
                                           bundleDirectory: bundle, volumesDirectory: volumes, digest: "d")
        let text = try Docker.HardenedRenderer().render(ComposeFile(services: ["web": service]), context: context).json
        #expect(text.contains("\"cpus\": 0.25"))
        #expect(text.contains("\"mem_limit\": \(32 << 20)"))
        #expect(text.contains("\"pids_limit\": 32"))
    }

    @Test("a volume mounted by a numeric user is owned by that user; binds resolve from the compose file's folder")
    func ownersAndFolder() throws {
        let (tmp, bundle, volumes) = try HardenedRendererTests.bundle()
        defer { withExtendedLifetime(tmp) {} }
        try FileManager.default.createDirectory(at: bundle.appendingPathComponent("deploy/conf"), withIntermediateDirectories: true)
        var manifest = Manifest(name: "s", version: SemanticVersion("1.0.0")!)
        manifest.compose = "deploy/compose.yaml"
        manifest.volumes = ["data"]
        let service = ComposeService(image: "i", volumes: [
            ComposeMount(type: .bind, source: "./conf", target: "/conf"),
            ComposeMount(type: .bind, source: "../www", target: "/www"),
            ComposeMount(type: .volume, source: "data", target: "/data"),
        ], user: "1000:2000")
        let rendered = try Docker.HardenedRenderer().render(ComposeFile(services: ["web": service]), context: Docker.RenderContext(
            manifest: manifest, bundleDirectory: bundle, volumesDirectory: volumes, digest: "d"))
        let real = bundle.resolvingSymlinksInPath().path
        #expect(rendered.json.contains("\"\(real)/deploy/conf:/conf:ro\""))
        #expect(rendered.json.contains("\"\(real)/www:/www:ro\""))
        let owner = try #require(rendered.volumeOwners[volumes.appendingPathComponent("data").path])
        #expect(owner.uid == 1000 && owner.gid == 2000)
    }
}
