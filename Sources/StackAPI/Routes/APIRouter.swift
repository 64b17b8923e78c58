import Foundation
import StackCore

/// A request as the API layer sees it, independent of the transport.
public struct APIRequest: Sendable {
    public var method: String
    /// The request target: path and optional query (`/v1/stacks?x=1`).
    public var target: String
    /// Header names lower-cased, in arrival order.
    public var headers: [(String, String)]
    public var body: [UInt8]

    public init(method: String, target: String, headers: [(String, String)], body: [UInt8] = []) {
        self.method = method
        self.target = target
        self.headers = headers.map { ($0.0.lowercased(), $0.1) }
        self.body = body
    }

    /// The first value of a header.
    public func header(_ name: String) -> String? {
        let lower = name.lowercased()
        return headers.first { $0.0 == lower }?.1
    }

    /// How many times a header appears.
    func count(_ name: String) -> Int { headers.filter { $0.0 == name }.count }

    /// The path without the query.
    public var path: String { String(target.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first ?? "") }

    /// Query items, percent-decoded (`+` is kept as is). A key given twice keeps its first
    /// value; a pair with an empty key (`=x`, `=`) is ignored; a key without `=` has the
    /// value `""`; malformed percent-encoding is kept verbatim. Any target parses: this
    /// runs on unauthenticated input.
    public var query: [String: String] {
        guard let index = target.firstIndex(of: "?") else { return [:] }
        var items: [String: String] = [:]
        for pair in target[target.index(after: index)...].split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let key = Self.decoded(parts[0])
            guard !key.isEmpty, items[key] == nil else { continue }
            items[key] = parts.count > 1 ? Self.decoded(parts[1]) : ""
        }
        return items
    }

    private static func decoded(_ text: Substring) -> String {
        String(text).removingPercentEncoding ?? String(text)
    }
}

/// A stream of server-sent events, with when it must end and what to do then.
public struct EventStream: Sendable {
    /// The events.
    public var events: AsyncStream<APIEvent>
    /// When the stream is closed whatever happens (the token's expiry), if ever.
    public var closesAt: Date?
    /// Called once when the stream ends, for whatever reason.
    public var onClose: @Sendable () -> Void

    public init(events: AsyncStream<APIEvent>, closesAt: Date? = nil, onClose: @escaping @Sendable () -> Void = {}) {
        self.events = events
        self.closesAt = closesAt
        self.onClose = onClose
    }
}

/// A response: a whole body, or a stream of server-sent events.
public struct APIResponse: Sendable {
    public enum Body: Sendable {
        case bytes([UInt8])
        /// Server-sent events until the client goes away or the stream's end comes.
        case events(EventStream)
    }
    public var status: Int
    public var headers: [(String, String)]
    public var body: Body

    public init(status: Int, headers: [(String, String)] = [], body: Body = .bytes([])) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// A JSON response.
    static func json(_ status: Int, _ text: String) -> APIResponse {
        APIResponse(status: status, headers: [("Content-Type", "application/json")], body: .bytes(Array((text + "\n").utf8)))
    }

    /// `{"error": {"code", "message"}}`.
    static func error(_ status: Int, _ code: String, _ message: String) -> APIResponse {
        struct Body: Encodable { let error: [String: String] }
        return json(status, APIJSON.encode(Body(error: ["code": code, "message": message])))
    }
}

/// The local API of DESIGN §6 as a pure request → response function: the request gate
/// (Host, Origin/CORS, bearer token) and the routes. The transport (TLS, HTTP/1.1) is
/// elsewhere, so this can be tested in memory.
public struct APIRouter: Sendable {
    /// Headers on every response.
    public static let securityHeaders: [(String, String)] = [
        ("X-Frame-Options", "DENY"), ("X-Content-Type-Options", "nosniff"), ("Cache-Control", "no-store"),
        ("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'"), ("Referrer-Policy", "no-referrer"),
    ]

    /// The port the server listens on (requests must name it in `Host`).
    public let port: Int
    private let origins: OriginPolicy
    private let verifier: any TokenVerifier
    private let install: InstallService
    private let runner: StackRunner
    private let operations: OperationStore
    private let streams: EventStreamLimiter
    private let logger: Logger?

    /// Creates the router.
    /// - Parameters:
    ///   - port: The port the server listens on (the `Host` header must name it).
    ///   - origins: The catalog allowlist (CORS).
    ///   - verifier: Verifies bearer tokens.
    ///   - install: Starts operations.
    ///   - runner: Stack lifecycle.
    ///   - operations: The operation store.
    ///   - streams: The caps on event streams (share one across routers of one server).
    ///   - logger: Optional logger.
    public init(port: Int, origins: OriginPolicy, verifier: some TokenVerifier, install: InstallService,
                runner: StackRunner, operations: OperationStore, streams: EventStreamLimiter = EventStreamLimiter(),
                logger: Logger? = nil) {
        self.streams = streams
        self.port = port
        self.origins = origins
        self.verifier = verifier
        self.install = install
        self.runner = runner
        self.operations = operations
        self.logger = logger
    }

