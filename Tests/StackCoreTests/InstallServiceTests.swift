import Foundation
import StackCore
import StackTestSupport
import Testing

// MARK: - Doubles local to these tests

/// A ``DigestAccumulator`` that reports like ``RecordingDigestAccumulator`` and logs each
/// result it finishes, so a test sees every streaming pass.
private final class TapAccumulator: DigestAccumulator {
    private let inner = RecordingDigestAccumulator()
    private let log: LockedBox<[FileDigests]>

    init(log: LockedBox<[FileDigests]>) { self.log = log }

    func update(_ bytes: UnsafeRawBufferPointer) throws { try inner.update(bytes) }

    func finish() throws -> FileDigests {
        let digests = try inner.finish()
        log.withLock { $0.append(digests) }
        return digests
    }
}

/// A ``Digester`` that digests streamed bytes only (as hex, like ``RecordingDigester``),
/// logs every streaming pass, and counts — then refuses — every attempt to hash a file.
private struct TapDigester: Digester {
    /// The digests of every streaming pass, in order.
    let streamed = LockedBox<[FileDigests]>([])
    /// How often a file was asked to be hashed.
    let fileReads = LockedBox<Int>(0)

    func digests(of bundle: BundleFile) throws -> FileDigests {
        fileReads.withLock { $0 += 1 }
        throw StackError(.internalError, "the downloaded file must not be hashed a second time")
    }

    func accumulator() throws -> any DigestAccumulator { TapAccumulator(log: streamed) }
}

/// An ``InstallService`` over doubles: a scripted HTTP client (bundle, signature, callback),
/// the in-memory archive, stub decoder and verifier, a fixed prompter, an in-memory store,
/// and the example runtime for the flavor `example`.
private struct InstallHarness {
    static let origin = "https://catalog.test"
    static let bundleURL = "https://catalog.test/bundles/hello-web.stack"
    static let signatureURL = bundleURL + ".minisig"
    static let callbackURL = "https://catalog.test/v1/callbacks/hello-web"
    /// 32 bytes, so their hex (what the tap digester reports as SHA-256) is 64 digits.
    static let body: [UInt8] = Array("0123456789abcdef0123456789ABCDEF".utf8)
    static let sha256 = RecordingDigestAccumulator.hex(body)
    static let signature: [UInt8] = Array("untrusted comment: test\nsignature bytes\n".utf8)

    static let manifest = Manifest(name: "hello-web", version: SemanticVersion("1.2.0")!, flavor: "example",
                                   volumes: ["data"])
    static let compose = ComposeFile(services: [
        "web": ComposeService(image: "stacktest/busybox:1"),
        "db": ComposeService(image: "stacktest/busybox:1"),
    ])

    let tmp: TemporaryDirectory
    let home: StackHome
    let store = InMemoryStateStore()
    let runtime = ProcessTableRuntime()
    let prompter: StubPrompter
    let client: ScriptedHTTPClient
    let signer = RecordingTokenSigner()
    let digester = TapDigester()
    let operations = OperationStore()
    let runner: StackRunner
    let service: InstallService

    init(_ label: String, decision: ApprovalDecision = .approved) throws {
        tmp = try TemporaryDirectory(label)
        home = StackHome(root: tmp.path("home"))
        try home.initialize()
        prompter = StubPrompter(decision: decision)
        client = ScriptedHTTPClient([
            .status(200, headers: ["content-length": "\(Self.body.count)"], body: Self.body),
            .status(200, body: Self.signature),
            .status(200),
        ])

        var runtimes = RuntimeRegistry()
        runtimes.register(runtime)
        let workflow = BundleWorkflow(format: InMemoryArchiveFormat(InMemoryArchiveFormat.validItems),
                                      decoder: StubManifestDecoder(manifest: Self.manifest, compose: Self.compose))
        let installer = StackInstaller(home: home, workflow: workflow, digester: digester,
                                       verifier: StubSignatureVerifier(fields: ["stack": "hello-web", "version": "1.2.0"]),
                                       planner: StackPlanner(), runtimes: runtimes, prompter: prompter, store: store)
        runner = StackRunner(home: home, workflow: workflow, planner: StackPlanner(), runtimes: runtimes, store: store)

        let policy = OriginPolicy(origins: [Self.origin])
        let downloader = BundleDownloader(http: client, digester: digester, policy: policy,
                                          directory: home.tmpDirectory, maxBytes: 1 << 20, timeout: 5)
        let notifier = CallbackNotifier(http: client, signer: signer, digester: RecordingDigester(),
                                        audience: Self.origin, delays: [0, 0], clock: FixedClock(1_700_000_000))
        service = InstallService(operations: operations, downloader: downloader, installer: installer, policy: policy,
                                 notifier: notifier)
    }

