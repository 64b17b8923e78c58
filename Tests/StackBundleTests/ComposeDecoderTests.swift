import Testing
@testable import StackBundle
import StackCore
import StackTestSupport

@Suite("compose decoding")
struct ComposeDecoderTests {
    let decoder = LibYAMLManifestDecoder()

    func decode(_ text: String, parameters: [String: String] = [:]) throws -> ComposeFile {
        try decoder.decodeCompose(Array(text.utf8), path: "compose.yaml",
                                  interpolation: ComposeInterpolation(values: parameters))
    }

    func service(_ body: String) throws -> ComposeService {
        let file = try decode("services:\n  web:\n" + body)
        return try #require(file.services["web"])
    }

    @Test("a typical file decodes into typed fields")
    func typical() throws {
        let file = try decode("""
        name: demo
        version: "3.9"
        x-common: &common {restart: unless-stopped}
        services:
          web:
            <<: *common
            image: nginx:1.25@sha256:abc
            command: nginx -g 'daemon off;'
            entrypoint: [/docker-entrypoint.sh, --verbose, 3]
            user: 1000
            working_dir: /srv
            depends_on: [db]
            networks: [front, back]
            labels: {com.example.tier: web, count: 3}
            cap_add: [NET_BIND_SERVICE]
            cap_drop: [ALL]
            security_opt: ["no-new-privileges:true"]
            mem_limit: 512m
            memswap_limit: -1
            cpus: "0.5"
            pids_limit: 100
          db:
            image: postgres:16
            depends_on:
              cache: {condition: service_healthy}
            networks:
              back:
                aliases: [database]
            environment:
              POSTGRES_PASSWORD: ${DB_PASSWORD}
        networks: {front: null, back: {driver: bridge}}
        volumes:
          data:
        configs: {app: {file: ./app.conf}}
        secrets: {token: {file: ./token}}
        """, parameters: ["DB_PASSWORD": "s3cret$"])
        #expect(file.name == "demo")
        #expect(file.other["version"] == .string("3.9"))
        #expect(file.other["x-common"] == .object(["restart": .string("unless-stopped")]))
        #expect(file.networks == ["front": .null, "back": .object(["driver": .string("bridge")])])
        #expect(file.volumes == ["data": .null])
        #expect(file.configs["app"] == .object(["file": .string("./app.conf")]))
        #expect(file.secrets["token"] == .object(["file": .string("./token")]))
        let web = try #require(file.services["web"])
        #expect(web.image == "nginx:1.25@sha256:abc")
        #expect(web.restart == "unless-stopped")
        #expect(web.command == .shell("nginx -g 'daemon off;'"))
        #expect(web.entrypoint == .exec(["/docker-entrypoint.sh", "--verbose", "3"]))
        #expect(web.user == "1000")
        #expect(web.workingDir == "/srv")
        #expect(web.dependsOn == ["db"])
        #expect(web.networks == ["front", "back"])
        #expect(web.labels == ["com.example.tier": "web", "count": "3"])
        #expect(web.capAdd == ["NET_BIND_SERVICE"])
        #expect(web.capDrop == ["ALL"])
        #expect(web.securityOpt == ["no-new-privileges:true"])
        #expect(web.memLimit == Int64(512 * 1_048_576))
        #expect(web.memswapLimit == -1)
        #expect(web.cpus == 0.5)
        #expect(web.pidsLimit == 100)
        #expect(web.other.isEmpty)
        let db = try #require(file.services["db"])
        #expect(db.dependsOn == ["cache"])
        #expect(db.networks == ["back"])
        #expect(db.environment == ["POSTGRES_PASSWORD": "s3cret$"], "interpolated once, from parameters only")
    }

    @Test("environment in list form")
    func environmentList() throws {
        let s = try service("    environment:\n      - A=b\n      - EMPTY=\n      - FROM_HOST\n      - URL=x=y\n")
        let expected: [String: String?] = ["A": "b", "EMPTY": "", "FROM_HOST": String?.none, "URL": "x=y"]
        #expect(s.environment == expected)
    }

    @Test("environment in map form renders scalars as written")
    func environmentMap() throws {
        let s = try service("    environment:\n      A: b\n      DEBUG: true\n      N: 010\n      F: 1.10\n      UNSET:\n      Q: \"\"\n")
        let expected: [String: String?] = ["A": "b", "DEBUG": "true", "N": "010", "F": "1.10", "UNSET": String?.none, "Q": ""]
        #expect(s.environment == expected)
    }

