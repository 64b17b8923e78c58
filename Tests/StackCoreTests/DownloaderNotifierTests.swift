import Foundation
import StackCore
import StackTestSupport
import Testing

// MARK: - Tests

@Suite("Bundle downloader and callback notifier over a scripted HTTP client")
struct DownloaderNotifierTests {
    static let bundleURL = "https://stack.lol/b/hello.stack"
    static let policy = OriginPolicy(origins: ["https://stack.lol"])

    private static func downloader(_ client: ScriptedHTTPClient, in tmp: TemporaryDirectory,
                                   maxBytes: Int64 = 1 << 20) -> BundleDownloader {
        BundleDownloader(http: client, digester: RecordingDigester(), policy: policy, directory: tmp.url,
                         maxBytes: maxBytes, timeout: 5)
    }

    // MARK: BundleDownloader

    @Test("a good download streams every byte into the digests and the file, and leaves no name behind")
    func goodDownload() async throws {
        let tmp = try TemporaryDirectory("download-good")
        let body = Array("hello, this is a bundle body".utf8)
        let client = ScriptedHTTPClient([.status(200, headers: ["content-length": "\(body.count)"], body: body)])
        let progress = LockedBox<[Int64]>([])
        let download = try await Self.downloader(client, in: tmp).download(Self.bundleURL) { bytes, _ in
            progress.withLock { $0.append(bytes) }
        }
        #expect(download.url == Self.bundleURL)
        #expect(download.digests.size == Int64(body.count))
        #expect(download.digests.sha256 == RecordingDigestAccumulator.hex(body))
        #expect(download.file.size == Int64(body.count))
        var readBack = [UInt8](repeating: 0, count: body.count + 8)
        let n = try readBack.withUnsafeMutableBytes { try download.file.read(into: $0, at: 0) }
        #expect(Array(readBack.prefix(n)) == body)
        #expect(progress.withLock { $0.last } == Int64(body.count))
        #expect(tmp.snapshot().isEmpty, "the temporary file must be unlinked as soon as it is open")
        let request = try #require(client.requests.first)
        #expect(client.requests.count == 1)
        #expect(request.method == "GET")
        #expect(request.url == Self.bundleURL)
    }

    @Test("a body over the size cap fails with download.too_large, ends the transfer, and leaves no file")
    func tooLarge() async throws {
        let tmp = try TemporaryDirectory("download-large")
        let body = [UInt8](repeating: 0x61, count: 64)
        let client = ScriptedHTTPClient([.status(200, body: body)], chunkSize: 4)
        let downloader = Self.downloader(client, in: tmp, maxBytes: 10)
        let error = await stackError { _ = try await downloader.download(Self.bundleURL) }
        #expect(error?.code == .downloadTooLarge)
        #expect(client.delivered < body.count, "the downloader must stop the transfer at the cap")
        #expect(tmp.snapshot().isEmpty)
    }

    @Test("a body exactly at the size cap is accepted")
    func exactlyAtCap() async throws {
        let tmp = try TemporaryDirectory("download-cap")
        let body = [UInt8](repeating: 0x62, count: 12)
        let client = ScriptedHTTPClient([.status(200, body: body)], chunkSize: 5)
        let download = try await Self.downloader(client, in: tmp, maxBytes: 12).download(Self.bundleURL)
        #expect(download.digests.size == 12)
        #expect(tmp.snapshot().isEmpty)
    }

    @Test("a redirect to an origin outside the allowlist is refused before it is fetched")
    func redirectOutsideAllowlist() async throws {
        let tmp = try TemporaryDirectory("download-redirect-evil")
        let client = ScriptedHTTPClient([
            .status(302, headers: ["location": "https://evil.example/hello.stack"]),
            .status(200, body: Array("evil".utf8)),
        ])
        let downloader = Self.downloader(client, in: tmp)
        let error = await stackError { _ = try await downloader.download(Self.bundleURL) }
        #expect(error?.code == .downloadForbidden)
        #expect(client.requests.map(\.url) == [Self.bundleURL], "the foreign location must never be requested")
        #expect(tmp.snapshot().isEmpty)
    }

