import Foundation

/// Downloads a bundle (DESIGN §3 step 1): only URLs under the allowlist, redirects only
/// within it (at most 3), a size cap, both digests computed while the bytes stream into a
/// private temporary file, progress reported, and no file left behind on any failure.
public struct BundleDownloader: Sendable {
    /// A finished download: the open file and its digests from the same pass.
    public struct Download: Sendable {
        public var file: BundleFile
        public var digests: FileDigests
        /// The URL finally fetched (after redirects).
        public var url: String
    }

    private let http: any HTTPClient
    private let digester: any Digester
    private let policy: OriginPolicy
    private let directory: URL
    private let maxBytes: Int64
    private let timeout: Double
    static let maxRedirects = 3

    /// Creates the downloader.
    /// - Parameters:
    ///   - http: The HTTP client.
    ///   - digester: Computes digests while streaming.
    ///   - policy: The catalog allowlist.
    ///   - directory: A private directory for temporary files (`home/tmp`).
    ///   - maxBytes: The size cap.
    ///   - timeout: Seconds for the whole transfer.
    public init(http: some HTTPClient, digester: some Digester, policy: OriginPolicy, directory: URL,
                maxBytes: Int64 = 512 << 20, timeout: Double = 0) {
        self.http = http
        self.digester = digester
        self.policy = policy
        self.directory = directory
        self.maxBytes = maxBytes
        self.timeout = timeout
    }

    /// Downloads `url` to a private file that is unlinked as soon as it is open (so no
    /// name remains to clean up or to swap), hashing while writing.
    /// - Parameters:
    ///   - url: The bundle URL.
    ///   - progress: Bytes received so far, and the total when known (`nil` here: the
    ///     length header arrives with the response, after the body).
    /// - Returns: The open file and its digests.
    /// - Throws: `download.forbidden_origin`, `download.too_large`, `download.failed`, `http.*`.
    public func download(_ url: String, progress: @escaping @Sendable (Int64, Int64?) -> Void = { _, _ in }) async throws -> Download {
        var current = url
        for _ in 0...Self.maxRedirects {
            guard policy.allowsURL(current) else {
                throw StackError(.downloadForbidden, "\(current) is not under an allowed catalog origin",
                                 hint: "add the origin with `stackctl config set catalog.origins '[\"https://…\"]'`")
            }
            let result = try await fetchOnce(current, progress: progress)
            switch result {
            case .done(let download): return download
            case .redirect(let location):
                guard let next = URL(string: location, relativeTo: URL(string: current))?.absoluteString else {
                    throw StackError(.downloadFailed, "\(current) redirected to an invalid location")
                }
                current = next
            }
        }
        throw StackError(.downloadFailed, "\(url) redirected more than \(Self.maxRedirects) times")
    }

    /// The same downloader with another size cap.
    func withMaxBytes(_ bytes: Int64) -> BundleDownloader {
        BundleDownloader(http: http, digester: digester, policy: policy, directory: directory, maxBytes: bytes, timeout: timeout)
    }

    private enum Outcome { case done(Download), redirect(String) }

    private final class Sink: @unchecked Sendable {
        // @unchecked Sendable: the HTTP client calls `write` from one transfer thread at a
        // time; `failure`, `bytes` and the accumulator are read only after the transfer ended.
        let handle: FileHandle
        let accumulator: any DigestAccumulator
        let maxBytes: Int64
        let progress: @Sendable (Int64, Int64?) -> Void
        let started = Date()
        var bytes: Int64 = 0
        var failure: (any Error)?

        init(handle: FileHandle, accumulator: any DigestAccumulator, maxBytes: Int64,
             progress: @escaping @Sendable (Int64, Int64?) -> Void) {
            self.handle = handle
            self.accumulator = accumulator
            self.maxBytes = maxBytes
            self.progress = progress
        }

