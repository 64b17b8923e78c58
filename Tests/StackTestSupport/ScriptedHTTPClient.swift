import StackCore

/// An ``HTTPClient`` that answers from a script (the last reply repeats once the others
/// are used up), delivers streamed bodies in small chunks, and records every request.
public final class ScriptedHTTPClient: HTTPClient {
    private let replies: LockedBox<[ScriptedReply]>
    private let chunkSize: Int
    private let requestLog = LockedBox<[HTTPRequest]>([])
    private let deliveredBytes = LockedBox<Int>(0)

    /// Creates the client.
    /// - Parameters:
    ///   - replies: The answers, in order; the last one repeats.
    ///   - chunkSize: How many body bytes each streamed piece holds (at least 1).
    public init(_ replies: [ScriptedReply], chunkSize: Int = 4) {
        self.replies = LockedBox(replies)
        self.chunkSize = max(1, chunkSize)
    }

    /// The requests received so far, in order.
    public var requests: [HTTPRequest] { requestLog.withLock { $0 } }

    /// Body bytes handed to `onChunk` so far (across all streamed requests).
    public var delivered: Int { deliveredBytes.withLock { $0 } }

    private func next(_ request: HTTPRequest) throws -> HTTPResponse {
        requestLog.withLock { $0.append(request) }
        let reply: ScriptedReply? = replies.withLock { queue in
            if queue.count > 1 { return queue.removeFirst() }
            return queue.first
        }
        switch reply {
        case .response(let response)?: return response
        case .failure(let error)?: throw error
        case nil: throw StackError(.httpFailed, "no scripted reply for \(request.url)")
        }
    }

    /// Records the request and returns the next scripted reply.
    public func send(_ request: HTTPRequest) async throws -> HTTPResponse {
        try next(request)
    }

    /// Records the request and delivers the next scripted body in chunks, stopping when
    /// `onChunk` returns `false`; the returned body is empty.
    public func streamResponse(_ request: HTTPRequest,
                               onChunk: @escaping @Sendable ([UInt8]) -> Bool) async throws -> HTTPResponse {
        var response = try next(request)
        var offset = 0
        while offset < response.body.count {
            let end = min(offset + chunkSize, response.body.count)
            deliveredBytes.withLock { $0 += end - offset }
            guard onChunk(Array(response.body[offset..<end])) else { break }
            offset = end
        }
        response.body = []
        return response
    }

    /// Like ``streamResponse(_:onChunk:)``, returning only the status.
    public func stream(_ request: HTTPRequest, onChunk: @escaping @Sendable ([UInt8]) -> Bool) async throws -> Int {
        try await streamResponse(request, onChunk: onChunk).status
    }
}
