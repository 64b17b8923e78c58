import StackCore

/// One scripted answer of ``ScriptedHTTPClient``.
public enum ScriptedReply: Sendable {
    /// Answer with this response.
    case response(HTTPResponse)
    /// Fail with this error (no response received).
    case failure(StackError)

    /// A response with the given status, headers and body.
    public static func status(_ status: Int, headers: [String: String] = [:], body: [UInt8] = []) -> ScriptedReply {
        .response(HTTPResponse(status: status, headers: headers, body: body))
    }
}