    /// A request for the scripted bundle, with a callback.
    static func request(name: String? = "hello-web", version: String? = "1.2.0",
                        sha256: String = InstallHarness.sha256) -> OperationRequest {
        OperationRequest(bundleURL: bundleURL, sha256: sha256, name: name, version: version, callbackURL: callbackURL)
    }

    /// The callback POSTs received so far.
    var posts: [HTTPRequest] { client.requests.filter { $0.method == "POST" } }

    /// Polls until `condition` holds (at most 500 × 20 ms), then requires it.
    func waitUntil(_ what: String, _ condition: () async throws -> Bool) async throws {
        for _ in 0..<500 {
            if try await condition() { return }
            try await Task.sleep(for: .milliseconds(20))
        }
        let satisfied = try await condition()
        try #require(satisfied, "timed out waiting until \(what)")
    }

    /// The operation once it reached a final state.
    func finalOperation(_ id: String) async throws -> StackCore.Operation {
        try await waitUntil("operation \(id) is final") { await operations.get(id)?.state.isFinal == true }
        return try #require(await operations.get(id))
    }

    /// The single callback POST, once it was sent.
    func callback() async throws -> HTTPRequest {
        try await waitUntil("the callback was posted") { !posts.isEmpty }
        #expect(posts.count == 1, "the callback must be posted exactly once")
        return try #require(posts.first)
    }

    /// Subscribes to the store's events and records the distinct successive operation states.
    func recordStates() async -> (task: Task<Void, Never>, states: LockedBox<[String]>) {
        let events = await operations.subscribe()
        let states = LockedBox<[String]>([])
        let task = Task {
            for await event in events where event.type == "operation" {
                guard let object = try? JSONSerialization.jsonObject(with: Data(event.json.utf8)) as? [String: Any],
                      let state = object["state"] as? String else { continue }
                states.withLock { if $0.last != state { $0.append(state) } }
            }
        }
        return (task, states)
    }

    /// Waits until the recorded states end in `last`, and returns them.
    func states(_ states: LockedBox<[String]>, endingWith last: String) async throws -> [String] {
        try await waitUntil("the state \(last) was published") { states.withLock { $0.last } == last }
        return states.withLock { $0 }
    }

    /// The `operation` object of a callback body.
    static func callbackOperation(_ body: [UInt8]) throws -> [String: Any] {
        let object = try #require(try JSONSerialization.jsonObject(with: Data(body)) as? [String: Any])
        return try #require(object["operation"] as? [String: Any])
    }

    /// Nothing of the stack exists: no record, no files, no staging, nothing running.
    func expectNothingInstalled() async throws {
        #expect(try await runner.list().isEmpty)
        #expect(!FileManager.default.fileExists(atPath: home.stacksDirectory.appendingPathComponent("hello-web").path))
        #expect(try contents(of: home.tmpDirectory) == [])
        #expect(try await runtime.status(stackName: "hello-web") == .absent)
        #expect(try VersionLedger(store: store).highest(stack: "hello-web", keyID: StubSignatureVerifier.keyID) == nil)
    }
}

// MARK: - Tests

