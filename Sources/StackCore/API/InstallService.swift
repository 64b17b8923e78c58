import Foundation

/// Posts an operation's final state to the website's callback URL with the app's own
/// token (DESIGN §6): `typ: stack-callback+jwt`, `iss: stack-desktop`, `aud`: the catalog
/// issuer, `body_sha256` of the exact body; a few retries with backoff.
public struct CallbackNotifier: Sendable {
    private let http: any HTTPClient
    private let signer: any TokenSigner
    private let digester: any Digester
    private let audience: String
    private let delays: [Double]
    private let clock: any WallClock
    private let logger: Logger?

    /// Creates the notifier.
    /// - Parameters:
    ///   - http: The HTTP client.
    ///   - signer: Signs the callback token (the shared secret or the app's key).
    ///   - digester: Computes `body_sha256`.
    ///   - audience: The catalog issuer.
    ///   - delays: Seconds to wait before each retry.
    ///   - clock: The time source.
    ///   - logger: Optional logger.
    public init(http: some HTTPClient, signer: some TokenSigner, digester: some Digester, audience: String,
                delays: [Double] = [1, 3, 9], clock: some WallClock = SystemWallClock(), logger: Logger? = nil) {
        self.http = http
        self.signer = signer
        self.digester = digester
        self.audience = audience
        self.delays = delays
        self.clock = clock
        self.logger = logger
    }

    /// Sends `operation` to `url`; returns whether a 2xx answer came back.
    @discardableResult
    public func notify(_ operation: Operation, to url: String) async -> Bool {
        let body = Array(APIJSON.encode(["operation": operation]).utf8)
        for attempt in 0...delays.count {
            if attempt > 0 { try? await Task.sleep(nanoseconds: UInt64(delays[attempt - 1] * 1_000_000_000)) }
            do {
                let accumulator = try digester.accumulator()
                try body.withUnsafeBytes { try accumulator.update($0) }
                let now = Int(clock.now().timeIntervalSince1970)
                let token = try signer.sign(claims: [
                    "iss": .string("stack-desktop"), "aud": .string(audience), "iat": .int(now), "exp": .int(now + 300),
                    "jti": .string(UUID().uuidString.lowercased()), "body_sha256": .string(try accumulator.finish().sha256),
                    "sub": .string(operation.id),
                ], type: "stack-callback+jwt")
                let response = try await http.send(HTTPRequest(method: "POST", url: url, headers: [
                    ("Content-Type", "application/json"), ("Authorization", "Bearer \(token)"),
                ], body: body, timeout: 15))
                if (200..<300).contains(response.status) { return true }
                logger?.warning("callback answered \(response.status)", metadata: ["operation": operation.id])
            } catch {
                logger?.warning("callback failed: \(StackError.wrap(error).code)", metadata: ["operation": operation.id])
            }
        }
        return false
    }
}

/// `POST /v1/stacks` as a use case: validate the request against the allowlist, coalesce
/// duplicates, then in the background download → verify → approve → unpack → run, moving
/// the operation through its states, and finally call the website back.
public struct InstallService: Sendable {
    private let operations: OperationStore
    private let downloader: BundleDownloader
    private let installer: StackInstaller
    private let policy: OriginPolicy
    private let notifier: CallbackNotifier?
    private let logger: Logger?

    /// Creates the service.
    public init(operations: OperationStore, downloader: BundleDownloader, installer: StackInstaller, policy: OriginPolicy,
                notifier: CallbackNotifier?, logger: Logger? = nil) {
        self.operations = operations
        self.downloader = downloader
        self.installer = installer
        self.policy = policy
        self.notifier = notifier
        self.logger = logger
    }

    /// Validates and starts an operation (or returns the one already running for the same
    /// bundle).
    /// - Parameter request: The website's request.
    /// - Returns: The operation, in state `received` or later.
    /// - Throws: `request.invalid`, `download.forbidden_origin` or `stack.exists` (when the
    ///   request names an installed stack) before anything starts.
    public func start(_ request: OperationRequest) async throws -> Operation {
        try validate(request)
        // A named stack that is installed is refused now (409), before any download.
        if let name = request.name { try installer.requireNotInstalled(name) }
        if let existing = await operations.inFlight(sha256: request.sha256) { return existing }
        let operation = await operations.create(request)
        let id = operation.id
        Task.detached { [self] in await execute(id, request) }
        return operation
    }

