import Foundation
import StackAPI
import StackCore
import StackSecurity

/// `stackctl serve` and `stackctl cert show|trust`.
enum ServeCommand {
    static let certGroup = CommandGroup(name: "cert", abstract: "Show the local API's TLS certificate and how to trust it.")

    static let serve = CommandSpec(
        path: ["serve"],
        abstract: "Serve the local HTTPS API for the catalog website (foreground).",
        discussion: "Listens on 127.0.0.1 only (api.port, default 47100) with the self-signed loopback certificate (renewed at start when under 30 days remain). Requests need a bearer token signed with the shared secret. Approvals wait in a queue answered with `stackctl approvals`. Stops cleanly on SIGINT or SIGTERM.",
        options: [OptionSpec("port", value: "n", help: "Port (default: api.port)."),
                  OptionSpec("host", value: "address", help: "Loopback address (default 127.0.0.1); anything else is refused.")],
        run: runServe)

    static let certShow = CommandSpec(path: ["cert", "show"], abstract: "Print the certificate's path, expiry and SHA-256 fingerprint.", run: runCertShow)
    static let certTrust = CommandSpec(path: ["cert", "trust"], abstract: "Explain how to trust the loopback certificate in browsers.", run: runCertTrust)

    static let all = [serve, certShow, certTrust]