    @Test("a URL outside the allowlist is refused without any request")
    func forbiddenStart() async throws {
        let tmp = try TemporaryDirectory("download-forbidden")
        let client = ScriptedHTTPClient([.status(200, body: Array("x".utf8))])
        let downloader = Self.downloader(client, in: tmp)
        let error = await stackError { _ = try await downloader.download("https://evil.example/hello.stack") }
        #expect(error?.code == .downloadForbidden)
        #expect(client.requests.isEmpty)
    }

    @Test("a relative redirect within the allowlist is followed")
    func redirectWithinAllowlist() async throws {
        let tmp = try TemporaryDirectory("download-redirect-ok")
        let body = Array("moved bundle".utf8)
        let client = ScriptedHTTPClient([
            .status(301, headers: ["location": "/b/moved.stack"]),
            .status(200, headers: ["content-length": "\(body.count)"], body: body),
        ])
        let download = try await Self.downloader(client, in: tmp).download(Self.bundleURL)
        #expect(download.url == "https://stack.lol/b/moved.stack")
        #expect(download.digests.sha256 == RecordingDigestAccumulator.hex(body))
        #expect(client.requests.map(\.url) == [Self.bundleURL, "https://stack.lol/b/moved.stack"])
        #expect(tmp.snapshot().isEmpty)
    }

    @Test("more than three redirects fail with download.failed")
    func tooManyRedirects() async throws {
        let tmp = try TemporaryDirectory("download-redirect-loop")
        let client = ScriptedHTTPClient([.status(302, headers: ["location": Self.bundleURL])])
        let downloader = Self.downloader(client, in: tmp)
        let error = await stackError { _ = try await downloader.download(Self.bundleURL) }
        #expect(error?.code == .downloadFailed)
        #expect(client.requests.count == 4)
        #expect(tmp.snapshot().isEmpty)
    }

    @Test("a Content-Length that does not match the bytes received fails with download.failed and leaves nothing")
    func shortBody() async throws {
        let tmp = try TemporaryDirectory("download-short")
        let client = ScriptedHTTPClient([.status(200, headers: ["content-length": "100"], body: [UInt8](repeating: 1, count: 10))])
        let downloader = Self.downloader(client, in: tmp)
        let error = await stackError { _ = try await downloader.download(Self.bundleURL) }
        #expect(error?.code == .downloadFailed)
        #expect(tmp.snapshot().isEmpty)
    }

    @Test("a non-200 status fails with download.failed")
    func badStatus() async throws {
        let tmp = try TemporaryDirectory("download-404")
        let client = ScriptedHTTPClient([.status(404, body: Array("not found".utf8))])
        let downloader = Self.downloader(client, in: tmp)
        let error = await stackError { _ = try await downloader.download(Self.bundleURL) }
        #expect(error?.code == .downloadFailed)
        #expect(tmp.snapshot().isEmpty)
    }

    @Test("a transport timeout (a stall) is download.too_slow naming the URL; other transport errors pass through")
    func transportError() async throws {
        let tmp = try TemporaryDirectory("download-timeout")
        let stalled = ScriptedHTTPClient([.failure(StackError(.httpTimeout, "scripted timeout"))])
        let error = await stackError { _ = try await Self.downloader(stalled, in: tmp).download(Self.bundleURL) }
        #expect(error?.code == .downloadTooSlow)
        #expect(error?.message.contains(Self.bundleURL) == true)
        #expect(tmp.snapshot().isEmpty)
        let refused = ScriptedHTTPClient([.failure(StackError(.httpFailed, "scripted refusal"))])
        let other = await stackError { _ = try await Self.downloader(refused, in: tmp).download(Self.bundleURL) }
        #expect(other?.code == .httpFailed)
        #expect(tmp.snapshot().isEmpty)
    }