    func validate(_ request: OperationRequest) throws {
        let sha = request.sha256.lowercased()
        guard sha.utf8.count == 64, sha.utf8.allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x66) }) else {
            throw StackError(.requestInvalid, "sha256 must be 64 hex digits")
        }
        for (field, url) in [("bundle_url", request.bundleURL), ("signature_url", request.signatureURL),
                             ("callback_url", request.callbackURL)] {
            guard let url else { continue }
            guard policy.allowsURL(url) else {
                throw StackError(.downloadForbidden, "\(field) \(url) is not under an allowed catalog origin")
            }
        }
        if let name = request.name, !Manifest.isValidName(name) {
            throw StackError(.requestInvalid, "name '\(name)' is not a valid stack name")
        }
        if let version = request.version, SemanticVersion(version) == nil {
            throw StackError(.requestInvalid, "version '\(version)' is not a semantic version")
        }
    }

    private func execute(_ id: String, _ request: OperationRequest) async {
        let operations = operations
        do {
            await operations.update(id) { $0.state = .downloading }
            // Download progress flows through a stream that this task drains before it moves
            // on, so no update can land after the next state (ordered by construction).
            let (progress, sink) = AsyncStream<(Int64, Int64?)>.makeStream(bufferingPolicy: .bufferingNewest(1))
            async let drained: Void = {
                for await (bytes, total) in progress {
                    await operations.update(id) { $0.downloadedBytes = bytes; $0.totalBytes = total }
                }
            }()
            let downloaded: BundleDownloader.Download
            do {
                downloaded = try await downloader.download(request.bundleURL) { bytes, total in sink.yield((bytes, total)) }
                sink.finish()
                await drained
            } catch {
                sink.finish()
                await drained
                throw error
            }
            await operations.update(id) { $0.downloadedBytes = downloaded.digests.size; $0.totalBytes = downloaded.digests.size }
            let signatureURL = request.signatureURL ?? request.bundleURL + ".minisig"
            let signature = try await downloader.downloadSmall(signatureURL, maxBytes: 64 << 10)
            let options = InstallOptions(
                verification: VerificationOptions(announcedSHA256: request.sha256, signature: signature,
                                                  signatureSource: signatureURL, bundleName: request.bundleURL),
                expectedName: request.name, expectedVersion: request.version.flatMap(SemanticVersion.init))
            // The download's digests are reused: the file is not read again to hash it.
            for try await event in installer.install(downloaded.file, digests: downloaded.digests, options: options) {
                switch event {
                case .phase(let state):
                    await operations.update(id) { $0.state = state }
                case .planned:
                    continue
                case .finished(let status):
                    await finish(id, request) {
                        $0.state = .running
                        $0.stack = status.record.name
                        $0.version = status.record.version.description
                        $0.urls = status.urls
                    }
                }
            }
        } catch {
            let failure = StackError.wrap(error)
            logger?.warning("operation failed", metadata: ["operation": id, "code": failure.code.rawValue])
            await finish(id, request) {
                $0.state = failure.code == .approvalDeclined ? .declined : .failed
                $0.error = Operation.Failure(code: failure.code.rawValue, message: failure.message)
            }
        }
    }

    private func finish(_ id: String, _ request: OperationRequest, _ change: @Sendable (inout Operation) -> Void) async {
        guard let operation = await operations.update(id, change) else { return }
        if let url = request.callbackURL, let notifier {
            await notifier.notify(operation, to: url)
        }
    }
}

extension BundleDownloader {
    /// Fetches a small document (a signature) under the same allowlist and redirect rules.
    /// - Returns: Its bytes.
    public func downloadSmall(_ url: String, maxBytes: Int64) async throws -> [UInt8] {
        let limited = withMaxBytes(maxBytes)
        let download = try await limited.download(url)
        var bytes = [UInt8](repeating: 0, count: Int(download.digests.size))
        let n = try bytes.withUnsafeMutableBytes { try download.file.read(into: $0, at: 0) }
        return Array(bytes.prefix(n))
    }
}

extension StackError.Code {
    /// A request body or parameter is invalid.
    public static let requestInvalid = Self("request.invalid", exit: .failure)
}