        func write(_ chunk: [UInt8]) -> Bool {
            bytes += Int64(chunk.count)
            guard bytes <= maxBytes else {
                failure = StackError(.downloadTooLarge, "the bundle is larger than \(maxBytes) bytes")
                return false
            }
            // The time allowed grows with the size: a grace period, then at least the
            // minimum rate on average. A slow drip that dodges the stall limit ends here.
            let elapsed = Date().timeIntervalSince(started)
            if elapsed > BundleDownloader.graceSeconds + Double(bytes) / Double(BundleDownloader.minimumAverageRate) {
                failure = StackError(.downloadTooSlow,
                                     "the bundle arrived at \(Int(Double(bytes) / elapsed / 1024)) KiB/s on average, under the \(BundleDownloader.minimumAverageRate / 1024) KiB/s a download must keep after \(Int(BundleDownloader.graceSeconds)) s",
                                     hint: "the catalog's server or the network is too slow; try again later")
                return false
            }
            do {
                try chunk.withUnsafeBytes { raw in
                    try accumulator.update(raw)
                    try handle.write(contentsOf: raw)
                }
            } catch {
                failure = error
                return false
            }
            progress(bytes, nil)   // the length header arrives with the response, after the body
            return true
        }
    }

    private func fetchOnce(_ url: String, progress: @escaping @Sendable (Int64, Int64?) -> Void) async throws -> Outcome {
        let path = directory.appendingPathComponent("download-\(UUID().uuidString)").path
        let fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard fd >= 0 else { throw AtomicFile.ioError("create", path) }
        // Unlinked at once: an interrupted download leaves no file, and no name exists that
        // another process could swap. Later steps reopen it read-only through /proc.
        unlink(path)
        let handle = FileHandle(fileDescriptor: fd, closeOnDealloc: true)
        let sink = Sink(handle: handle, accumulator: try digester.accumulator(), maxBytes: maxBytes, progress: progress)
        let response: HTTPResponse
        do {
            response = try await http.streamResponse(HTTPRequest(url: url, headers: [("Accept", "application/octet-stream")],
                                                                 timeout: timeout, stall: Self.stall)) { chunk in
                sink.write(chunk)
            }
        } catch let error as StackError where error.code == .httpTimeout {
            throw StackError(.downloadTooSlow, "\(url) stalled or ran out of time: \(error.message)",
                             hint: "the catalog's server or the network is too slow; try again later")
        }
        if let failure = sink.failure { throw failure }
        if (300..<400).contains(response.status), let location = response.headers["location"] {
            return .redirect(location)
        }
        guard response.status == 200 else {
            throw StackError(.downloadFailed, "\(url) answered HTTP \(response.status)")
        }
        if let length = response.headers["content-length"].flatMap(Int64.init), length != sink.bytes {
            throw StackError(.downloadFailed, "\(url) ended after \(sink.bytes) of \(length) bytes")
        }
        try handle.synchronize()
        let digests = try sink.accumulator.finish()
        let final = try BundleFile(path: Posix.descriptorPath(fd))
        return .done(Download(file: final, digests: digests, url: url))
    }
}

extension BundleDownloader {
    /// A transfer that moves fewer than 1 KiB/s for 15 s in a row is given up.
    public static let stall = (bytesPerSecond: 1_024, seconds: 15)
    /// After this grace period a download must keep ``minimumAverageRate`` on average.
    public static let graceSeconds: Double = 60
    /// The average rate, in bytes per second, below which a download is given up after the
    /// grace period (64 KiB/s: 512 MiB may take up to about 2.3 hours).
    public static let minimumAverageRate = 64 << 10
}

extension StackError.Code {
    /// The download stalled, or its average rate fell under the minimum.
    public static let downloadTooSlow = Self("download.too_slow", exit: .failure)
    /// A download URL or redirect is not under an allowed catalog origin.
    public static let downloadForbidden = Self("download.forbidden_origin", exit: .policy)
    /// The download exceeded the size cap.
    public static let downloadTooLarge = Self("download.too_large", exit: .policy)
    /// The download failed (status, short body, too many redirects).
    public static let downloadFailed = Self("download.failed", exit: .failure)
}
