import Foundation
import StackCore

extension Docker {
    /// A client for the Docker Engine API over its unix socket, through the ``HTTPClient``
    /// port (in production `CurlHTTPClient`, so only one module wraps libcurl).
    ///
    /// Every request is pinned to API ``apiVersion``. When the engine cannot be reached the
    /// error is `docker.unreachable` with a hint; when it answers with an error status the
    /// error is `docker.api_error` carrying the engine's own `message`.
    public struct EngineClient: Sendable {
        /// The Engine API version every request is made with.
        public static let apiVersion = "1.41"
        /// Where the engine listens unless `DOCKER_HOST` says otherwise.
        public static let defaultSocketPath = "/var/run/docker.sock"

        /// The unix socket this client talks to.
        public let socketPath: String
        /// The timeout of each request, in seconds.
        public let timeout: Double
        private let http: any HTTPClient

        /// Creates a client.
        /// - Parameters:
        ///   - http: The HTTP client; it must support `HTTPRequest.unixSocketPath`.
        ///   - socketPath: The engine's socket. When `nil`, `DOCKER_HOST` from `environment`
        ///     decides (`unix:///path`), else ``defaultSocketPath``.
        ///   - environment: The environment to read `DOCKER_HOST` from.
        ///   - timeout: The timeout of each request, in seconds.
        /// - Throws: `docker.unreachable` when `DOCKER_HOST` names a transport this client
        ///   does not support (`tcp://`, `ssh://`, …) or is malformed.
        public init(http: any HTTPClient, socketPath: String? = nil,
                    environment: [String: String] = ProcessInfo.processInfo.environment,
                    timeout: Double = 30) throws {
            self.http = http
            self.socketPath = try socketPath ?? Self.socketPath(dockerHost: environment["DOCKER_HOST"])
            self.timeout = timeout
        }

        /// Resolves the engine's socket from a `DOCKER_HOST` value.
        /// - Parameter dockerHost: The value; `nil` or empty means the default.
        /// - Returns: An absolute socket path.
        /// - Throws: `docker.unreachable` for a `tcp://`, `ssh://` or other non-unix host,
        ///   or a `unix://` URL without an absolute path.
        public static func socketPath(dockerHost: String?) throws -> String {
            guard let host = dockerHost?.trimmingCharacters(in: .whitespaces), !host.isEmpty else {
                return defaultSocketPath
            }
            let hint = "use a unix socket (DOCKER_HOST=unix://\(defaultSocketPath)) or unset DOCKER_HOST"
            guard host.hasPrefix("unix://") else {
                let scheme = host.range(of: "://").map { String(host[..<$0.lowerBound]) } ?? host
                throw StackError(.dockerUnreachable,
                                 "unsupported DOCKER_HOST \(host.debugDescription): the \(scheme) transport is not supported yet; only unix:// sockets are",
                                 hint: hint)
            }
            let path = String(host.dropFirst("unix://".count))
            guard path.hasPrefix("/"), !path.contains("\0") else {
                throw StackError(.dockerUnreachable,
                                 "invalid DOCKER_HOST \(host.debugDescription): expected unix:///absolute/path",
                                 hint: hint)
            }
            return path
        }

        /// Checks that the engine answers (`GET /_ping`).
        /// - Throws: `docker.unreachable` when it does not, `docker.api_error` when it
        ///   answers with an error status.
        public func ping() async throws {
            _ = try await get("/_ping")
        }

        /// Asks the engine for its version (`GET /version`).
        /// - Returns: Engine release, API version, OS and architecture.
        /// - Throws: `docker.unreachable`, or `docker.api_error` for an error status or a
        ///   response that does not decode.
        public func version() async throws -> EngineVersion {
            try decode(EngineVersion.self, from: try await get("/version"), path: "/version")
        }

        /// Lists the local images matching a reference (`GET /images/json` with a
        /// `reference` filter).
        /// - Parameter reference: A reference or pattern, such as `busybox:1` or `busybox`.
        /// - Returns: The matching images; empty when none match.
        /// - Throws: `docker.unreachable`, or `docker.api_error` for an error status or a
        ///   response that does not decode.
        public func images(reference: String) async throws -> [ImageSummary] {
            let filters = try Self.filters(["reference": [reference]])
            let response = try await get("/images/json", query: [("filters", filters)])
            return try decode([ImageSummary].self, from: response, path: "/images/json")
        }

        /// Lists the containers carrying a label (`GET /containers/json` with a `label`
        /// filter).
        /// - Parameters:
        ///   - label: `key` (any value) or `key=value`.
        ///   - all: Include stopped containers, not only running ones.
        /// - Returns: The matching containers.
        /// - Throws: `docker.unreachable`, or `docker.api_error` for an error status or a
        ///   response that does not decode.
        public func containers(label: String, all: Bool) async throws -> [ContainerSummary] {
            var query = [("filters", try Self.filters(["label": [label]]))]
            if all { query.append(("all", "1")) }
            let response = try await get("/containers/json", query: query)
            return try decode([ContainerSummary].self, from: response, path: "/containers/json")
        }