@Suite("InstallService: validate, download, verify, approve, run, call back")
struct InstallServiceTests {
    @Test("a good request ends running; states go in order; one signed callback carries the final operation")
    func happyPath() async throws {
        let h = try InstallHarness("install-happy")
        let (collector, states) = await h.recordStates()
        defer { collector.cancel() }

        let started = try await h.service.start(InstallHarness.request())
        #expect(started.state == .received)
        let final = try await h.finalOperation(started.id)

        #expect(final.state == .running)
        #expect(final.stack == "hello-web")
        #expect(final.version == "1.2.0")
        #expect(final.error == nil)
        #expect(final.downloadedBytes == Int64(InstallHarness.body.count))
        #expect(final.totalBytes == Int64(InstallHarness.body.count))
        #expect(try await h.states(states, endingWith: "running") ==
                ["received", "downloading", "verifying", "awaiting_approval", "unpacking", "starting", "running"])

        // The callback: once, to callback_url, signed over the exact body, which holds the final operation.
        let post = try await h.callback()
        #expect(post.url == InstallHarness.callbackURL)
        #expect(post.body == Array(APIJSON.encode(["operation": final]).utf8))
        let operation = try InstallHarness.callbackOperation(post.body)
        #expect((operation["id"] as? String) == started.id)
        #expect((operation["state"] as? String) == "running")
        #expect((operation["stack"] as? String) == "hello-web")
        let signed = h.signer.signed
        #expect(signed.count == 1)
        #expect(signed.first?.type == "stack-callback+jwt")
        #expect(signed.first?.claims["sub"] == ConfigValue.string(started.id))
        #expect(signed.first?.claims["aud"] == ConfigValue.string(InstallHarness.origin))
        #expect(signed.first?.claims["body_sha256"] == ConfigValue.string(RecordingDigestAccumulator.hex(post.body)))
        let authorization = post.headers.first { $0.0.lowercased() == "authorization" }?.1
        #expect(authorization == "Bearer token-1")