    // MARK: CallbackNotifier

    static let audience = "https://stack.lol"
    static let callbackURL = "https://stack.lol/v1/callbacks/op"
    static let instant = Date(timeIntervalSince1970: 1_700_000_000)

    private static func operation() -> StackCore.Operation {
        let request = OperationRequest(bundleURL: bundleURL, sha256: String(repeating: "a", count: 64),
                                       callbackURL: callbackURL)
        return StackCore.Operation(id: "op-42", request: request, now: instant)
    }

    private static func notifier(_ client: ScriptedHTTPClient, _ signer: RecordingTokenSigner) -> CallbackNotifier {
        CallbackNotifier(http: client, signer: signer, digester: RecordingDigester(), audience: audience,
                         delays: [0, 0], clock: FixedClock(date: instant))
    }

    /// Checks every attempt's token claims and request.
    private static func checkAttempts(_ client: ScriptedHTTPClient, _ signer: RecordingTokenSigner,
                                      count: Int) throws {
        let requests = client.requests
        let signed = signer.signed
        #expect(requests.count == count)
        #expect(signed.count == count)
        var jtis: [String] = []
        for (index, entry) in signed.enumerated() {
            #expect(entry.type == "stack-callback+jwt")
            #expect(entry.claims["sub"] == ConfigValue.string("op-42"))
            #expect(entry.claims["aud"] == ConfigValue.string(audience))
            #expect(entry.claims["iss"] == ConfigValue.string("stack-desktop"))
            #expect(entry.claims["iat"] == ConfigValue.int(1_700_000_000))
            #expect(entry.claims["exp"] == ConfigValue.int(1_700_000_300))
            let jti = try #require(entry.claims["jti"]?.stringValue)
            #expect(!jti.isEmpty)
            jtis.append(jti)
            let bodyHash = try #require(entry.claims["body_sha256"]?.stringValue)
            if index < requests.count {
                let request = requests[index]
                #expect(bodyHash == RecordingDigestAccumulator.hex(request.body), "body_sha256 must cover the exact body sent")
                #expect(request.method == "POST")
                #expect(request.url == callbackURL)
                let authorization = request.headers.first { $0.0.lowercased() == "authorization" }?.1
                #expect(authorization == "Bearer token-\(index + 1)")
            }
        }
        #expect(Set(jtis).count == jtis.count, "each attempt needs a fresh jti")
        #expect(Set(requests.map(\.body)).count <= 1, "every attempt sends the same body")
    }

    @Test("a 500 then a 200 succeeds after two attempts with fresh tokens")
    func retryThenSuccess() async throws {
        let client = ScriptedHTTPClient([.status(500), .status(200)])
        let signer = RecordingTokenSigner()
        let delivered = await Self.notifier(client, signer).notify(Self.operation(), to: Self.callbackURL)
        #expect(delivered)
        try Self.checkAttempts(client, signer, count: 2)
        let first = try #require(client.requests.first)
        let body = String(decoding: first.body, as: UTF8.self)
        #expect(body.contains("\"op-42\""))
    }

    @Test("a server that always answers 500 gets one attempt plus one per delay, then false")
    func alwaysFailing() async throws {
        let client = ScriptedHTTPClient([.status(500)])
        let signer = RecordingTokenSigner()
        let delivered = await Self.notifier(client, signer).notify(Self.operation(), to: Self.callbackURL)
        #expect(!delivered)
        try Self.checkAttempts(client, signer, count: 3)
    }

    @Test("a transport error counts as a failed attempt and is retried")
    func transportErrorThenSuccess() async throws {
        let client = ScriptedHTTPClient([.failure(StackError(.httpFailed, "scripted refusal")), .status(204)])
        let signer = RecordingTokenSigner()
        let delivered = await Self.notifier(client, signer).notify(Self.operation(), to: Self.callbackURL)
        #expect(delivered)
        try Self.checkAttempts(client, signer, count: 2)
    }
}