    @Test("short port syntax", arguments: [
        ("80", ComposePort(target: 80)),
        ("\"8080\"", ComposePort(target: 8080)),
        ("\"8080:80\"", ComposePort(target: 80, published: "8080")),
        ("\"127.0.0.1:8080:80/udp\"", ComposePort(target: 80, published: "8080", hostIP: "127.0.0.1", proto: "udp")),
        ("\"127.0.0.1::80\"", ComposePort(target: 80, hostIP: "127.0.0.1")),
        ("\"[::1]:8080:80\"", ComposePort(target: 80, published: "8080", hostIP: "::1")),
        ("\"[::1]::80/tcp\"", ComposePort(target: 80, hostIP: "::1")),
        ("\"::1:8080:80\"", ComposePort(target: 80, published: "8080", hostIP: "::1")),
        ("\"8000-8010:8000-8010\"", ComposePort(target: 8000, targetEnd: 8010, published: "8000-8010")),
        ("\"9090-9091\"", ComposePort(target: 9090, targetEnd: 9091)),
        ("\"0.0.0.0:5000:5000/TCP\"", ComposePort(target: 5000, published: "5000", hostIP: "0.0.0.0")),
    ])
    func shortPorts(text: String, expected: ComposePort) throws {
        #expect(try service("    ports:\n      - \(text)\n").ports == [expected])
    }