    /// Handles one request.
    public func handle(_ request: APIRequest) async -> APIResponse {
        var response = await route(request)
        // CORS: echo an allowed origin exactly, never `*`.
        if let origin = request.header("origin"), origins.allowsOrigin(origin) {
            response.headers.append(("Access-Control-Allow-Origin", origin))
        }
        response.headers.append(("Vary", "Origin"))
        response.headers += Self.securityHeaders
        return response
    }

    private func route(_ request: APIRequest) async -> APIResponse {
        // 1. Host: only our own loopback names (DNS rebinding).
        guard request.count("host") == 1, let host = request.header("host"), isOwnHost(host) else {
            return .error(421, "request.host", "the Host header must be 127.0.0.1:\(port), localhost:\(port) or [::1]:\(port)")
        }
        // 2. Origin, when a browser sends one, must be an allowed catalog origin.
        if let origin = request.header("origin"), !origins.allowsOrigin(origin) {
            return .error(403, "request.origin", "origin \(origin) is not an allowed catalog origin")
        }
        if request.method == "OPTIONS" { return preflight(request) }
        let path = request.path
        if request.method == "GET" && path == "/v1/health" {
            return .json(200, APIJSON.encode(["status": "ok"]))
        }
        let segments = path.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard segments.count >= 3, segments[0] == "", segments[1] == "v1" else {
            return .error(404, "request.not_found", "no route for \(request.method) \(path)")
        }
        // 3. Routes and the scope each needs.
        let route: (scope: String, run: () async throws -> APIResponse)
        switch (request.method, Array(segments.dropFirst(2))) {
        case ("POST", ["stacks"]):
            route = ("stacks:run", { try await postStack(request) })
        case ("GET", ["stacks"]):
            route = ("stacks:read", { try await listStacks() })
        case ("GET", let parts) where parts.count == 2 && parts[0] == "stacks":
            route = ("stacks:read", { try await stack(parts[1]) })
        case ("POST", let parts) where parts.count == 3 && parts[0] == "stacks" && (parts[2] == "start" || parts[2] == "stop"):
            route = ("stacks:manage", { try await lifecycle(parts[1], start: parts[2] == "start") })
        case ("DELETE", let parts) where parts.count == 2 && parts[0] == "stacks":
            route = ("stacks:manage", { try await remove(parts[1], purge: request.query["purge"] == "true") })
        case ("GET", let parts) where parts.count == 2 && parts[0] == "operations":
            route = ("stacks:read", { try await operation(parts[1]) })
        case ("GET", ["events"]):
            // Answered below, once the token is known: streams are capped per token and
            // close when the token expires.
            route = ("stacks:read", { APIResponse(status: 500) })
        case (_, let parts):
            guard let allowed = Self.allowedMethods(parts) else {
                return .error(404, "request.not_found", "no route for \(request.method) \(path)")
            }
            var response = APIResponse.error(405, "request.method", "\(request.method) is not allowed on \(path)")
            response.headers.append(("Allow", allowed.joined(separator: ", ")))
            return response
        }
        // 4. Bearer token, bound to this method, scope and body.
        guard let authorization = request.header("authorization"), authorization.hasPrefix("Bearer "),
              request.count("authorization") == 1 else {
            return .error(401, "auth.missing", "an Authorization: Bearer token is required")
        }
        let claims: TokenClaims
        do {
            claims = try verifier.verify(String(authorization.dropFirst(7)),
                                         for: TokenRequest(method: request.method, requiredScope: route.scope,
                                                           body: request.body.isEmpty ? nil : request.body,
                                                           target: request.target))
        } catch {
            let failure = StackError.wrap(error)
            // Only an authentication failure is a 401/403; the gate failing to record a
            // token (a full disk) is the server's problem, never the caller's.
            guard failure.exitStatus == .authentication else {
                return .error(Self.status(for: failure), failure.code.rawValue, failure.message)
            }
            return .error(failure.code.rawValue == "auth.scope" ? 403 : 401, failure.code.rawValue, failure.message)
        }
        if request.method == "GET" && path == "/v1/events" {
            guard let release = streams.acquire(claims.id) else {
                var response = APIResponse.error(429, "events.limit",
                                                 "too many event streams (at most \(streams.perToken) per token, \(streams.total) in all)")
                response.headers.append(("Retry-After", "5"))
                return response
            }
            return APIResponse(status: 200, headers: [("Content-Type", "text/event-stream")],
                               body: .events(EventStream(events: await operations.subscribe(), closesAt: claims.expiresAt,
                                                         onClose: release)))
        }
        do {
            return try await route.run()
        } catch {
            let failure = StackError.wrap(error)
            return .error(Self.status(for: failure), failure.code.rawValue, failure.message)
        }
    }