        /// Removes a container; an absent one is fine.
        /// - Parameters:
        ///   - id: The container id or name.
        ///   - force: Kill it first when running.
        /// - Throws: `docker.unreachable` or `docker.api_error`.
        public func removeContainer(id: String, force: Bool = true) async throws {
            _ = try await send("DELETE", "/containers/\(Self.percentEncode(id))",
                               query: [("force", force ? "1" : "0"), ("v", "1")], accept: [404])
        }

        /// Networks carrying `label`.
        /// - Parameter label: `key` or `key=value`.
        /// - Returns: The matching networks.
        /// - Throws: `docker.unreachable` or `docker.api_error`.
        public func networks(label: String) async throws -> [NetworkSummary] {
            let response = try await get("/networks", query: [("filters", try Self.filters(["label": [label]]))])
            return try decode([NetworkSummary].self, from: response, path: "/networks")
        }

        /// Removes a network; an absent one is fine.
        /// - Parameter id: The network id or name.
        /// - Throws: `docker.unreachable` or `docker.api_error`.
        public func removeNetwork(id: String) async throws {
            _ = try await send("DELETE", "/networks/\(Self.percentEncode(id))", accept: [404])
        }

        /// The raw `GET /containers/{id}/json` document.
        /// - Parameter id: The container id or name.
        /// - Returns: The decoded JSON object.
        /// - Throws: `docker.unreachable` or `docker.api_error`.
        public func inspectContainer(id: String) async throws -> [String: Any] {
            let response = try await get("/containers/\(Self.percentEncode(id))/json")
            guard let object = try? JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any] else {
                throw StackError(.dockerAPIError, "Docker Engine GET /containers/\(id)/json: unexpected response")
            }
            return object
        }

        /// A container's log output (stdout and stderr, demultiplexed, in order).
        /// - Parameters:
        ///   - id: The container id.
        ///   - tail: Lines from the end, or `nil` for all.
        /// - Returns: The text.
        /// - Throws: `docker.unreachable` or `docker.api_error`.
        public func logs(id: String, tail: Int? = nil) async throws -> String {
            var query = [("stdout", "1"), ("stderr", "1")]
            if let tail { query.append(("tail", String(tail))) }
            let response = try await get("/containers/\(Self.percentEncode(id))/logs", query: query)
            return Self.demultiplex(response.body)
        }

        /// Splits the engine's multiplexed log stream (8-byte frame headers) into text; a
        /// TTY container's raw stream is returned as is.
        static func demultiplex(_ body: [UInt8]) -> String {
            var out: [UInt8] = []
            var index = 0
            while index + 8 <= body.count, body[index] <= 2, body[index + 1] == 0, body[index + 2] == 0, body[index + 3] == 0 {
                let size = Int(body[index + 4]) << 24 | Int(body[index + 5]) << 16 | Int(body[index + 6]) << 8 | Int(body[index + 7])
                let start = index + 8
                let end = min(body.count, start + size)
                out += body[start..<end]
                index = end
            }
            if index == 0 { return String(decoding: body, as: UTF8.self) }
            return String(decoding: out, as: UTF8.self)
        }

        /// Streams engine events (one JSON object per line) until `until`, or until
        /// `onEvent` returns `false`.
        /// - Parameters:
        ///   - filters: Engine filters such as `["label": ["lol.stack.managed=true"]]`.
        ///   - since: Replay events from this time.
        ///   - until: Stop at this time (`nil`: stream until `onEvent` returns false).
        ///   - onEvent: Receives each event.
        /// - Throws: `docker.unreachable` or `docker.api_error`.
        public func events(filters: [String: [String]] = [:], since: Date? = nil, until: Date? = nil,
                           onEvent: @escaping @Sendable (EngineEvent) -> Bool) async throws {
            var query: [(String, String)] = []
            if !filters.isEmpty { query.append(("filters", try Self.filters(filters))) }
            if let since { query.append(("since", String(Int(since.timeIntervalSince1970)))) }
            if let until { query.append(("until", String(Int(until.timeIntervalSince1970.rounded(.up))))) }
            let splitter = LineSplitter()
            let status: Int
            do {
                status = try await http.stream(HTTPRequest(method: "GET", url: Self.url("/events", query: query),
                                                           unixSocketPath: socketPath, timeout: 0)) { chunk in
                    for line in splitter.feed(chunk) {
                        guard let event = try? JSONDecoder().decode(EngineEvent.self, from: Data(line)) else { continue }
                        if !onEvent(event) { return false }
                    }
                    return true
                }
            } catch let error as StackError where error.code == .httpFailed || error.code == .httpTimeout {
                throw unreachable(error)
            }
            guard (200..<300).contains(status) else {
                throw StackError(.dockerAPIError, "Docker Engine GET /events: \(status)")
            }
        }

        /// A one-shot resource snapshot of a running container.
        /// - Parameter id: The container id.
        /// - Returns: Memory, pids and CPU counters.
        /// - Throws: `docker.unreachable` or `docker.api_error`.
        public func stats(id: String) async throws -> ContainerStats {
            let response = try await get("/containers/\(Self.percentEncode(id))/stats", query: [("stream", "0")])
            return try decode(ContainerStats.self, from: response, path: "/containers/{id}/stats")
        }

