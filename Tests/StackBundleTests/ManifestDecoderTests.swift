import Testing
@testable import StackBundle
import StackCore

@Suite("stack.yaml decoding")
struct ManifestDecoderTests {
    let decoder = LibYAMLManifestDecoder()

    func decode(_ text: String) throws -> Manifest {
        try decoder.decodeManifest(Array(text.utf8), path: "stack.yaml")
    }

    static let full = """
    name: hello-web              # required
    version: 1.2.0
    flavor: compose
    title: Hello Web
    description: A tiny web page.
    publisher: Example Inc.
    compose: deploy/compose.yaml
    resources: {cpus: 1.5, memory: 512m, pids: 256}
    network: {egress: true}
    ports:
      - {service: web, port: 8080, label: Web UI, open: true}
      - {service: web, port: 9090, label: Metrics}
    volumes: [data, cache-2]
    capabilities: [NET_BIND_SERVICE, CAP_CHOWN]
    parameters:
      - {name: ADMIN_EMAIL, type: string, default: "", required: false, description: "Who gets mail"}
      - {name: WORKERS, type: int, default: 4, required: true}
      - {name: DEBUG, type: bool, default: false}
      - {name: API_KEY, type: secret}
    """

    @Test("the full example decodes")
    func fullExample() throws {
        let m = try decode(Self.full)
        #expect(m.name == "hello-web")
        #expect(m.version == SemanticVersion("1.2.0"))
        #expect(m.flavor == "compose")
        #expect(m.title == "Hello Web")
        #expect(m.description == "A tiny web page.")
        #expect(m.publisher == "Example Inc.")
        #expect(m.compose == "deploy/compose.yaml")
        #expect(m.resources == Manifest.Resources(cpus: 1.5, memory: 512 * 1_048_576, pids: 256))
        #expect(m.network.egress)
        #expect(m.ports == [
            Manifest.Port(service: "web", port: 8080, label: "Web UI", open: true),
            Manifest.Port(service: "web", port: 9090, label: "Metrics", open: false),
        ])
        #expect(m.volumes == ["data", "cache-2"])
        #expect(m.capabilities == ["NET_BIND_SERVICE", "CHOWN"])
        #expect(m.parameters == [
            Manifest.Parameter(name: "ADMIN_EMAIL", type: .string, defaultValue: "", required: false,
                               description: "Who gets mail"),
            Manifest.Parameter(name: "WORKERS", type: .int, defaultValue: "4", required: true),
            Manifest.Parameter(name: "DEBUG", type: .bool, defaultValue: "false"),
            Manifest.Parameter(name: "API_KEY", type: .secret),
        ])
    }

    @Test("a minimal manifest takes the defaults")
    func minimal() throws {
        let m = try decode("name: a\nversion: 0.1.0-rc.1+b7\nflavor: compose\n")
        #expect(m == Manifest(name: "a", version: SemanticVersion("0.1.0-rc.1")!, flavor: "compose"))
        #expect(m.compose == "compose.yaml")
        #expect(m.network.egress == false)
        #expect(m.resources == Manifest.Resources())
    }

    @Test("memory may be a number of bytes; a name may be all digits")
    func memoryBytes() throws {
        let m = try decode("name: 404\nversion: 1.0.0\nflavor: compose\nresources: {memory: 1048576, cpus: 2}\n")
        #expect(m.name == "404")
        #expect(m.resources.memory == 1_048_576)
        #expect(m.resources.cpus == 2)
    }

    static let base = "name: app\nversion: 1.0.0\nflavor: compose\n"

    @Test("every rule rejects with its exact code and position", arguments: [
        // Unknown keys.
        (base + "ports:\n  - service: web\n    port: 80\n    prot: tcp\n",
         "manifest.unknown_key", ["stack.yaml:7:5: ports[0].prot: unknown key"]),
        (base + "colour: blue\n", "manifest.unknown_key", ["stack.yaml:4:1: colour: unknown key"]),
        (base + "resources: {gpu: 1}\n", "manifest.unknown_key", ["stack.yaml:4:13: resources.gpu: unknown key"]),
        (base + "network: {ingress: true}\n", "manifest.unknown_key", ["network.ingress"]),
        (base + "parameters: [{name: A, kind: int}]\n", "manifest.unknown_key", ["parameters[0].kind"]),
        // Missing fields.
        ("version: 1.0.0\nflavor: compose\n", "manifest.missing_field", ["stack.yaml:1:1: name"]),
        ("name: app\nflavor: compose\n", "manifest.missing_field", ["stack.yaml:1:1: version"]),
        ("name: app\nversion: 1.0.0\n", "manifest.missing_field", ["stack.yaml:1:1: flavor"]),
        ("name:\nversion: 1.0.0\nflavor: compose\n", "manifest.missing_field", ["name"]),
        (base + "ports: [{port: 80}]\n", "manifest.missing_field", ["ports[0].service"]),
        (base + "parameters: [{type: int}]\n", "manifest.missing_field", ["parameters[0].name"]),
        // Top level and types.
        ("- a\n- b\n", "manifest.invalid_field", ["stack.yaml:1:1", "(top level)", "mapping"]),
        ("just text\n", "manifest.invalid_field", ["stack.yaml:1:1"]),
        ("name: Hello\nversion: 1.0.0\nflavor: compose\n", "manifest.invalid_field", ["stack.yaml:1:7: name:", "Hello"]),
        ("name: -app\nversion: 1.0.0\nflavor: compose\n", "manifest.invalid_field", ["name"]),
        ("name: \(String(repeating: "a", count: 64))\nversion: 1.0.0\nflavor: compose\n", "manifest.invalid_field", ["name"]),
        ("name: [a]\nversion: 1.0.0\nflavor: compose\n", "manifest.invalid_field", ["stack.yaml:1:7: name: expected a string, found sequence"]),
        ("name: app\nversion: 1.0\nflavor: compose\n", "manifest.invalid_field", ["stack.yaml:2:10: version:", "semantic version"]),
        ("name: app\nversion: v1.0.0\nflavor: compose\n", "manifest.invalid_field", ["version"]),
        ("name: app\nversion: 01.0.0\nflavor: compose\n", "manifest.invalid_field", ["version"]),
        ("name: app\nversion: 1.0.0\nflavor: Compose\n", "manifest.invalid_field", ["stack.yaml:3:9: flavor"]),
        ("name: app\nversion: 1.0.0\nflavor: true\n", "manifest.invalid_field", ["flavor", "boolean"]),
        (base + "title: \"bad\\ttitle\"\n", "manifest.invalid_field", ["title", "control"]),
        (base + "title: \"\\u202Egnp.exe\"\n", "manifest.invalid_field", ["title"]),
        (base + "publisher: \(String(repeating: "p", count: 300))\n", "manifest.invalid_field", ["publisher", "256"]),
        // Compose path.
        (base + "compose: ../x\n", "manifest.invalid_field", ["stack.yaml:4:10: compose:", "../x"]),
        (base + "compose: a/../../x\n", "manifest.invalid_field", ["compose"]),
        (base + "compose: /etc/compose.yaml\n", "manifest.invalid_field", ["compose"]),
        (base + "compose: 'a\\b.yaml'\n", "manifest.invalid_field", ["compose"]),
        (base + "compose: 'C:/x.yaml'\n", "manifest.invalid_field", ["compose"]),
        (base + "compose: \"\"\n", "manifest.invalid_field", ["compose"]),
        (base + "compose: \(String(repeating: "d/", count: 520))c.yaml\n", "manifest.invalid_field", ["compose", "1024"]),
        // Resources.
        (base + "resources: {cpus: 0}\n", "manifest.invalid_field", ["resources.cpus", "greater than 0"]),
        (base + "resources: {cpus: 300}\n", "manifest.invalid_field", ["resources.cpus"]),
        (base + "resources: {cpus: lots}\n", "manifest.invalid_field", ["resources.cpus"]),
        (base + "resources: {memory: 12 parsecs}\n", "manifest.invalid_field", ["stack.yaml:4:21: resources.memory"]),
        (base + "resources: {memory: 0}\n", "manifest.invalid_field", ["resources.memory"]),
        (base + "resources: {memory: true}\n", "manifest.invalid_field", ["resources.memory"]),
        (base + "resources: {pids: 0}\n", "manifest.invalid_field", ["resources.pids", "1 to 1000000"]),
        (base + "resources: {pids: 1000001}\n", "manifest.invalid_field", ["resources.pids"]),
        (base + "resources: [1]\n", "manifest.invalid_field", ["resources"]),
        (base + "network: {egress: \"yes\"}\n", "manifest.invalid_field", ["network.egress", "boolean"]),
        (base + "network: {egress: yes}\n", "manifest.invalid_field", ["network.egress"]),
        // Ports.
        (base + "ports:\n  - {service: web, port: 80, open: true}\n  - {service: api, port: 81, open: true}\n",
         "manifest.invalid_field", ["stack.yaml:6:36: ports[1].open", "only one port", "ports[0]"]),
        (base + "ports: [{service: web, port: 0}]\n", "manifest.invalid_field", ["ports[0].port", "1 to 65535"]),
        (base + "ports: [{service: web, port: 65536}]\n", "manifest.invalid_field", ["ports[0].port"]),
        (base + "ports: [{service: web, port: \"80\"}]\n", "manifest.invalid_field", ["ports[0].port"]),
        (base + "ports: [{service: 'we b', port: 80}]\n", "manifest.invalid_field", ["ports[0].service"]),
        (base + "ports: [{service: web, port: 80}, {service: web, port: 80}]\n", "manifest.invalid_field", ["ports[1]"]),
        (base + "ports: {web: 80}\n", "manifest.invalid_field", ["stack.yaml:4:8: ports", "list", "found mapping"]),
        (base + "ports: [80]\n", "manifest.invalid_field", ["ports[0]"]),
        // Volumes.
        (base + "volumes: [.data]\n", "manifest.invalid_field", ["volumes[0]"]),
        (base + "volumes: [data, Data]\n", "manifest.invalid_field", ["volumes[1]", "twice"]),
        (base + "volumes: [../up]\n", "manifest.invalid_field", ["volumes[0]"]),
        (base + "volumes: [data, data]\n", "manifest.invalid_field", ["stack.yaml:4:17: volumes[1]", "twice"]),
        // Capabilities.
        (base + "capabilities: [net_admin]\n", "manifest.invalid_field", ["stack.yaml:4:16: capabilities[0]", "upper-case"]),
        (base + "capabilities: [NET-ADMIN]\n", "manifest.invalid_field", ["capabilities[0]"]),
        (base + "capabilities: [CAP_]\n", "manifest.invalid_field", ["capabilities[0]"]),
        (base + "capabilities: [CHOWN, CAP_CHOWN]\n", "manifest.invalid_field", ["capabilities[1]", "twice"]),
        // Parameters.
        (base + "parameters: [{name: ad-min}]\n", "manifest.invalid_field", ["parameters[0].name"]),
        (base + "parameters: [{name: 1A}]\n", "manifest.invalid_field", ["parameters[0].name"]),
        (base + "parameters: [{name: A, type: float}]\n", "manifest.invalid_field", ["parameters[0].type"]),
        (base + "parameters: [{name: A}, {name: A}]\n", "manifest.invalid_field", ["parameters[1].name", "twice"]),
        (base + "parameters: [{name: A, type: int, default: many}]\n", "manifest.invalid_field", ["parameters[0].default"]),
        (base + "parameters: [{name: A, type: bool, default: 1}]\n", "manifest.invalid_field", ["parameters[0].default"]),
        (base + "parameters: [{name: A, default: [1]}]\n", "manifest.invalid_field", ["parameters[0].default"]),
        (base + "parameters: [{name: A, required: 1}]\n", "manifest.invalid_field", ["parameters[0].required"]),
        // YAML errors surface unchanged.
        (base + "name: again\n", "yaml.duplicate_key", ["stack.yaml:4:1", "name", "1:1"]),
        ("name: app\n\tversion: 1.0.0\n", "yaml.syntax", ["stack.yaml:2:"]),
        ("", "yaml.syntax", ["stack.yaml:1:1"]),
        (base + "---\n" + base, "yaml.unsupported", ["stack.yaml:4:1"]),
    ])
    func rejections(text: String, code: String, fragments: [String]) throws {
        do {
            let manifest = try decode(text)
            Issue.record("accepted: \(manifest)")
        } catch let error as StackError {
            #expect(error.code.rawValue == code, "\(error)")
            for fragment in fragments {
                #expect(error.message.contains(fragment), "\(error.message) lacks \(fragment)")
            }
        }
    }

    @Test("unknown-key message names the field path exactly")
    func unknownKeyMessage() throws {
        let text = Self.base + "ports:\n  - service: web\n    port: 80\n    prot: tcp\n"
        #expect(throws: StackError.self) { try decode(text) }
        do { _ = try decode(text) } catch let error as StackError {
            #expect(error.code == .manifestUnknownKey)
            #expect(error.message == "stack.yaml:7:5: ports[0].prot: unknown key")
        }
    }

    @Test("two open ports give manifest.invalid_field")
    func twoOpenPorts() throws {
        let text = Self.base + "ports: [{service: a, port: 1, open: true}, {service: b, port: 2, open: true}]\n"
        expectStackError(.manifestInvalidField, contains: ["ports[1].open"]) { _ = try decode(text) }
    }

    @Test("a multi-line description keeps its newlines")
    func description() throws {
        let m = try decode(Self.base + "description: |\n  Line one.\n  Line two.\n")
        #expect(m.description == "Line one.\nLine two.\n")
    }

    @Test("null optional fields are absent")
    func nullOptionals() throws {
        let m = try decode(Self.base + "title:\nports:\nresources: {cpus: ~}\n")
        #expect(m.title == nil)
        #expect(m.ports.isEmpty)
        #expect(m.resources.cpus == nil)
    }
}
