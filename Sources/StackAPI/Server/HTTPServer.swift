import Foundation
import StackCore
import StackSecurity

/// A byte stream the server reads requests from and writes responses to: a TLS
/// connection in production, a plain socket in tests of the HTTP layer alone.
public protocol ByteStream: AnyObject, Sendable {
    /// Reads bytes; 0 means closed or timed out.
    func read(into buffer: UnsafeMutableRawBufferPointer) -> Int
    /// Writes all bytes; `false` when the connection failed.
    func write(_ bytes: UnsafeRawBufferPointer) -> Bool
    /// Makes blocked calls return, from any thread.
    func interrupt()
    /// Closes; idempotent.
    func close()
}

extension TLSConnection: ByteStream {}

/// A plain TCP stream (no TLS), for tests and benchmarks of the HTTP layer.
final class PlainStream: ByteStream, @unchecked Sendable {
    // @unchecked Sendable: the descriptor is used by the connection's own thread; `close`
    // is guarded by a lock and `interrupt` is a thread-safe syscall.
    let descriptor: Int32
    private let closed = LockedBox(false)
    init(descriptor: Int32) { self.descriptor = descriptor }
    func read(into buffer: UnsafeMutableRawBufferPointer) -> Int {
        let n = Posix.read(descriptor, buffer.baseAddress, buffer.count)
        return max(n, 0)
    }
    func write(_ bytes: UnsafeRawBufferPointer) -> Bool {
        var offset = 0
        while offset < bytes.count, let base = bytes.baseAddress {
            let n = Posix.sendNoSignal(descriptor, base + offset, bytes.count - offset)
            if n <= 0 { return false }
            offset += n
        }
        return true
    }
    func interrupt() { Posix.shutdownBoth(descriptor) }
    func close() {
        let first = closed.withLock { c -> Bool in defer { c = true }; return !c }
        if first { Posix.close(descriptor) }
    }
    deinit { close() }
}

/// An HTTP/1.1 server on a loopback address (DESIGN §6): strict request parsing, header
/// and body caps, keep-alive with header-read and idle timeouts, a connection cap, and
/// chunked server-sent events. Blocking socket and TLS calls run on the server's own
/// threads (one per connection, bounded by the cap), never on the cooperative pool.
public final class HTTPServer: Sendable {
    // Mutable state (listener, connections, stopped) lives in `state`, behind its lock.

    /// Limits and addresses.
    public struct Configuration: Sendable {
        public var host: String
        public var port: Int
        public var maxConnections: Int
        public var headerTimeout: Double
        public var idleTimeout: Double
        public var maxHeaderBytes: Int
        public var maxBodyBytes: Int
        public init(host: String = "127.0.0.1", port: Int, maxConnections: Int = 64, headerTimeout: Double = 10,
                    idleTimeout: Double = 30, maxHeaderBytes: Int = 16 << 10, maxBodyBytes: Int = 64 << 10) {
            self.host = host
            self.port = port
            self.maxConnections = maxConnections
            self.headerTimeout = headerTimeout
            self.idleTimeout = idleTimeout
            self.maxHeaderBytes = maxHeaderBytes
            self.maxBodyBytes = maxBodyBytes
        }
    }

    private struct State {
        var listener: Int32 = -1
        var connections: [ObjectIdentifier: any ByteStream] = [:]
        var active = 0
        var stopped = false
        var boundPort = 0
    }

    private let configuration: Configuration
    private let tls: TLSServerContext?
    private let handler: @Sendable (APIRequest) async -> APIResponse
    private let logger: Logger?
    private let state = LockedBox(State())
    private let finished = DispatchSemaphore(value: 0)
    private let executor = DispatchTaskExecutor(label: "stack-api-handlers")

