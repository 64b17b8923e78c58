import Foundation
import StackCLI
import StackCore
import StackTestSupport
import Testing

/// A running `stackctl serve` (the real binary) on an ephemeral port, stopped with SIGTERM.
final class LiveServer: Sendable {
    // Set up once in `start`, then only read; `stop` is idempotent.
    let process: Process
    let port: Int
    let home: URL
    let certificate: String

    private init(process: Process, port: Int, home: URL) {
        self.process = process
        self.port = port
        self.home = home
        self.certificate = home.appendingPathComponent("tls/cert.pem").path
    }

    static func start(home: URL, extra: [String] = []) throws -> LiveServer {
        let process = Process()
        process.executableURL = stackctlBinary()
        process.arguments = ["--json", "serve", "--port", "0"] + extra
        process.environment = ProcessInfo.processInfo.environment.merging(["STACK_HOME": home.path]) { _, new in new }
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        // The first line of stdout is {"port": N}.
        var buffer = Data()
        let deadline = Date().addingTimeInterval(20)
        while !buffer.contains(0x7D), Date() < deadline {
            let chunk = out.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            buffer += chunk
        }
        guard let object = try? JSONSerialization.jsonObject(with: buffer) as? [String: Any], let port = object["port"] as? Int else {
            process.terminate()
            throw StackError(.internalError, "serve did not report its port: \(String(decoding: buffer, as: UTF8.self))")
        }
        return LiveServer(process: process, port: port, home: home)
    }

    /// Sends SIGTERM and returns the exit status.
    @discardableResult
    func stop() -> Int32 {
        if process.isRunning { kill(process.processIdentifier, SIGTERM) }
        let deadline = Date().addingTimeInterval(15)
        while process.isRunning && Date() < deadline { usleep(20_000) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL); process.waitUntilExit() }
        return process.terminationStatus
    }

    /// curl against the server; returns status code, headers and body.
    func curl(_ path: String, method: String = "GET", headers: [String] = [], body: String? = nil,
              host: String = "127.0.0.1") async throws -> (status: Int, headers: String, body: String) {
        var arguments = ["-s", "--cacert", certificate, "-X", method, "-D", "-", "--max-time", "30",
                         "--resolve", "localhost:\(port):127.0.0.1"]
        for header in headers { arguments += ["-H", header] }
        if let body { arguments += ["--data-binary", body] }
        arguments.append("https://\(host):\(port)\(path)")
        let result = try await program("/usr/bin/curl", arguments)
        let parts = result.stdout.components(separatedBy: "\r\n\r\n")
        let head = parts.first ?? ""
        let status = Int(head.split(separator: " ").dropFirst().first ?? "") ?? 0
        return (status, head, parts.dropFirst().joined(separator: "\r\n\r\n"))
    }
}

/// Mints tokens with the real PyJWT, as a catalog website would.
func pyjwt(secretFile: URL, issuer: String = "https://stack.lol", scope: String, body: String? = nil,
           extraHeader: String = "", payloadOverrides: String = "", alg: String = "HS256") async throws -> String {
    let script = """
        import jwt, sys, time, uuid, hashlib
        secret = open(sys.argv[1]).read().strip()
        body = sys.argv[2].encode() if len(sys.argv) > 2 else None
        now = int(time.time())
        payload = {"iss": "\(issuer)", "aud": "stack-desktop", "iat": now, "exp": now + 120,
                   "jti": str(uuid.uuid4()), "scope": "\(scope)"}
        if body is not None:
            payload["body_sha256"] = hashlib.sha256(body).hexdigest()
        payload.update({\(payloadOverrides)})
        headers = {"typ": "stack+jwt"\(extraHeader)}
        print(jwt.encode(payload, secret, algorithm="\(alg)", headers=headers))
        """
    let result = try await program("/usr/bin/env", ["python3", "-c", script, secretFile.path] + (body.map { [$0] } ?? []))
    guard result.status == 0 else { throw StackError(.internalError, "PyJWT failed: \(result.stderr)") }
    return result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
}