        // Bundle, then its signature beside it, then the callback; nothing else.
        #expect(h.client.requests.map(\.url) ==
                [InstallHarness.bundleURL, InstallHarness.signatureURL, InstallHarness.callbackURL])
        #expect(h.client.requests.map(\.method) == ["GET", "GET", "POST"])

        // The same stack again, named in the request: stack.exists at once (the API's 409),
        // before any download.
        let again = await stackError { _ = try await h.service.start(InstallHarness.request()) }
        #expect(again?.code == .stackExists)
        #expect(again?.message.contains("version 1.2.0") == true)
        #expect(h.client.requests.count == 3)

        // One streaming pass over exactly the bundle bytes (plus the signature's); the file was never hashed again.
        #expect(h.digester.streamed.withLock { $0.map(\.sha256) } ==
                [InstallHarness.sha256, RecordingDigestAccumulator.hex(InstallHarness.signature)])
        #expect(h.digester.fileReads.withLock { $0 } == 0)

        // Installed from those digests and running.
        let status = try await h.runner.status("hello-web")
        #expect(status.state == .running)
        #expect(status.record.digest == InstallHarness.sha256)
        #expect(try await h.runtime.status(stackName: "hello-web") == .running)
        #expect(h.prompter.requests.withLock { $0.count } == 1)
    }

    @Test("a declined prompt ends declined with approval.declined, says so in the callback, and installs nothing")
    func declined() async throws {
        let h = try InstallHarness("install-declined", decision: .declined(reason: "no thanks"))
        let (collector, states) = await h.recordStates()
        defer { collector.cancel() }

        let started = try await h.service.start(InstallHarness.request())
        let final = try await h.finalOperation(started.id)

        #expect(final.state == .declined)
        #expect(final.error?.code == "approval.declined")
        #expect(try await h.states(states, endingWith: "declined") ==
                ["received", "downloading", "verifying", "awaiting_approval", "declined"])

        let post = try await h.callback()
        #expect(post.url == InstallHarness.callbackURL)
        let operation = try InstallHarness.callbackOperation(post.body)
        #expect((operation["id"] as? String) == started.id)
        #expect((operation["state"] as? String) == "declined")
        let error = try #require(operation["error"] as? [String: Any])
        #expect((error["code"] as? String) == "approval.declined")

        #expect(h.prompter.requests.withLock { $0.count } == 1)
        try await h.expectNothingInstalled()
    }

    @Test("an announced sha256 that is not 64 hex digits, or a bad name or version, is request.invalid before anything starts",
          arguments: [
              InstallHarness.request(sha256: ""),
              InstallHarness.request(sha256: "abc"),
              InstallHarness.request(sha256: String(repeating: "a", count: 63)),
              InstallHarness.request(sha256: String(repeating: "a", count: 65)),
              InstallHarness.request(sha256: String(repeating: "g", count: 64)),
              InstallHarness.request(sha256: String(repeating: "a", count: 62) + " a"),
              InstallHarness.request(name: "Hello_Web"),
              InstallHarness.request(version: "1.2"),
          ])
    func invalidRequest(_ request: OperationRequest) async throws {
        let h = try InstallHarness("install-invalid")
        let error = await stackError { _ = try await h.service.start(request) }
        #expect(error?.code == .requestInvalid)
        #expect(error?.code.rawValue == "request.invalid")
        #expect(h.client.requests.isEmpty, "no HTTP request may be made")
        #expect(await h.operations.all().isEmpty, "no operation may be created")
    }

    @Test("a bundle, signature or callback URL outside the allowlist is download.forbidden_origin, with no request made",
          arguments: [
              OperationRequest(bundleURL: "https://evil.example/hello-web.stack", sha256: InstallHarness.sha256),
              OperationRequest(bundleURL: "http://catalog.test/hello-web.stack", sha256: InstallHarness.sha256),
              OperationRequest(bundleURL: "https://catalog.test:8443/hello-web.stack", sha256: InstallHarness.sha256),
              OperationRequest(bundleURL: "https://catalog.test.evil/hello-web.stack", sha256: InstallHarness.sha256),
              OperationRequest(bundleURL: InstallHarness.bundleURL, sha256: InstallHarness.sha256,
                               signatureURL: "https://evil.example/hello-web.stack.minisig"),
              OperationRequest(bundleURL: InstallHarness.bundleURL, sha256: InstallHarness.sha256,
                               callbackURL: "https://evil.example/callback"),
          ])
    func forbiddenOrigin(_ request: OperationRequest) async throws {
        let h = try InstallHarness("install-forbidden")
        let error = await stackError { _ = try await h.service.start(request) }
        #expect(error?.code == .downloadForbidden)
        #expect(error?.code.rawValue == "download.forbidden_origin")
        #expect(h.client.requests.isEmpty, "no HTTP request may be made")
        #expect(await h.operations.all().isEmpty, "no operation may be created")
    }

    @Test("a bundle that is not the stack or version the website asked for fails with request.invalid; nothing is installed",
          arguments: [("other", "1.2.0"), ("hello-web", "2.0.0")] as [(String, String)])
    func expectationMismatch(name: String, version: String) async throws {
        let h = try InstallHarness("install-mismatch")
        let started = try await h.service.start(InstallHarness.request(name: name, version: version))
        let final = try await h.finalOperation(started.id)

        #expect(final.state == .failed)
        #expect(final.error?.code == "request.invalid")
        let post = try await h.callback()
        let operation = try InstallHarness.callbackOperation(post.body)
        #expect((operation["state"] as? String) == "failed")
        #expect(h.prompter.requests.withLock { $0.isEmpty }, "nobody may be asked about the wrong bundle")
        try await h.expectNothingInstalled()
    }

    @Test("bytes that do not match the announced sha256 fail with checksum.mismatch; nothing is installed")
    func checksumMismatch() async throws {
        let h = try InstallHarness("install-checksum")
        let started = try await h.service.start(InstallHarness.request(sha256: String(repeating: "0", count: 64)))
        let final = try await h.finalOperation(started.id)

        #expect(final.state == .failed)
        #expect(final.error?.code == StackError.Code.checksumMismatch.rawValue)
        // The website is told which bundle, by its URL, never a descriptor path.
        #expect(final.error?.message.contains(InstallHarness.bundleURL) == true, "\(String(describing: final.error))")
        #expect(final.error?.message.contains("/proc/") == false)
        _ = try await h.callback()
        #expect(h.digester.fileReads.withLock { $0 } == 0)
        #expect(h.prompter.requests.withLock { $0.isEmpty })
        try await h.expectNothingInstalled()
    }
}
