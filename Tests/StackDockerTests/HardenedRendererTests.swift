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
        let compose = try decoder.decodeCompose([UInt8](try Data(contentsOf: root.appendingPathComponent("compose.yaml"))), path: "compose.yaml",
                                              interpolation: ComposeInterpolation(parameters: manifest.parameters))
        return (manifest, compose)
    }

    func render(_ compose: ComposeFile, manifest: Manifest? = nil, egress: Bool = false) throws -> (String, TemporaryDirectory, URL, URL) {
        let (tmp, bundle, volumes) = try Self.bundle()
        var manifest = manifest ?? Manifest(name: "hello-web", version: SemanticVersion("1.0.0")!)
        manifest.network.egress = egress
        var plan = try PlanFixture.plan(compose, manifest: manifest, files: ["www/index.html"])
        plan.bundleDigest = String(repeating: "0", count: 64)
        let rendered = Docker.HardenedRenderer().render(plan, context: Docker.RenderContext(
            bundleDirectory: bundle.resolvingSymlinksInPath(), volumesDirectory: volumes))
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
        // Without egress, names outside the stack go to an address that routes nowhere.
        #expect(closed.contains("\"dns\": [\n        \"\(Docker.HardenedRenderer.unroutableDNS)\"\n      ]"), "\(closed)")
        #expect(!open.contains("\"dns\""))
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

    @Test("parameters interpolate once, in the decoder; literal dollars reach Compose escaped")
    func interpolation() throws {
        var manifest = Manifest(name: "hello-web", version: SemanticVersion("1.0.0")!)
        manifest.parameters = [Manifest.Parameter(name: "ADMIN_EMAIL", defaultValue: "a@b.c")]
        let yaml = """
            services:
              web:
                image: i
                command: echo ${ADMIN_EMAIL} $$HOME cost$ 5
                environment: {MAIL: "${ADMIN_EMAIL:-none}", ADMIN_EMAIL: null}
            """
        let compose = try LibYAMLManifestDecoder().decodeCompose(Array(yaml.utf8), path: "compose.yaml",
                                                                 interpolation: ComposeInterpolation(parameters: manifest.parameters))
        let (text, _, _, _) = try render(compose, manifest: manifest)
        #expect(text.contains("\"echo a@b.c $$HOME cost$$ 5\""))
        #expect(text.contains("\"MAIL\": \"a@b.c\""))
        #expect(text.contains("\"ADMIN_EMAIL\": \"a@b.c\""))
    }

    @Test("nothing reaches Compose with an unescaped $: every string of the rendered file is checked")
    func noUnresolvedDollar() throws {
        let service = ComposeService(image: "i$x", command: .exec(["a$", "$$b", "${C}"]), environment: ["E": "$F ${G:-h}"],
                                     volumes: [ComposeMount(type: .volume, source: "data", target: "/d$ata")],
                                     healthcheck: ComposeHealthcheck(test: ["CMD", "$x"], interval: "1$s"),
                                     user: "1$00", workingDir: "/w$", labels: ["l": "$l"],
                                     other: ["stop_signal": .string("SIG$TERM"), "hostname": .string("h$")])
        var manifest = Manifest(name: "hello-web", version: SemanticVersion("1.0.0")!)
        manifest.volumes = ["data"]
        let (text, _, _, _) = try render(ComposeFile(services: ["web": service]), manifest: manifest)
        let placeholders = text.replacingOccurrences(of: "$VOLUMES", with: "/volumes").replacingOccurrences(of: "$BUNDLE", with: "/bundle")
        let object = try JSONSerialization.jsonObject(with: Data(placeholders.utf8))
        var strings: [String] = []
        func walk(_ value: Any) {
            if let s = value as? String { strings.append(s) }
            if let a = value as? [Any] { a.forEach(walk) }
            if let o = value as? [String: Any] { o.values.forEach(walk) }
        }
        walk(object)
        #expect(strings.count > 20)
        for string in strings {
            // Compose reads `$$` as a literal `$`; any other `$` would be interpolated.
            let unescaped = string.replacingOccurrences(of: "$$", with: "")
            #expect(!unescaped.contains("$"), "unescaped $ in \(string)")
        }
        #expect(text.contains("\"$$F ${G:-h}\"".replacingOccurrences(of: "${", with: "$${")))
    }

    static let rejections: [(String, String, ComposeService)] = [
        ("bare environment name from the host", "policy.interpolation", ComposeService(image: "i", environment: ["PATH": nil])),
        ("absolute host path", "policy.host_path",
         ComposeService(image: "i", volumes: [ComposeMount(type: .bind, source: "/etc", target: "/host")])),
        ("home directory", "policy.host_path",
         ComposeService(image: "i", volumes: [ComposeMount(type: .bind, source: "~/.ssh", target: "/k")])),
        ("relative escape", "policy.bind_escape",
         ComposeService(image: "i", volumes: [ComposeMount(type: .bind, source: "./www/../../secret", target: "/s")])),
        ("missing bind source", "policy.bind_missing",
         ComposeService(image: "i", volumes: [ComposeMount(type: .bind, source: "./nothing", target: "/n")])),
        ("mount target with ..", "policy.mount",
         ComposeService(image: "i", volumes: [ComposeMount(type: .bind, source: "./www", target: "/a/../etc")])),
        ("relative mount target", "policy.mount",
         ComposeService(image: "i", volumes: [ComposeMount(type: .volume, source: nil, target: "data")])),
        ("undeclared named volume", "policy.volume_undeclared",
         ComposeService(image: "i", volumes: [ComposeMount(type: .volume, source: "other", target: "/d")])),
        ("cap_add SYS_ADMIN", "policy.capability", ComposeService(image: "i", capAdd: ["SYS_ADMIN"])),
        ("host network", "policy.host_namespace", ComposeService(image: "i", networkMode: "host")),
        ("container network", "policy.host_namespace", ComposeService(image: "i", networkMode: "container:abc")),
        ("a named network mode", "policy.network_mode", ComposeService(image: "i", networkMode: "other")),
        ("memory over the ceiling", "policy.resources", ComposeService(image: "i", memLimit: 64 << 30)),
        ("memory under the engine's minimum", "policy.resources", ComposeService(image: "i", memLimit: 1 << 20)),
        ("cpus over the ceiling", "policy.resources", ComposeService(image: "i", cpus: 64)),
        ("pids over the ceiling", "policy.resources", ComposeService(image: "i", pidsLimit: 1_000_000)),
        ("no image", "policy.no_image", ComposeService(command: .shell("true"))),
        ("an image mount", "policy.mount_type",
         ComposeService(image: "i", volumes: [ComposeMount(type: .image, source: "other:1", target: "/img")])),
        ("a port range of 65535 ports", "policy.ports",
         ComposeService(image: "i", ports: [ComposePort(target: 1, targetEnd: 65_535, published: "1-65535")])),
        ("ulimit rtprio", "policy.ulimits", ComposeService(image: "i", other: ["ulimits": .object(["rtprio": .int(99)])])),
        ("ulimit nproc above the pids limit", "policy.ulimits",
         ComposeService(image: "i", other: ["ulimits": .object(["nproc": .int(100_000)])])),
        ("extends within the file", "policy.extends_file",
         ComposeService(image: "i", other: ["extends": .object(["service": .string("base")])])),
    ]

    @Test("what the policy rejects never becomes a plan, so it can never be rendered",
          arguments: rejections.indices)
    func rejects(_ index: Int) throws {
        let (name, code, service) = Self.rejections[index]
        let manifest = Manifest(name: "hello-web", version: SemanticVersion("1.0.0")!)
        let error = stackError {
            _ = try PlanFixture.plan(ComposeFile(services: ["web": service]), manifest: manifest, files: ["www/index.html"])
        }
        #expect(error?.code.rawValue == code, "\(name): \(String(describing: error))")
        #expect(error?.exitStatus == .policy)
    }

    @Test("injected controls are present on every service and bundle labels cannot override them")
    func injected() throws {
        let service = ComposeService(image: "i", labels: ["app": "x"],
                                     capAdd: ["net_bind_service"], other: ["container_name": .string("fixed")])
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
    func render(_ plan: StackPlan) throws -> (Docker.RenderedCompose, URL, URL, TemporaryDirectory) {
        let (tmp, bundle, volumes) = try HardenedRendererTests.bundle()
        let rendered = Docker.HardenedRenderer().render(plan, context: Docker.RenderContext(
            bundleDirectory: bundle.resolvingSymlinksInPath(), volumesDirectory: volumes))
        return (rendered, bundle, volumes, tmp)
    }

    @Test("env_file values are merged literally (dollars escaped); environment wins; outside paths are refused")
    func envFile() throws {
        let manifest = Manifest(name: "s", version: SemanticVersion("1.0.0")!)
        let service = ComposeService(image: "i", environment: ["A": "override"], other: ["env_file": .string("./app.env")])
        let plan = try PlanFixture.plan(ComposeFile(services: ["web": service]), manifest: manifest,
                                        envFiles: ["app.env": Array("# comment\nA=1\nPRICE=5$\nQUOTED=\"x y\"\nexport B=2\n".utf8)])
        let (rendered, _, _, tmp) = try render(plan)
        defer { withExtendedLifetime(tmp) {} }
        let text = rendered.json
        #expect(text.contains("\"A\": \"override\""))
        #expect(text.contains("\"PRICE\": \"5$$\""))
        #expect(text.contains("\"QUOTED\": \"x y\""))
        #expect(text.contains("\"B\": \"2\""))
        #expect(!text.contains("env_file"))
        for outside in ["/etc/environment", "../../etc/environment"] {
            let bad = ComposeService(image: "i", other: ["env_file": .array([.string(outside)])])
            let error = stackError { _ = try PlanFixture.plan(ComposeFile(services: ["web": bad]), manifest: manifest) }
            #expect(error?.code.rawValue == "policy.env_file", "\(outside)")
        }
    }

    @Test("deploy.resources.limits are applied when the service sets no limit of its own")
    func deployLimits() throws {
        let service = ComposeService(image: "i", other: ["deploy": .object(["resources": .object(["limits": .object([
            "cpus": .string("0.25"), "memory": .string("32m"), "pids": .int(32)])])])])
        let plan = try PlanFixture.plan(ComposeFile(services: ["web": service]),
                                        manifest: Manifest(name: "s", version: SemanticVersion("1.0.0")!))
        let (rendered, _, _, tmp) = try render(plan)
        defer { withExtendedLifetime(tmp) {} }
        #expect(rendered.json.contains("\"cpus\": 0.25"))
        #expect(rendered.json.contains("\"mem_limit\": \(32 << 20)"))
        #expect(rendered.json.contains("\"pids_limit\": 32"))
    }

    @Test("a volume mounted by a numeric user is owned by that user; binds resolve from the compose file's folder")
    func ownersAndFolder() throws {
        var manifest = Manifest(name: "s", version: SemanticVersion("1.0.0")!)
        manifest.compose = "deploy/compose.yaml"
        manifest.volumes = ["data"]
        let service = ComposeService(image: "i", volumes: [
            ComposeMount(type: .bind, source: "./conf", target: "/conf"),
            ComposeMount(type: .bind, source: "../www", target: "/www"),
            ComposeMount(type: .volume, source: "data", target: "/data"),
        ], user: "1000:2000")
        let plan = try PlanFixture.plan(ComposeFile(services: ["web": service]), manifest: manifest,
                                        files: ["deploy/conf/a.conf", "www/index.html"])
        let (rendered, bundle, volumes, tmp) = try render(plan)
        defer { withExtendedLifetime(tmp) {} }
        let real = bundle.resolvingSymlinksInPath().path
        #expect(rendered.json.contains("\"\(real)/deploy/conf:/conf:ro\""))
        #expect(rendered.json.contains("\"\(real)/www:/www:ro\""))
        let owner = try #require(rendered.volumeOwners[volumes.appendingPathComponent("data").path])
        #expect(owner.uid == 1000 && owner.gid == 2000)
    }
}
