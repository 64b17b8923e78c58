import Foundation
import StackCore

/// An ``HTTPClient`` over libcurl: HTTP and HTTPS, or HTTP over a unix socket (the Docker
/// Engine API).
///
/// Policy, whatever the request says:
/// - only `http` and `https` URLs; redirects are never followed (a `3xx` is returned as is);
/// - TLS certificates are verified with the system trust store, or only with the CAs of
///   ``caFile`` when one is given (a catalog served with a private CA in development);
/// - `HTTPRequest.timeout` bounds the whole transfer; a value of `0` or less means no
///   overall limit (connecting still gives up after 30 s);
/// - a collected response body larger than ``maximumBodySize`` fails the request.
///
/// Each transfer blocks in `curl_easy_perform`, so it runs on a thread of its own, never on
/// Swift's cooperative pool; the calling task suspends until it ends. Cancelling the task
/// aborts the transfer within about a second and throws `CancellationError`.
public struct CurlHTTPClient: HTTPClient {
    /// The largest response body ``send(_:)`` collects.
    public let maximumBodySize: Int
    /// A PEM file of CA certificates trusted instead of the system store, if any.
    public let caFile: String?
    private let logger: Logger?

    /// Creates a client.
    /// - Parameters:
    ///   - maximumBodySize: The largest response body ``send(_:)`` accepts (default 64 MiB).
    ///   - caFile: A PEM file of CA certificates to trust instead of the system store.
    ///   - logger: Where transfers are logged at debug level (method, URL, status).
    public init(maximumBodySize: Int = 64 << 20, caFile: String? = nil, logger: Logger? = nil) {
        self.maximumBodySize = maximumBodySize
        self.caFile = caFile
        self.logger = logger
    }

    /// Sends a request and collects the whole response.
    /// - Parameter request: The request.
    /// - Returns: The response, whatever its status.
    /// - Throws: `http.timeout` when the timeout passes; `http.failed` when no response
    ///   arrives (refused, DNS, TLS, unsupported scheme, invalid method or header) or the
    ///   body exceeds ``maximumBodySize``; `CancellationError` when the task is cancelled.
    public func send(_ request: HTTPRequest) async throws -> HTTPResponse {
        let result = try await run(request, sink: .collect(limit: maximumBodySize))
        return HTTPResponse(status: result.status, headers: result.headers, body: result.body)
    }

    /// Sends a request and hands the response body to `onChunk` as it arrives, for
    /// long-lived responses such as the Docker Engine's `/events` (one JSON object per line;
    /// chunks are not aligned to lines).
    /// - Parameters:
    ///   - request: The request. Use a `timeout` of `0` for a stream without an end.
    ///   - onChunk: Called on the transfer's thread with each piece of the body, whatever
    ///     the status; return `false` to stop the transfer (that is not an error).
    /// - Returns: The response status.
    /// - Throws: `http.timeout`, `http.failed` as ``send(_:)``; `CancellationError` when
    ///   the task is cancelled.
    public func stream(_ request: HTTPRequest,
                       onChunk: @escaping @Sendable ([UInt8]) -> Bool) async throws -> Int {
        try await run(request, sink: .stream(onChunk)).status
    }

    /// Streams the body to `onChunk` and returns the status and headers.
    /// - Parameters:
    ///   - request: The request.
    ///   - onChunk: Receives each piece; returning `false` aborts the transfer.
    /// - Returns: Status and headers (the body was delivered to `onChunk`).
    /// - Throws: `http.failed`, `http.timeout`, or `CancellationError`.
    public func streamResponse(_ request: HTTPRequest,
                               onChunk: @escaping @Sendable ([UInt8]) -> Bool) async throws -> HTTPResponse {
        let result = try await run(request, sink: .stream(onChunk))
        return HTTPResponse(status: result.status, headers: result.headers, body: [])
    }

    private func run(_ request: HTTPRequest, sink: CurlSink) async throws -> CurlTransferResult {
        try Task.checkCancellation()
        let cancelled = LockedBox(false)
        logger?.debug("\(request.method) \(request.url)")
        let result = try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<CurlTransferResult, any Error>) in
                let thread = Thread {
                    continuation.resume(with: Result {
                        try CurlTransfer(request: request, sink: sink, cancelled: cancelled, caFile: caFile).run()
                    })
                }
                thread.name = "stack.curl"
                thread.start()
            }
        } onCancel: {
            cancelled.withLock { $0 = true }
        }
        logger?.debug("\(request.method) \(request.url) -> \(result.status)")
        return result
    }
}