@Suite("stackctl serve: the secured local API", .serialized)
struct ServeTests {
    @Test("serve picks up config set without a restart: a new origin is allowed, a new issuer is required, a broken file keeps the old settings")
    func reloadsConfig() async throws {
        let signed = try await SignedHome.make("serve-reload")
        let server = try LiveServer.start(home: signed.home)
        defer { server.stop() }
        let secret = signed.home.appendingPathComponent("secrets/api.secret")
        let origin = "https://new.example"
        let read = try await pyjwt(secretFile: secret, scope: "stacks:read")
        let before = try await server.curl("/v1/stacks", headers: ["Authorization: Bearer \(read)", "Origin: \(origin)"])
        #expect(before.status == 403)
        #expect(await signed.run(["config", "set", "catalog.origins", "[\"https://stack.lol\", \"\(origin)\"]"]).status == 0)
        let after = try await server.curl("/v1/stacks", headers: ["Authorization: Bearer \(read)", "Origin: \(origin)"])
        #expect(after.status == 200, "\(after.headers)")
        #expect(after.headers.contains("Access-Control-Allow-Origin: \(origin)"))
        // A new issuer: tokens of the old one are refused from the next request on.
        #expect(await signed.run(["config", "set", "catalog.issuer", "https://new.example"]).status == 0)
        let old = try await pyjwt(secretFile: secret, scope: "stacks:read")
        #expect(try await server.curl("/v1/stacks", headers: ["Authorization: Bearer \(old)"]).status == 401)
        let new = try await pyjwt(secretFile: secret, issuer: "https://new.example", scope: "stacks:read")
        #expect(try await server.curl("/v1/stacks", headers: ["Authorization: Bearer \(new)"]).status == 200)
        // A broken file: the settings in force stay, the server keeps answering.
        try Data("{broken".utf8).write(to: signed.home.appendingPathComponent("config.json"))
        let still = try await pyjwt(secretFile: secret, issuer: "https://new.example", scope: "stacks:read")
        #expect(try await server.curl("/v1/stacks", headers: ["Authorization: Bearer \(still)", "Origin: \(origin)"]).status == 200)
    }

    @Test("a full disk: a POST gets 507 io.no_space (never 401), and the state files stay valid")
    func diskFull() async throws {
        let tmp = try TemporaryDirectory("serve-full")
        let mountPoint = tmp.path("small")
        try FileManager.default.createDirectory(at: mountPoint, withIntermediateDirectories: true)
        let mounted = try await program("/bin/mount", ["-t", "tmpfs", "-o", "size=2m", "tmpfs", mountPoint.path])
        try #require(mounted.status == 0, "mount: \(mounted.stderr)")
        defer { _ = try? ChildProcess.runBlocking("/bin/umount", ["-l", mountPoint.path]) }
        let home = mountPoint.appendingPathComponent("home")
        #expect(await stackctl(["--home", home.path, "init"]).status == 0)
        let server = try LiveServer.start(home: home)
        defer { server.stop() }
        let secret = home.appendingPathComponent("secrets/api.secret")
        let body = #"{"bundle_url": "https://stack.lol/b/x.stack", "sha256": "\#(String(repeating: "a", count: 64))"}"#
        // One request while there is room, so the replay ledger exists and holds a line.
        let first = try await pyjwt(secretFile: secret, scope: "stacks:run", body: body)
        _ = try await server.curl("/v1/stacks", method: "POST", headers: ["Authorization: Bearer \(first)", "Content-Type: application/json"], body: body)
        // Fill the disk.
        _ = try await program("/bin/dd", ["if=/dev/zero", "of=\(mountPoint.appendingPathComponent("filler").path)", "bs=64k", "count=100"])
        let token = try await pyjwt(secretFile: secret, scope: "stacks:run", body: body)
        let full = try await server.curl("/v1/stacks", method: "POST", headers: ["Authorization: Bearer \(token)", "Content-Type: application/json"], body: body)
        #expect(full.status == 507, "\(full.headers)\n\(full.body)")
        #expect(full.body.contains("io.no_space"), "\(full.body)")
        // The state documents still parse.
        for name in try FileManager.default.contentsOfDirectory(atPath: home.appendingPathComponent("state").path) where name.hasSuffix(".json") {
            let data = try Data(contentsOf: home.appendingPathComponent("state/\(name)"))
            #expect((try? JSONSerialization.jsonObject(with: data)) != nil, "\(name) is corrupt")
        }
    }