    static func runServe(_ invocation: Invocation) async throws {
        let home = try invocation.initializedHome()
        let config = try StackConfig.load(from: home)
        let host = invocation.option("host") ?? "127.0.0.1"
        try HTTPServer.requireLoopback(host)
        let port = try invocation.option("port").map { text -> Int in
            guard let n = Int(text), (0...65535).contains(n) else { throw StackError(.usage, "--port needs a port number") }
            return n
        } ?? config.api.port
        let (certificate, renewed) = try LoopbackCertificate.ensure(in: home.tlsDirectory)
        let secret = try SharedSecret.load(from: home.apiSecretFile)
        let operations = OperationStore()
        let console = invocation.console
        let interactive = console.isInteractive
        let promptLock = NSLock()
        let prompter = QueuedApprovalPrompter(home: home, onQueued: { entry in
            console.err("approval \(entry.id): \(entry.stack) \(entry.version.terminalSafe) is waiting — `stackctl approvals approve \(entry.id)` or `deny \(entry.id)`\n")
            if interactive {
                // With a terminal, also ask here (one prompt at a time, on a thread of its
                // own); whichever answer comes first is recorded in the queue.
                let thread = Thread {
                    promptLock.lock()
                    defer { promptLock.unlock() }
                    guard (try? ApprovalQueue(home: home).decision(of: entry.id)) == .pending else { return }
                    var text = "\nThe website asks to run \(entry.stack) \(entry.version); you are asked because \(entry.reason ?? "the stack is not trusted"):\n"
                    for line in entry.summary { text += "  \(line)\n" }
                    console.err((text + "Run it? [y/N] ").terminalSafe)
                    let answer = readLine(strippingNewline: true)?.trimmingCharacters(in: .whitespaces).lowercased()
                    _ = try? ApprovalQueue(home: home).decide(entry.id, approve: answer == "y" || answer == "yes")
                }
                thread.start()
            }
            Task { await operations.publish(APIEvent(type: "alert", json: APIJSON.encode(["approval": entry.id, "stack": entry.stack]))) }
        })
        // Everything that depends on config.json is built by one function and built again
        // when the file changes, so `config set` takes effect without a restart (the port
        // and the listening address excepted).
        let streams = EventStreamLimiter()
        let build = { @Sendable (config: StackConfig, port: Int) throws -> APIRouter in
            try router(invocation, config: config, port: port, secret: secret, operations: operations, prompter: prompter,
                       streams: streams)
        }
        // The router needs the bound port for the Host check; bind first, then route.
        let routerBox = LockedBox<(router: APIRouter, stamp: ConfigStamp)?>(nil)
        let routed = HTTPServer(configuration: .init(host: host, port: port), tls: try TLSServerContext(certificate: certificate)) { request in
            let stamp = ConfigStamp(home.configFile)
            let router = routerBox.withLock { current -> APIRouter? in
                guard let loaded = current else { return nil }
                guard loaded.stamp != stamp else { return loaded.router }
                do {
                    let fresh = try build(try StackConfig.load(from: home), loaded.router.port)
                    current = (fresh, stamp)
                    console.err("stackctl serve: config.json changed; settings reloaded\n")
                    return fresh
                } catch {
                    // A broken file keeps the settings in force; say why once per change.
                    current = (loaded.router, stamp)
                    console.err("stackctl serve: config.json changed but cannot be used, keeping the previous settings: \(StackError.describe(error))\n")
                    return loaded.router
                }
            }
            guard let router else { return APIResponse(status: 503) }
            return await router.handle(request)
        }
        try routed.start()
        let initial = try build(config, routed.port)
        routerBox.withLock { $0 = (initial, ConfigStamp(home.configFile)) }
        let signals = [SIGINT, SIGTERM].map { number -> any DispatchSourceSignal in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number)
            source.setEventHandler { routed.stop() }
            source.resume()
            return source
        }
        defer { signals.forEach { $0.cancel() } }
        console.err("""
            stackctl serve: listening on https://\(host.contains(":") ? "[\(host)]" : host):\(routed.port)\(renewed ? " (new certificate)" : "")
              certificate \(home.tlsDirectory.appendingPathComponent("cert.pem").path), SHA-256 \(certificate.fingerprint)
              allowed origins: \(config.catalog.origins.joined(separator: ", "))

            """)
        if invocation.json { invocation.console.out(JSONOutput.encode(["port": routed.port])) }
        try await routed.run()
        console.err("stackctl serve: stopped\n")
    }

    /// The router and what it needs, from one configuration.
    static func router(_ invocation: Invocation, config: StackConfig, port: Int, secret: SharedSecret,
                       operations: OperationStore, prompter: any ApprovalPrompter,
                       streams: EventStreamLimiter) throws -> APIRouter {
        let home = try invocation.initializedHome()
        var keys: [JWTVerificationKey] = [.hs256(secret)]
        if !config.api.websitePublicKey.isEmpty {
            guard let raw = Data(base64Encoded: config.api.websitePublicKey) else {
                throw StackError(.configInvalid, "api.websitePublicKey is not base64")
            }
            keys.append(.edDSA(publicKey: [UInt8](raw)))
        }
        let verifier = try JWTVerifier(keys: keys, policy: JWTPolicy(issuer: config.catalog.issuer),
                                       replayCache: StateStoreReplayCache(home: home))
        let origins = OriginPolicy(origins: config.catalog.origins)
        let (installer, runner) = try invocation.stacks(prompter: prompter)
        // catalog.caFile: downloads and callbacks trust that CA instead of the system store.
        let http: any HTTPClient = config.catalog.caFile.isEmpty
            ? invocation.adapters.http : CurlHTTPClient(caFile: invocation.url(config.catalog.caFile).path)
        let downloader = BundleDownloader(http: http, digester: invocation.adapters.digester,
                                          policy: origins, directory: home.tmpDirectory)
        let notifier = CallbackNotifier(http: http, signer: HS256TokenSigner(secret: secret),
                                        digester: invocation.adapters.digester, audience: config.catalog.issuer)
        let install = InstallService(operations: operations, downloader: downloader, installer: installer, policy: origins,
                                     notifier: notifier)
        return APIRouter(port: port, origins: origins, verifier: verifier, install: install, runner: runner,
                         operations: operations, streams: streams)
    }

    struct CertReport: Encodable {
        let certificate: String
        let notAfter: Date
        let sha256Fingerprint: String
    }

    static func runCertShow(_ invocation: Invocation) async throws {
        let home = try invocation.initializedHome()
        let certificate = try LoopbackCertificate.load(from: home.tlsDirectory)
        let path = home.tlsDirectory.appendingPathComponent("cert.pem").path
        invocation.emit(CertReport(certificate: path, notAfter: certificate.notAfter, sha256Fingerprint: certificate.fingerprint),
                        text: "certificate: \(path)\nexpires:     \(ISO8601DateFormatter().string(from: certificate.notAfter))\nSHA-256:     \(certificate.fingerprint)\n")
    }

    static func runCertTrust(_ invocation: Invocation) async throws {
        let home = try invocation.initializedHome()
        let certificate = try LoopbackCertificate.load(from: home.tlsDirectory)
        let path = home.tlsDirectory.appendingPathComponent("cert.pem").path
        invocation.console.out("""
            The local API uses a self-signed LEAF certificate (CA:FALSE) for 127.0.0.1, ::1 and localhost only.
            Trust this leaf, never a general CA. Its SHA-256 fingerprint is
              \(certificate.fingerprint)

            Linux, Chrome/Chromium (NSS):  certutil -d sql:$HOME/.pki/nssdb -A -t "P,," -n stack-desktop -i \(path)
            Linux, Firefox:                Settings > Privacy & Security > Certificates > View > Servers > Import \(path)
            macOS:                         security add-trusted-cert -r trustAsRoot -p ssl -k ~/Library/Keychains/login.keychain-db \(path)
            Windows:                       certutil -user -addstore Root \(path)   (then restart the browser)
            curl and scripts:              curl --cacert \(path) https://127.0.0.1:\(try StackConfig.load(from: home).api.port)/v1/health

            The certificate is renewed automatically when fewer than 30 days remain; trust the new one then.

            """)
    }
}

/// What identifies one version of a file: inode, size and modification time (to the
/// nanosecond). An atomic rewrite (a new inode) always changes it.
struct ConfigStamp: Equatable, Sendable {
    let inode: UInt64
    let size: Int64
    let modified: Int64

    init(_ url: URL) {
        (inode, size, modified) = Posix.fileStamp(url.path) ?? (0, -1, 0)
    }
}