        /// Follows a container's logs, delivering text as it is written, until `onText`
        /// returns `false` or the container stops.
        /// - Parameters:
        ///   - id: The container id.
        ///   - tail: Lines of history first, or `nil` for all.
        ///   - onText: Receives demultiplexed text.
        /// - Throws: `docker.unreachable` or `docker.api_error`.
        public func followLogs(id: String, tail: Int? = nil, onText: @escaping @Sendable (String) -> Bool) async throws {
            var query = [("stdout", "1"), ("stderr", "1"), ("follow", "1")]
            if let tail { query.append(("tail", String(tail))) }
            let demux = FrameDemultiplexer()
            do {
                _ = try await http.stream(HTTPRequest(method: "GET", url: Self.url("/containers/\(Self.percentEncode(id))/logs", query: query),
                                                      unixSocketPath: socketPath, timeout: 0)) { chunk in
                    let text = demux.feed(chunk)
                    return text.isEmpty || onText(text)
                }
            } catch let error as StackError where error.code == .httpFailed || error.code == .httpTimeout {
                throw unreachable(error)
            }
        }

        // MARK: Transport

        /// The URL of an API path; the host part is ignored on a unix socket.
        /// - Parameters:
        ///   - path: The path below the version prefix, starting with `/`.
        ///   - query: Query items; names and values are percent-encoded.
        /// - Returns: `http://localhost/v1.41/…?…`.
        static func url(_ path: String, query: [(String, String)] = []) -> String {
            var url = "http://localhost/v\(apiVersion)\(path)"
            if !query.isEmpty {
                url += "?" + query.map { "\(percentEncode($0.0))=\(percentEncode($0.1))" }
                    .joined(separator: "&")
            }
            return url
        }

        /// Percent-encodes everything but RFC 3986 unreserved characters.
        static func percentEncode(_ text: String) -> String {
            var unreserved = CharacterSet(charactersIn: "-._~")
            unreserved.formUnion(CharacterSet(charactersIn: "a"..."z"))
            unreserved.formUnion(CharacterSet(charactersIn: "A"..."Z"))
            unreserved.formUnion(CharacterSet(charactersIn: "0"..."9"))
            return text.addingPercentEncoding(withAllowedCharacters: unreserved) ?? ""
        }

        /// The JSON text of an Engine API `filters` parameter.
        static func filters(_ filters: [String: [String]]) throws -> String {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            return String(decoding: try encoder.encode(filters), as: UTF8.self)
        }

        private func get(_ path: String, query: [(String, String)] = []) async throws -> HTTPResponse {
            try await send("GET", path, query: query)
        }

        private func send(_ method: String, _ path: String, query: [(String, String)] = [],
                          accept: Set<Int> = []) async throws -> HTTPResponse {
            let request = HTTPRequest(method: method, url: Self.url(path, query: query),
                                      headers: [("Accept", "application/json")],
                                      unixSocketPath: socketPath, timeout: timeout)
            let response: HTTPResponse
            do {
                response = try await http.send(request)
            } catch let error as StackError where error.code == .httpFailed || error.code == .httpTimeout {
                throw unreachable(error)
            }
            guard (200..<300).contains(response.status) || accept.contains(response.status) else {
                throw StackError(.dockerAPIError,
                                 "Docker Engine \(method) /v\(Self.apiVersion)\(path): \(response.status) \(Self.engineMessage(response.body))")
            }
            return response
        }

        private func unreachable(_ error: StackError) -> StackError {
            // Say what is wrong with the socket; libcurl's own text names an HTTP URL and
            // "localhost port 80", which only confuses for a unix socket.
            let reason: String
            if !FileManager.default.fileExists(atPath: socketPath) {
                reason = "no socket at \(socketPath)"
            } else if error.code == .httpTimeout {
                reason = "the engine did not answer in time"
            } else {
                reason = "nothing accepts connections on \(socketPath) (is dockerd running?)"
            }
            return StackError(.dockerUnreachable, "cannot reach the Docker Engine at unix://\(socketPath): \(reason)",
                              hint: StackError.dockerUnreachableHint)
        }

        private func decode<T: Decodable>(_ type: T.Type, from response: HTTPResponse, path: String) throws -> T {
            do {
                return try JSONDecoder().decode(type, from: Data(response.body))
            } catch {
                throw StackError(.dockerAPIError,
                                 "Docker Engine GET /v\(Self.apiVersion)\(path): unexpected response",
                                 cause: error)
            }
        }

        /// The engine's `{"message": "…"}`, or the start of the body when it is not that.
        static func engineMessage(_ body: [UInt8]) -> String {
            struct EngineError: Decodable { var message: String }
            if let error = try? JSONDecoder().decode(EngineError.self, from: Data(body)) {
                return error.message
            }
            let text = String(decoding: body.prefix(512), as: UTF8.self)
                .trimmingCharacters(in: .whitespacesAndNewlines)
            return text.isEmpty ? "(no message)" : text
        }
    }
}