    @Test("gate: Host, Origin, CORS preflights, tokens from PyJWT, scopes, replay, body and header caps, security headers")
    func gate() async throws {
        let signed = try await SignedHome.make("serve-gate")
        #expect(await signed.run(["config", "set", "catalog.origins", "[\"https://stack.lol\", \"http://127.0.0.1:9\"]"]).status == 0)
        let server = try LiveServer.start(home: signed.home)
        defer { server.stop() }
        let secret = signed.home.appendingPathComponent("secrets/api.secret")

        let health = try await server.curl("/v1/health")
        #expect(health.status == 200)
        for header in ["X-Frame-Options: DENY", "X-Content-Type-Options: nosniff", "Vary: Origin"] {
            #expect(health.headers.contains(header), "missing \(header)")
        }
        #expect(try await server.curl("/v1/stacks").status == 401)
        let read = try await pyjwt(secretFile: secret, scope: "stacks:read")
        let ok = try await server.curl("/v1/stacks", headers: ["Authorization: Bearer \(read)"])
        #expect(ok.status == 200)
        #expect(ok.body.contains("\"stacks\":[]"))
        #expect(try await server.curl("/v1/stacks", headers: ["Authorization: Bearer \(read)"], host: "localhost").status == 200)
        for host in ["evil.example", "127.0.0.1.nip.io", "127.0.0.1:1", "localhost"] {
            let r = try await server.curl("/v1/stacks", headers: ["Authorization: Bearer \(read)", "Host: \(host)"])
            #expect(r.status == 421, "Host \(host)")
        }
        let foreign = try await server.curl("/v1/stacks", headers: ["Authorization: Bearer \(read)", "Origin: https://evil.example"])
        #expect(foreign.status == 403)
        #expect(!foreign.headers.contains("Access-Control-Allow-Origin"))
        let allowed = try await server.curl("/v1/stacks", headers: ["Authorization: Bearer \(read)", "Origin: https://stack.lol"])
        #expect(allowed.status == 200)
        #expect(allowed.headers.contains("Access-Control-Allow-Origin: https://stack.lol"))
        #expect(!allowed.headers.contains("Access-Control-Allow-Origin: *"))
        let preflight = try await server.curl("/v1/stacks", method: "OPTIONS", headers: [
            "Origin: https://stack.lol", "Access-Control-Request-Method: POST", "Access-Control-Request-Private-Network: true"])
        #expect(preflight.status == 204)
        #expect(preflight.headers.contains("Access-Control-Allow-Private-Network: true"))
        #expect(try await server.curl("/v1/stacks", method: "OPTIONS", headers: ["Origin: https://evil.example"]).status == 403)

        // Scope, algorithm, replay.
        let wrongScope = try await server.curl("/v1/stacks/x/stop", method: "POST", headers: ["Authorization: Bearer \(read)"])
        #expect(wrongScope.status == 403)
        #expect(wrongScope.body.contains("auth.scope"))
        let body = "{\"bundle_url\": \"https://evil.example/x.stack\", \"sha256\": \"\(String(repeating: "a", count: 64))\"}"
        let run = try await pyjwt(secretFile: secret, scope: "stacks:run", body: body)
        let forbidden = try await server.curl("/v1/stacks", method: "POST", headers: ["Authorization: Bearer \(run)", "Content-Type: application/json"], body: body)
        #expect(forbidden.status == 403, "\(forbidden.body)")
        #expect(forbidden.body.contains("download.forbidden_origin"))
        let replay = try await server.curl("/v1/stacks", method: "POST", headers: ["Authorization: Bearer \(run)", "Content-Type: application/json"], body: body)
        #expect(replay.status == 401)
        #expect(replay.body.contains("auth.replay"))
        let tampered = try await server.curl("/v1/stacks", method: "POST", headers: [
            "Authorization: Bearer \(try await pyjwt(secretFile: secret, scope: "stacks:run", body: body))", "Content-Type: application/json"],
            body: body.replacingOccurrences(of: "evil", with: "eviL"))
        #expect(tampered.body.contains("auth.body_hash"))
        let otherIssuer = try await pyjwt(secretFile: secret, issuer: "https://stack.lol.evil", scope: "stacks:read")
        #expect(try await server.curl("/v1/stacks", headers: ["Authorization: Bearer \(otherIssuer)"]).body.contains("auth.issuer"))

        // Caps.
        let big = String(repeating: "x", count: 64 * 1024 + 1)
        #expect(try await server.curl("/v1/stacks", method: "POST", headers: ["Authorization: Bearer \(run)"], body: big).status == 413)
        let hugeHeader = "X-Big: " + String(repeating: "h", count: 17 * 1024)
        #expect(try await server.curl("/v1/health", headers: [hugeHeader]).status == 431)
        #expect(server.stop() == 0, "serve must exit 0 on SIGTERM")
    }