    /// The methods a path shape supports (for 405 and its `Allow` header), or `nil` when
    /// no route has that shape (404).
    static func allowedMethods(_ parts: [String]) -> [String]? {
        switch parts.count {
        case 1 where parts[0] == "health" || parts[0] == "events": ["GET"]
        case 1 where parts[0] == "stacks": ["GET", "POST"]
        case 2 where parts[0] == "stacks" && !parts[1].isEmpty: ["GET", "DELETE"]
        case 2 where parts[0] == "operations" && !parts[1].isEmpty: ["GET"]
        case 3 where parts[0] == "stacks" && !parts[1].isEmpty && (parts[2] == "start" || parts[2] == "stop"): ["POST"]
        default: nil
        }
    }

    static func status(for error: StackError) -> Int {
        switch error.code.rawValue {
        case "request.invalid", "usage.invalid": 400
        case "download.forbidden_origin": 403
        case "stack.not_found", "approval.not_found": 404
        case "stack.exists": 409
        case "io.no_space": 507
        default:
            switch error.exitStatus {
            case .runtime: 503
            case .authentication: 401
            case .policy, .verification, .declined: 422
            default: 500
            }
        }
    }

    private func isOwnHost(_ host: String) -> Bool {
        ["127.0.0.1:\(port)", "localhost:\(port)", "[::1]:\(port)"].contains(host.lowercased())
    }

    private func preflight(_ request: APIRequest) -> APIResponse {
        guard let origin = request.header("origin"), origins.allowsOrigin(origin) else {
            return .error(403, "request.origin", "a preflight needs an allowed Origin")
        }
        var headers: [(String, String)] = [
            ("Access-Control-Allow-Methods", "GET, POST, DELETE"),
            ("Access-Control-Allow-Headers", "authorization, content-type"),
            ("Access-Control-Max-Age", "600"),
        ]
        if request.header("access-control-request-private-network") != nil {
            headers.append(("Access-Control-Allow-Private-Network", "true"))
        }
        return APIResponse(status: 204, headers: headers)
    }

    // MARK: Routes

    private func postStack(_ request: APIRequest) async throws -> APIResponse {
        guard request.header("content-type")?.lowercased().hasPrefix("application/json") == true else {
            throw StackError(.requestInvalid, "the body must be application/json")
        }
        let body: OperationRequest
        do {
            body = try JSONDecoder().decode(OperationRequest.self, from: Data(request.body))
        } catch {
            throw StackError(.requestInvalid, "the body is not a valid stack request: it needs bundle_url and sha256")
        }
        let operation = try await install.start(body)
        return .json(202, APIJSON.encode(["operation": operation]))
    }

    private func operation(_ id: String) async throws -> APIResponse {
        guard let operation = await operations.get(id) else {
            return .error(404, "operation.not_found", "no operation \(id)")
        }
        return .json(200, APIJSON.encode(["operation": operation]))
    }

    struct StackDocument: Encodable {
        let name: String
        let version: String
        let status: String
        let state: String
        let urls: [StackURL]
        let containers: [StackContainer]
        init(_ s: StackStatus) {
            name = s.record.name
            version = s.record.version.description
            status = s.record.status.rawValue
            state = s.state.rawValue
            urls = s.urls
            containers = s.containers
        }
    }

    private func listStacks() async throws -> APIResponse {
        .json(200, APIJSON.encode(["stacks": try await runner.list().map(StackDocument.init)]))
    }

    private func stack(_ name: String) async throws -> APIResponse {
        .json(200, APIJSON.encode(["stack": StackDocument(try await runner.status(name))]))
    }

    private func lifecycle(_ name: String, start: Bool) async throws -> APIResponse {
        if start { _ = try await runner.start(name) } else { try await runner.stop(name) }
        let status = try await runner.status(name)
        await operations.publish(APIEvent(type: "stack", json: APIJSON.encode(StackDocument(status))))
        return .json(200, APIJSON.encode(["stack": StackDocument(status)]))
    }

    private func remove(_ name: String, purge: Bool) async throws -> APIResponse {
        try await runner.remove(name, purge: purge)
        await operations.publish(APIEvent(type: "stack", json: APIJSON.encode(["name": name, "state": "absent"])))
        return .json(200, APIJSON.encode(["removed": name]))
    }
}