    @Test("long port syntax")
    func longPorts() throws {
        let s = try service("""
            ports:
              - target: 80
                published: "8080"
                host_ip: 127.0.0.1
                protocol: udp
                mode: host
              - {target: "443", published: 8443-8444}
              - {target: 53}

        """)
        #expect(s.ports == [
            ComposePort(target: 80, published: "8080", hostIP: "127.0.0.1", proto: "udp"),
            ComposePort(target: 443, published: "8443-8444"),
            ComposePort(target: 53),
        ])
    }

    @Test("short volume syntax", arguments: [
        ("./conf:/etc/app:ro", ComposeMount(type: .bind, source: "./conf", target: "/etc/app", readOnly: true)),
        ("data:/var/lib/x", ComposeMount(type: .volume, source: "data", target: "/var/lib/x")),
        ("/host:/c", ComposeMount(type: .bind, source: "/host", target: "/c")),
        ("~/x:/c:rw", ComposeMount(type: .bind, source: "~/x", target: "/c")),
        ("/anonymous", ComposeMount(type: .volume, source: nil, target: "/anonymous")),
        ("/var/run/docker.sock:/var/run/docker.sock", ComposeMount(type: .bind, source: "/var/run/docker.sock",
                                                                  target: "/var/run/docker.sock")),
        ("./c:/c:ro,z", ComposeMount(type: .bind, source: "./c", target: "/c", readOnly: true,
                                     options: ["bind": .object(["selinux": .string("z")])])),
        ("data:/d:nocopy", ComposeMount(type: .volume, source: "data", target: "/d",
                                        options: ["volume": .object(["nocopy": .bool(true)])])),
    ])
    func shortVolumes(text: String, expected: ComposeMount) throws {
        #expect(try service("    volumes:\n      - \"\(text)\"\n").volumes == [expected])
    }

    @Test("long volume syntax keeps extra keys in options")
    func longVolumes() throws {
        let s = try service("""
            volumes:
              - type: bind
                source: ./static
                target: /usr/share/nginx/html
                read_only: true
                bind: {create_host_path: false}
              - {type: volume, source: data, target: /data, volume: {nocopy: true, subpath: app}}
              - {type: tmpfs, target: /tmp, tmpfs: {size: 1000000}}

        """)
        #expect(s.volumes == [
            ComposeMount(type: .bind, source: "./static", target: "/usr/share/nginx/html", readOnly: true,
                         options: ["bind": .object(["create_host_path": .bool(false)])]),
            ComposeMount(type: .volume, source: "data", target: "/data",
                         options: ["volume": .object(["nocopy": .bool(true), "subpath": .string("app")])]),
            ComposeMount(type: .tmpfs, source: nil, target: "/tmp",
                         options: ["tmpfs": .object(["size": .int(1_000_000)])]),
        ])
    }

    @Test("keys the model does not type are kept verbatim in other")
    func otherKeys() throws {
        let file = try decode("""
        include: [other.yaml]
        x-meta: {owner: me}
        services:
          web:
            image: app
            build: {context: ., dockerfile: Dockerfile}
            extends: {file: base.yaml, service: base}
            env_file: [.env]
            configs: [app]
            secrets: [token]
            gpus: all
            deploy: {resources: {limits: {memory: 1g}}}
            use_api_socket: true
            provider: {type: model}
            x-custom: [1, 2.5, null]
            tty: true
        """)
        #expect(file.other["include"] == .array([.string("other.yaml")]))
        #expect(file.other["x-meta"] == .object(["owner": .string("me")]))
        let web = try #require(file.services["web"])
        #expect(web.other == [
            "build": .object(["context": .string("."), "dockerfile": .string("Dockerfile")]),
            "extends": .object(["file": .string("base.yaml"), "service": .string("base")]),
            "env_file": .array([.string(".env")]),
            "configs": .array([.string("app")]),
            "secrets": .array([.string("token")]),
            "gpus": .string("all"),
            "deploy": .object(["resources": .object(["limits": .object(["memory": .string("1g")])])]),
            "use_api_socket": .bool(true),
            "provider": .object(["type": .string("model")]),
            "x-custom": .array([.int(1), .double(2.5), .null]),
            "tty": .bool(true),
        ])
    }

    @Test("isolation-relevant keys are typed")
    func isolationKeys() throws {
        let s = try service("""
            privileged: true
            network_mode: host
            pid: host
            ipc: host
            uts: host
            userns_mode: host
            cgroup: host
            cgroup_parent: /sys
            runtime: runc
            devices:
              - /dev/fuse:/dev/fuse
              - {source: /dev/kvm, target: /dev/kvm, permissions: rwm}
            device_cgroup_rules: ["c 1:3 mr"]
            sysctls: [net.core.somaxconn=1024]
            oom_kill_disable: true

        """)
        #expect(s.privileged == true)
        #expect(s.networkMode == "host")
        #expect(s.pid == "host" && s.ipc == "host" && s.uts == "host")
        #expect(s.usernsMode == "host" && s.cgroup == "host")
        #expect(s.cgroupParent == "/sys")
        #expect(s.runtime == "runc")
        #expect(s.devices == ["/dev/fuse:/dev/fuse", "/dev/kvm"])
        #expect(s.deviceCgroupRules == ["c 1:3 mr"])
        #expect(s.sysctls == ["net.core.somaxconn": "1024"])
        #expect(s.oomKillDisable == true)
        #expect(s.other.isEmpty)
        #expect(try service("    sysctls: {net.ipv4.ip_forward: 1}\n").sysctls == ["net.ipv4.ip_forward": "1"])
    }

    @Test("healthcheck forms")
    func healthchecks() throws {
        let string = try service("    healthcheck:\n      test: curl -f http://localhost/\n      interval: 30s\n      retries: 3\n      start_period: 5s\n      timeout: 2s\n")
        #expect(string.healthcheck == ComposeHealthcheck(test: ["CMD-SHELL", "curl -f http://localhost/"],
                                                         interval: "30s", timeout: "2s", retries: 3,
                                                         startPeriod: "5s"))
        let list = try service("    healthcheck: {test: [CMD, pg_isready, -U, postgres]}\n")
        #expect(list.healthcheck?.test == ["CMD", "pg_isready", "-U", "postgres"])
        let disabled = try service("    healthcheck: {disable: true}\n")
        #expect(disabled.healthcheck == ComposeHealthcheck(disable: true))
    }

    @Test("labels in list form; null typed keys are unset")
    func labelsAndNulls() throws {
        let s = try service("    labels: [a=b, flag, \"c=d=e\"]\n    command:\n    ports:\n")
        #expect(s.labels == ["a": "b", "flag": "", "c": "d=e"])
        #expect(s.command == nil)
        #expect(s.ports.isEmpty)
    }

    @Test("invalid compose files are rejected with path, line and column", arguments: [
        ("version: '3'\n", "compose.invalid", ["compose.yaml:1:1: services: missing"]),
        ("- a\n", "compose.invalid", ["compose.yaml:1:1: (top level)"]),
        ("services: [web]\n", "compose.invalid", ["compose.yaml:1:11: services:", "found sequence"]),
        ("services:\n  web: nginx\n", "compose.invalid", ["compose.yaml:2:8: services.web:"]),
        ("services:\n  -web:\n    image: a\n", "compose.invalid", ["compose.yaml:2:3: services.-web"]),
        ("services:\n  web:\n    ports: [80, \"99999:80\"]\n", "compose.invalid",
         ["compose.yaml:3:17: services.web.ports[1]:", "99999"]),
        ("services:\n  web:\n    ports: [\"80/icmp\"]\n", "compose.invalid", ["services.web.ports[0]", "icmp"]),
        ("services:\n  web:\n    ports: [\"a:b\"]\n", "compose.invalid", ["services.web.ports[0]"]),
        ("services:\n  web:\n    ports: [\"[::1:80:80\"]\n", "compose.invalid", ["services.web.ports[0]"]),
        ("services:\n  web:\n    ports: [\"90-80\"]\n", "compose.invalid", ["services.web.ports[0]"]),
        ("services:\n  web:\n    ports: [0]\n", "compose.invalid", ["services.web.ports[0]"]),
        ("services:\n  web:\n    ports: [true]\n", "compose.invalid", ["services.web.ports[0]", "boolean"]),
        ("services:\n  web:\n    ports: [{published: 80}]\n", "compose.invalid", ["services.web.ports[0]", "target"]),
        ("services:\n  web:\n    ports: [{target: 80, prot: udp}]\n", "compose.invalid", ["services.web.ports[0].prot"]),
        ("services:\n  web:\n    ports: \"80:80\"\n", "compose.invalid", ["compose.yaml:3:12: services.web.ports:"]),
        ("services:\n  web:\n    volumes: [\"data\"]\n", "compose.invalid", ["services.web.volumes[0]", "absolute"]),
        ("services:\n  web:\n    volumes: [\"a:b\"]\n", "compose.invalid", ["services.web.volumes[0]"]),
        ("services:\n  web:\n    volumes: [\"a:/b:rx\"]\n", "compose.invalid", ["services.web.volumes[0]", "rx"]),
        ("services:\n  web:\n    volumes: [{source: a, target: /b}]\n", "compose.invalid", ["services.web.volumes[0]", "type"]),
        ("services:\n  web:\n    volumes: [{type: nfs, target: /b}]\n", "compose.invalid", ["services.web.volumes[0].type"]),
        ("services:\n  web:\n    volumes: [{type: bind, target: /b}]\n", "compose.invalid", ["services.web.volumes[0]", "source"]),
        ("services:\n  web:\n    image: [a]\n", "compose.invalid", ["compose.yaml:3:12: services.web.image:"]),
        ("services:\n  web:\n    privileged: \"true\"\n", "compose.invalid", ["services.web.privileged", "boolean"]),
        ("services:\n  web:\n    command: {a: b}\n", "compose.invalid", ["services.web.command"]),
        ("services:\n  web:\n    command: [ls, [x]]\n", "compose.invalid", ["services.web.command[1]"]),
        ("services:\n  web:\n    environment: [\"=x\"]\n", "compose.invalid", ["services.web.environment[0]"]),
        ("services:\n  web:\n    environment: {A: [1]}\n", "compose.invalid", ["services.web.environment.A"]),
        ("services:\n  web:\n    environment: \"A=b\"\n", "compose.invalid", ["services.web.environment"]),
        ("services:\n  web:\n    labels: [\"=x\"]\n", "compose.invalid", ["services.web.labels[0]"]),
        ("services:\n  web:\n    sysctls: [net.core.x]\n", "compose.invalid", ["services.web.sysctls[0]"]),
        ("services:\n  web:\n    mem_limit: lots\n", "compose.invalid", ["services.web.mem_limit"]),
        ("services:\n  web:\n    mem_limit: -1\n", "compose.invalid", ["services.web.mem_limit"]),
        ("services:\n  web:\n    cpus: many\n", "compose.invalid", ["services.web.cpus"]),
        ("services:\n  web:\n    pids_limit: -2\n", "compose.invalid", ["services.web.pids_limit"]),
        ("services:\n  web:\n    healthcheck: {test: [CMD], retries: x}\n", "compose.invalid", ["services.web.healthcheck.retries"]),
        ("services:\n  web:\n    healthcheck: {tests: x}\n", "compose.invalid", ["compose.yaml:3:19: services.web.healthcheck.tests"]),
        ("services:\n  web:\n    devices: [{target: /dev/x}]\n", "compose.invalid", ["services.web.devices[0]"]),
        ("services:\n  web:\n    depends_on: db\n", "compose.invalid", ["services.web.depends_on"]),
        ("services: {}\nnetworks: [a]\n", "compose.invalid", ["compose.yaml:2:11: networks"]),
        ("services: {}\nname: [x]\n", "compose.invalid", ["name"]),
        ("services:\n  web: {}\n  web: {}\n", "yaml.duplicate_key", ["compose.yaml:3:3", "web", "2:3"]),
        ("services:\n  web:\n\timage: x\n", "yaml.syntax", ["compose.yaml:3:"]),
    ])
    func rejections(text: String, code: String, fragments: [String]) throws {
        do {
            let file = try decode(text)
            Issue.record("accepted: \(file)")
        } catch let error as StackError {
            #expect(error.code.rawValue == code, "\(error)")
            for fragment in fragments {
                #expect(error.message.contains(fragment), "\(error.message) lacks \(fragment)")
            }
        }
    }

    @Test("type errors use compose.invalid")
    func typeErrorCode() throws {
        expectStackError(.composeInvalid, contains: ["compose.yaml:3:17: services.web.ports[1]"]) {
            _ = try decode("services:\n  web:\n    ports: [80, {}]\n")
        }
    }
}