    @Test("EdDSA tokens from PyJWT verify against a pinned website key; HS256 still works")
    func edDSA() async throws {
        let signed = try await SignedHome.make("serve-eddsa")
        let keygen = try await program("/usr/bin/env", ["python3", "-c", """
            import base64
            from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
            from cryptography.hazmat.primitives import serialization
            k = Ed25519PrivateKey.generate()
            raw = k.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
            pem = k.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
            print(base64.b64encode(raw).decode()); print(pem.decode())
            """])
        let lines = keygen.stdout.split(separator: "\n", maxSplits: 1).map(String.init)
        let publicKey = try #require(lines.first)
        let pem = signed.tmp.path("website.pem")
        try Data(lines[1].utf8).write(to: pem)
        #expect(await signed.run(["config", "set", "api.websitePublicKey", publicKey]).status == 0)
        let server = try LiveServer.start(home: signed.home)
        defer { server.stop() }
        let token = try await pyjwt(secretFile: pem, scope: "stacks:read", alg: "EdDSA")
        #expect(try await server.curl("/v1/stacks", headers: ["Authorization: Bearer \(token)"]).status == 200)
        let forged = try await pyjwt(secretFile: signed.tmp.path("publisher.key"), scope: "stacks:read")
        #expect(try await server.curl("/v1/stacks", headers: ["Authorization: Bearer \(forged)"]).body.contains("auth.signature"))
        let hs = try await pyjwt(secretFile: signed.home.appendingPathComponent("secrets/api.secret"), scope: "stacks:read")
        #expect(try await server.curl("/v1/stacks", headers: ["Authorization: Bearer \(hs)"]).status == 200)
    }

    @Test("TLS 1.1 is refused while TLS 1.2 works; a non-loopback --host is refused")
    func transport() async throws {
        let signed = try await SignedHome.make("serve-tls")
        let server = try LiveServer.start(home: signed.home)
        defer { server.stop() }
        let old = try await program("/usr/bin/openssl", ["s_client", "-connect", "127.0.0.1:\(server.port)", "-tls1_1",
                                                  "-cipher", "DEFAULT@SECLEVEL=0"], input: "")
        #expect(old.status != 0, "TLS 1.1 handshake succeeded")
        let modern = try await program("/usr/bin/openssl", ["s_client", "-connect", "127.0.0.1:\(server.port)", "-tls1_2",
                                                     "-CAfile", server.certificate, "-verify_return_error"], input: "")
        #expect(modern.status == 0, "\(modern.stderr)")
        #expect(modern.stdout.contains("Verify return code: 0 (ok)"))
        for host in ["0.0.0.0", "::", "192.168.1.10"] {
            let refused = await signed.run(["--json", "serve", "--host", host, "--port", "0"])
            #expect(refused.status == 2, "\(host)")
            #expect(refused.errorCode == "api.non_loopback")
        }
    }
}

@Suite("stackctl serve: methods and unknown paths")
struct ServeRoutingTests {
    @Test("a wrong method on a known path is 405 with Allow; an unknown path shape is 404")
    func methodsAndPaths() async throws {
        let signed = try await SignedHome.make("serve-routes")
        let server = try LiveServer.start(home: signed.home)
        defer { server.stop() }
        let secret = signed.home.appendingPathComponent("secrets/api.secret")
        let health = try await server.curl("/v1/health", method: "POST")
        #expect(health.status == 405)
        #expect(health.headers.contains("Allow: GET"))
        let token = try await pyjwt(secretFile: secret, scope: "stacks:read")
        let put = try await server.curl("/v1/stacks", method: "PUT", headers: ["Authorization: Bearer \(token)"])
        #expect(put.status == 405)
        #expect(put.headers.contains("Allow: GET, POST"))
        #expect(try await server.curl("/v1/stacks/a/b", headers: ["Authorization: Bearer \(token)"]).status == 404)
        #expect(try await server.curl("/v2/stacks", headers: ["Authorization: Bearer \(token)"]).status == 404)

        // Query strings schemathesis found: an empty key used to trap the server.
        for query in ["=", "=&&=x&purge", "%ZZ=1&purge=%", "purge=true&purge=false&="] {
            let manage = try await pyjwt(secretFile: secret, scope: "stacks:manage",
                                         payloadOverrides: "\"htm\": \"DELETE\", \"htu\": \"/v1/stacks/nothing-here?\(query)\"")
            let removed = try await server.curl("/v1/stacks/nothing-here?\(query)", method: "DELETE",
                                          headers: ["Authorization: Bearer \(manage)"])
            #expect(removed.status == 404, "?\(query): \(removed.status) \(removed.body)")
        }
        #expect(try await server.curl("/v1/health").status == 200)
    }
}
