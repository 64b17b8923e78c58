import StackCore

/// An ``HTTPClient`` that records requests and answers with a fixed response or error.
public final class StubHTTPClient: HTTPClient {
    /// Every request received so far, in order.
    public let requests = LockedBox<[HTTPRequest]>([])
    /// The answer to every request.
    public let result: Result<HTTPResponse, StackError>

    /// Creates the client.
    /// - Parameter result: The response (or error) for every request.
    public init(_ result: Result<HTTPResponse, StackError>) { self.result = result }

    /// Records the request and returns (or throws) ``result``.
    public func send(_ request: HTTPRequest) async throws -> HTTPResponse {
        requests.withLock { $0.append(request) }
        return try result.get()
    }
}