@Suite("compose decoding: interpolation first, then short syntax (as Compose does)")
struct ComposeInterpolationDecodingTests {
    let decoder = LibYAMLManifestDecoder()

    func service(_ body: String, _ values: [String: String], declared: Set<String> = []) throws -> ComposeService {
        let file = try decoder.decodeCompose(Array("services:\n  web:\n    image: i\n\(body)".utf8), path: "compose.yaml",
                                             interpolation: ComposeInterpolation(values: values, declared: declared))
        return try #require(file.services["web"])
    }

    @Test("ports, volumes and healthcheck read from interpolated values")
    func shortSyntax() throws {
        let web = try service("""
                ports: ["${PORT}:80", "${IF:-0.0.0.0}:53:53/udp", "${RANGE:-8000-8001}:9000-9001"]
                volumes: ["${DIR:-./data}:/data", "data:${TARGET}", "cache:/x${SUB:-/y}:ro"]
                healthcheck: {test: [CMD, true], interval: "${EVERY:-5s}", start_interval: 1s}
            """, ["PORT": "8080", "TARGET": "/srv"], declared: ["IF", "RANGE", "DIR", "SUB", "EVERY"])
        #expect(web.ports == [ComposePort(target: 80, published: "8080"),
                              ComposePort(target: 53, published: "53", hostIP: "0.0.0.0", proto: "udp"),
                              ComposePort(target: 9000, targetEnd: 9001, published: "8000-8001")])
        #expect(web.volumes.map(\.type) == [.bind, .volume, .volume])
        #expect(web.volumes.map(\.source) == ["./data", "data", "cache"])
        #expect(web.volumes.map(\.target) == ["/data", "/srv", "/x/y"])
        #expect(web.volumes[2].readOnly)
        #expect(web.healthcheck?.interval == "5s")
        #expect(web.healthcheck?.startInterval == "1s")
    }

    @Test("a plain ${PORT} becomes the integer it resolves to; a quoted one stays text")
    func scalarTypes() throws {
        let web = try service("    ports:\n      - ${PORT}\n      - \"${PORT}\"\n    mem_limit: ${MEM}\n", ["PORT": "8080", "MEM": "64m"])
        #expect(web.ports == [ComposePort(target: 8080), ComposePort(target: 8080)])
        #expect(web.memLimit == 64 << 20)
    }

    @Test("host variables are refused everywhere, keys included as written", arguments: [
        "    command: ls ${HOME}\n",
        "    volumes: [\"data:/x${HOME}\"]\n",
        "    healthcheck: {test: [CMD, true], interval: \"${PATH}\"}\n",
        "    environment: [\"A=$USER\"]\n",
        "    x-extra: {path: $PWD}\n",
        "    labels: {who: \"${A:-${USER}}\"}\n",
        "    entrypoint: [sh, \"${}\"]\n",
    ])
    func hostVariables(body: String) throws {
        let error = stackError { _ = try service(body, ["A": ""]) }
        #expect(error?.code == .policyInterpolation, "\(body)")
        #expect(error?.message.contains("compose.yaml:") == true)
    }

    @Test("$$ stays a literal dollar and is never looked up")
    func escapes() throws {
        let web = try service("    command: echo $$HOME ${A}\n", ["A": "x"])
        #expect(web.command == .shell("echo $HOME x"))
    }
}
