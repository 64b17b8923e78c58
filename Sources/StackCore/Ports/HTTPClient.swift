import Foundation

/// An HTTP request for the ``HTTPClient`` port.
public struct HTTPRequest: Sendable {
    public var method: String
    /// `http://`, `https://`; for a unix socket, `http://localhost/…` with ``unixSocketPath``.
    public var url: String
    public var headers: [(String, String)]
    public var body: [UInt8]
    /// Reach the host through this unix socket (the Docker Engine API).
    public var unixSocketPath: String?
    /// Give up after this many seconds overall.
    public var timeout: Double
    /// Give up when fewer than `bytesPerSecond` arrive for `seconds` in a row (a stalled
    /// transfer), whatever ``timeout`` allows.
    public var stall: (bytesPerSecond: Int, seconds: Int)?

    public init(method: String = "GET", url: String, headers: [(String, String)] = [],
                body: [UInt8] = [], unixSocketPath: String? = nil, timeout: Double = 30,
                stall: (bytesPerSecond: Int, seconds: Int)? = nil) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.unixSocketPath = unixSocketPath
        self.timeout = timeout
        self.stall = stall
    }
}

/// An HTTP response.
public struct HTTPResponse: Sendable {
    public var status: Int
    /// Header names lower-cased.
    public var headers: [String: String]
    public var body: [UInt8]
    public init(status: Int, headers: [String: String] = [:], body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }
}

/// An HTTP client. `CurlHTTPClient` (StackAPI) implements it over libcurl, including unix
/// sockets, so that only one module wraps libcurl.
public protocol HTTPClient: Sendable {
    /// Sends a request and collects the whole response.
    /// - Parameter request: The request.
    /// - Returns: The response (any status).
    /// - Throws: `StackError` (`http.*`) when no response was received.
    func send(_ request: HTTPRequest) async throws -> HTTPResponse

    /// Sends a request and delivers the response body in pieces as they arrive (event
    /// streams, followed logs). Returning `false` from `onChunk` ends the transfer.
    /// - Parameters:
    ///   - request: The request.
    ///   - onChunk: Receives each piece of the body.
    /// - Returns: The response status.
    /// - Throws: `StackError` (`http.*`) when no response was received.
    func stream(_ request: HTTPRequest, onChunk: @escaping @Sendable ([UInt8]) -> Bool) async throws -> Int

    /// Like ``stream(_:onChunk:)`` but returns the status and headers (for redirects and
    /// content lengths); the returned body is empty.
    func streamResponse(_ request: HTTPRequest, onChunk: @escaping @Sendable ([UInt8]) -> Bool) async throws -> HTTPResponse
}

extension HTTPClient {
    /// A fallback for clients that cannot stream: the whole body as one piece.
    public func streamResponse(_ request: HTTPRequest, onChunk: @escaping @Sendable ([UInt8]) -> Bool) async throws -> HTTPResponse {
        var response = try await send(request)
        _ = onChunk(response.body)
        response.body = []
        return response
    }

    /// A fallback for clients that cannot stream: the whole body as one piece.
    public func stream(_ request: HTTPRequest, onChunk: @escaping @Sendable ([UInt8]) -> Bool) async throws -> Int {
        let response = try await send(request)
        _ = onChunk(response.body)
        return response.status
    }
}