    /// Creates the server (nothing is bound yet).
    /// - Parameters:
    ///   - configuration: Address and limits.
    ///   - tls: The TLS context, or `nil` for plain HTTP (tests only).
    ///   - logger: Optional logger.
    ///   - handler: Answers each request.
    public init(configuration: Configuration, tls: TLSServerContext?, logger: Logger? = nil,
                handler: @escaping @Sendable (APIRequest) async -> APIResponse) {
        self.configuration = configuration
        self.tls = tls
        self.handler = handler
        self.logger = logger
    }

    /// The bound port (after ``start()``).
    public var port: Int { state.withLock { $0.boundPort } }

    /// Checks that `host` is a loopback address.
    /// - Throws: `api.non_loopback` for anything else (`0.0.0.0`, `::`, LAN addresses, names).
    public static func requireLoopback(_ host: String) throws {
        var v4 = in_addr()
        var v6 = in6_addr()
        if inet_pton(AF_INET, host, &v4) == 1 {
            let first = UInt8(truncatingIfNeeded: UInt32(bigEndian: v4.s_addr) >> 24)
            if first == 127 { return }
        } else if inet_pton(AF_INET6, host, &v6) == 1, host == "::1" || host == "0:0:0:0:0:0:0:1" {
            return
        }
        throw StackError(.apiNonLoopback, "refusing to listen on \(host): the API binds loopback addresses only (127.0.0.1 or ::1)",
                         hint: "nothing on the network may reach this API; use --host 127.0.0.1")
    }

    /// Binds and starts accepting on a thread of its own.
    /// - Throws: `api.non_loopback`, `api.bind_failed`.
    public func start() throws {
        try Self.requireLoopback(configuration.host)
        // A client that hangs up mid-response must not kill the process: writes to a closed
        // socket then fail with EPIPE instead of raising SIGPIPE.
        signal(SIGPIPE, SIG_IGN)
        let v6 = configuration.host.contains(":")
        let fd = Posix.streamSocket(family: v6 ? AF_INET6 : AF_INET)
        guard fd >= 0 else { throw StackError(.apiBindFailed, "cannot create a socket") }
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        var bound: Int32
        if v6 {
            var address = sockaddr_in6()
            address.sin6_family = sa_family_t(AF_INET6)
            address.sin6_port = in_port_t(UInt16(configuration.port).bigEndian)
            inet_pton(AF_INET6, configuration.host, &address.sin6_addr)
            bound = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in6>.size)) } }
        } else {
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = in_port_t(UInt16(configuration.port).bigEndian)
            inet_pton(AF_INET, configuration.host, &address.sin_addr)
            bound = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        }
        guard bound == 0, listen(fd, 128) == 0 else {
            let reason = String(cString: strerror(errno))
            Posix.close(fd)
            throw StackError(.apiBindFailed, "cannot listen on \(configuration.host):\(configuration.port): \(reason)",
                             hint: "is another `stackctl serve` running? choose another port with --port")
        }
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        _ = withUnsafeMutablePointer(to: &storage) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        let port: Int = withUnsafePointer(to: &storage) { pointer in
            v6 ? Int(UInt16(bigEndian: pointer.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { $0.pointee.sin6_port }))
               : Int(UInt16(bigEndian: pointer.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { $0.pointee.sin_port }))
        }
        state.withLock {
            $0.listener = fd
            $0.boundPort = port
        }
        let thread = Thread { [self] in acceptLoop(fd) }
        thread.name = "stack-api-accept"
        thread.start()
    }

    /// Stops accepting, interrupts every connection; idempotent.
    public func stop() {
        let (listener, connections) = state.withLock { s -> (Int32, [any ByteStream]) in
            guard !s.stopped else { return (-1, []) }
            s.stopped = true
            let fd = s.listener
            s.listener = -1
            return (fd, Array(s.connections.values))
        }
        if listener >= 0 {
            Posix.shutdownBoth(listener)
            Posix.close(listener)
        }
        for connection in connections { connection.interrupt() }
    }

    /// Starts (when needed) and serves until ``stop()`` or task cancellation.
    public func run() async throws {
        if state.withLock({ $0.listener < 0 && !$0.stopped }) { try start() }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let waiter = Thread { [self] in
                    finished.wait()
                    finished.signal()
                    continuation.resume()
                }
                waiter.start()
            }
        } onCancel: { [self] in stop() }
    }

    private func acceptLoop(_ listener: Int32) {
        defer { finished.signal() }
        while true {
            let fd = accept(listener, nil, nil)
            if fd < 0 {
                if errno == EINTR { continue }
                if state.withLock({ $0.stopped }) { return }
                if errno == EMFILE || errno == ENFILE { usleep(50_000); continue }
                return
            }
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
            // Without it, TLS 1.3's session tickets (sent right after the handshake) and the
            // first response meet Nagle's algorithm and the client's delayed ACK: every new
            // connection waited about 40 ms for its first answer.
            Posix.setNoDelay(fd)
            setTimeout(fd, configuration.headerTimeout)
            let overCap = state.withLock { s -> Bool in
                if s.active >= configuration.maxConnections { return true }
                s.active += 1
                return false
            }
            let thread = Thread { [self] in
                if overCap {
                    refuse(fd)
                } else {
                    serve(fd)
                    state.withLock { $0.active -= 1 }
                }
            }
            thread.stackSize = 512 << 10
            thread.start()
        }
    }

    private func setTimeout(_ fd: Int32, _ seconds: Double) {
        var value = timeval(tv_sec: Int(seconds), tv_usec: Int((seconds - Double(Int(seconds))) * 1_000_000))
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &value, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &value, socklen_t(MemoryLayout<timeval>.size))
    }

    private func stream(for fd: Int32) -> (any ByteStream)? {
        guard let tls else { return PlainStream(descriptor: fd) }
        do {
            return try tls.accept(descriptor: fd)
        } catch {
            logger?.debug("TLS handshake failed: \(StackError.wrap(error).message)")
            return nil
        }
    }

    /// Over the connection cap: answer 503 quickly and close.
    private func refuse(_ fd: Int32) {
        setTimeout(fd, 2)
        guard let connection = stream(for: fd) else { return }
        defer { connection.close() }
        _ = write(APIResponse(status: 503, headers: [("Retry-After", "1")]), to: connection, keepAlive: false)
    }

    private func serve(_ fd: Int32) {
        guard let connection = stream(for: fd) else { return }
        let key = ObjectIdentifier(connection)
        let registered = state.withLock { s -> Bool in
            guard !s.stopped else { return false }
            s.connections[key] = connection
            return true
        }
        defer {
            state.withLock { _ = $0.connections.removeValue(forKey: key) }
            connection.close()
        }
        guard registered else { return }
        var pending: [UInt8] = []
        var first = true
        while true {
            if !first { setTimeout(fd, configuration.idleTimeout) }
            first = false
            let outcome = readRequest(connection, fd: fd, pending: &pending)
            switch outcome {
            case .closed: return
            case .reject(let status, let code, let message):
                _ = write(APIResponse.error(status, code, message), to: connection, keepAlive: false)
                linger(connection, fd: fd)
                return
            case .request(let request, let keepAlive):
                let response = respond(request)
                if case .events(let stream) = response.body {
                    streamEvents(response, stream, to: connection)
                    return
                }
                guard write(response, to: connection, keepAlive: keepAlive), keepAlive,
                      !state.withLock({ $0.stopped }) else { return }
            }
        }
    }

    /// After refusing a request whose body we did not read, read and discard what the
    /// client is still sending (bounded: 256 KiB or 1 s), so that it can read our answer
    /// instead of seeing a reset connection.
    private func linger(_ connection: any ByteStream, fd: Int32) {
        setTimeout(fd, 1)
        var buffer = [UInt8](repeating: 0, count: 16 << 10)
        var drained = 0
        let deadline = Date().addingTimeInterval(1)
        while drained < 256 << 10, Date() < deadline {
            let n = buffer.withUnsafeMutableBytes { connection.read(into: $0) }
            if n == 0 { break }
            drained += n
        }
    }

    private enum ReadOutcome {
        case request(APIRequest, keepAlive: Bool)
        case reject(Int, String, String)
        case closed
    }

    private func readRequest(_ connection: any ByteStream, fd: Int32, pending: inout [UInt8]) -> ReadOutcome {
        var buffer = [UInt8](repeating: 0, count: 16 << 10)
        // Header block.
        var headerEnd: Int?
        // One deadline for the whole header block: the socket timeout restarts with every
        // packet, so a client trickling a byte at a time must be stopped here.
        var deadline: Date? = pending.isEmpty ? nil : Date().addingTimeInterval(configuration.headerTimeout)
        while true {
            if let end = Self.find(pending, [13, 10, 13, 10]) { headerEnd = end; break }
            if pending.count > configuration.maxHeaderBytes {
                return .reject(431, "request.headers_too_large", "the request headers exceed \(configuration.maxHeaderBytes) bytes")
            }
            if let deadline, Date() > deadline {
                return .reject(408, "request.timeout", "the request headers took longer than \(Int(configuration.headerTimeout)) s")
            }
            let n = buffer.withUnsafeMutableBytes { connection.read(into: $0) }
            if n == 0 { return .closed }
            if pending.isEmpty {
                setTimeout(fd, configuration.headerTimeout)
                deadline = Date().addingTimeInterval(configuration.headerTimeout)
            }
            pending += buffer[0..<n]
        }
        guard let end = headerEnd else { return .closed }
        if end > configuration.maxHeaderBytes {
            return .reject(431, "request.headers_too_large", "the request headers exceed \(configuration.maxHeaderBytes) bytes")
        }
        let head = Array(pending[0..<end])
        pending.removeSubrange(0..<(end + 4))
        guard let parsed = Self.parseHead(head) else {
            return .reject(400, "request.malformed", "the request line or headers are malformed")
        }
        let (method, target, version, headers) = parsed
        if headers.contains(where: { $0.0 == "transfer-encoding" }) {
            if headers.contains(where: { $0.0 == "content-length" }) {
                return .reject(400, "request.malformed", "Transfer-Encoding and Content-Length together are refused")
            }
            return .reject(501, "request.transfer_encoding", "request bodies must use Content-Length")
        }
        let lengths = Set(headers.filter { $0.0 == "content-length" }.map(\.1))
        guard lengths.count <= 1 else { return .reject(400, "request.malformed", "conflicting Content-Length headers") }
        var length = 0
        if let text = lengths.first {
            guard !text.isEmpty, text.utf8.count <= 12, text.allSatisfy(\.isASCIIDigitCharacter), let value = Int(text) else {
                return .reject(400, "request.malformed", "Content-Length is not a number")
            }
            length = value
        }
        if length > configuration.maxBodyBytes {
            return .reject(413, "request.too_large", "the request body exceeds \(configuration.maxBodyBytes) bytes")
        }
        while pending.count < length {
            let n = buffer.withUnsafeMutableBytes { connection.read(into: $0) }
            if n == 0 { return .closed }
            pending += buffer[0..<n]
        }
        let body = Array(pending[0..<length])
        pending.removeSubrange(0..<length)
        let connectionHeader = headers.first { $0.0 == "connection" }?.1.lowercased() ?? ""
        let keepAlive = version == "HTTP/1.1" ? !connectionHeader.contains("close") : connectionHeader.contains("keep-alive")
        return .request(APIRequest(method: method, target: target, headers: headers, body: body), keepAlive: keepAlive)
    }

    static func find(_ haystack: [UInt8], _ needle: [UInt8]) -> Int? {
        guard haystack.count >= needle.count, let first = needle.first else { return nil }
        return haystack.withUnsafeBufferPointer { bytes -> Int? in
            var i = 0
            let last = bytes.count - needle.count
            while i <= last {
                if bytes[i] == first {
                    var j = 1
                    while j < needle.count && bytes[i + j] == needle[j] { j += 1 }
                    if j == needle.count { return i }
                }
                i += 1
            }
            return nil
        }
    }

    /// Parses the request line and headers strictly (RFC 9112): token method, origin-form
    /// target, HTTP/1.0 or 1.1, CRLF lines only, no obs-fold, no space before a colon.
    static func parseHead(_ head: [UInt8]) -> (String, String, String, [(String, String)])? {
        // Byte-level: split on CRLF; any other CR or LF, NUL or invalid UTF-8 is refused.
        var lines: [ArraySlice<UInt8>] = []
        var start = 0
        var i = 0
        while i < head.count {
            let byte = head[i]
            if byte == 0 { return nil }
            if byte == 13 {
                guard i + 1 < head.count, head[i + 1] == 10 else { return nil }
                lines.append(head[start..<i])
                i += 2
                start = i
                continue
            }
            if byte == 10 { return nil }
            i += 1
        }
        lines.append(head[start..<head.count])
        guard let requestLine = lines.first else { return nil }
        let parts = requestLine.split(separator: 32, omittingEmptySubsequences: false)
        guard parts.count == 3,
              parts[0].allSatisfy(isTokenByte), !parts[0].isEmpty,
              parts[1].first == UInt8(ascii: "/"), parts[1].count <= 8192, parts[1].allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else { return nil }
        let version = String(decoding: parts[2], as: UTF8.self)
        guard version == "HTTP/1.1" || version == "HTTP/1.0" else { return nil }
        var headers: [(String, String)] = []
        headers.reserveCapacity(lines.count - 1)
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: UInt8(ascii: ":")) else { return nil }
            let name = line[line.startIndex..<colon]
            guard !name.isEmpty, name.allSatisfy(isTokenByte) else { return nil }
            var value = line[(colon + 1)...]
            while let f = value.first, f == 32 || f == 9 { value = value.dropFirst() }
            while let l = value.last, l == 32 || l == 9 { value = value.dropLast() }
            guard value.allSatisfy({ ($0 >= 0x20 && $0 != 0x7F) || $0 == 9 }),
                  let text = String(validating: value, as: UTF8.self) else { return nil }
            headers.append((String(decoding: name.map { $0 >= 65 && $0 <= 90 ? $0 + 32 : $0 }, as: UTF8.self), text))
        }
        return (String(decoding: parts[0], as: UTF8.self), String(decoding: parts[1], as: UTF8.self), version, headers)
    }

    /// RFC 9110 token characters.
    static func isTokenByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"): true
        case UInt8(ascii: "!"), UInt8(ascii: "#"), UInt8(ascii: "$"), UInt8(ascii: "%"), UInt8(ascii: "&"), UInt8(ascii: "'"),
             UInt8(ascii: "*"), UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "^"), UInt8(ascii: "_"),
             UInt8(ascii: "`"), UInt8(ascii: "|"), UInt8(ascii: "~"): true
        default: false
        }
    }

    /// Runs the async handler on this connection thread (its own task executor drains the
    /// jobs here) and returns its response.
    private func respond(_ request: APIRequest) -> APIResponse {
        let box = LockedBox<APIResponse?>(nil)
        let local = ThreadTaskExecutor()
        let handler = handler
        Task(executorPreference: local) {
            let response = await handler(request)
            box.withLock { $0 = response }
            local.wake()
        }
        local.run { box.withLock { $0 != nil } }
        return box.withLock { $0 } ?? APIResponse.error(500, "internal.error", "no response")
    }

    static func reason(_ status: Int) -> String {
        switch status {
        case 200: "OK"
        case 202: "Accepted"
        case 204: "No Content"
        case 400: "Bad Request"
        case 401: "Unauthorized"
        case 403: "Forbidden"
        case 404: "Not Found"
        case 405: "Method Not Allowed"
        case 408: "Request Timeout"
        case 409: "Conflict"
        case 413: "Content Too Large"
        case 421: "Misdirected Request"
        case 422: "Unprocessable Content"
        case 431: "Request Header Fields Too Large"
        case 500: "Internal Server Error"
        case 501: "Not Implemented"
        case 503: "Service Unavailable"
        default: "Status"
        }
    }

    private func head(_ response: APIResponse, extra: [(String, String)]) -> String {
        var text = "HTTP/1.1 \(response.status) \(Self.reason(response.status))\r\n"
        var headers = response.headers
        for (name, value) in APIRouter.securityHeaders where !headers.contains(where: { $0.0.lowercased() == name.lowercased() }) {
            headers.append((name, value))
        }
        for (name, value) in headers + extra { text += "\(name): \(value)\r\n" }
        return text + "\r\n"
    }

    private func write(_ response: APIResponse, to connection: any ByteStream, keepAlive: Bool) -> Bool {
        guard case .bytes(let body) = response.body else { return false }
        let bytes = Array(head(response, extra: [("Content-Length", String(body.count)),
                                                 ("Connection", keepAlive ? "keep-alive" : "close")]).utf8) + body
        return bytes.withUnsafeBytes { connection.write($0) }
    }

    /// Writes a server-sent event stream with chunked encoding until the client goes away
    /// or the server stops; a comment every 15 s keeps idle proxies and the client honest.
    private func streamEvents(_ response: APIResponse, _ stream: EventStream, to connection: any ByteStream) {
        defer { stream.onClose() }
        let events = stream.events
        let start = head(response, extra: [("Transfer-Encoding", "chunked"), ("Connection", "close")])
        guard Array(start.utf8).withUnsafeBytes({ connection.write($0) }) else { return }
        let queue = LockedBox([APIEvent]())
        let ready = DispatchSemaphore(value: 0)
        let pump = Task(executorPreference: executor) {
            for await event in events {
                queue.withLock { $0.append(event) }
                ready.signal()
            }
        }
        defer { pump.cancel() }
        func chunk(_ text: String) -> Bool {
            let payload = Array(text.utf8)
            let framed = Array((String(payload.count, radix: 16) + "\r\n").utf8) + payload + [13, 10]
            return framed.withUnsafeBytes { connection.write($0) }
        }
        guard chunk(": stream open\n\n") else { return }
        while !state.withLock({ $0.stopped }) {
            // The stream ends when its token expires: wait no longer than that.
            var wait = 15.0
            if let end = stream.closesAt {
                let left = end.timeIntervalSinceNow
                if left <= 0 {
                    _ = chunk(": the token expired; open a new stream with a fresh token\n\n")
                    break
                }
                wait = min(wait, left)
            }
            let signalled = ready.wait(timeout: .now() + wait) == .success
            let batch = queue.withLock { q -> [APIEvent] in defer { q.removeAll() }; return q }
            if !signalled && batch.isEmpty {
                guard chunk(": keep-alive\n\n") else { return }
                continue
            }
            for event in batch {
                guard chunk("event: \(event.type)\ndata: \(event.json)\n\n") else { return }
            }
        }
        _ = Array("0\r\n\r\n".utf8).withUnsafeBytes { connection.write($0) }
    }
}

extension Character {
    var isASCIIDigitCharacter: Bool { isASCII && isNumber }
}

extension StackError.Code {
    /// The API may only listen on loopback.
    public static let apiNonLoopback = Self("api.non_loopback", exit: .usage)
    /// The API could not bind its port.
    public static let apiBindFailed = Self("api.bind_failed", exit: .failure)
}
