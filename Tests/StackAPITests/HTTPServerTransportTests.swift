import Foundation
import StackAPI
import StackCore
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// A raw TCP client for exercising the HTTP layer byte by byte (plain transport).
final class RawClient {
    let fd: Int32
    /// Whether the last `read` ended because the peer closed the connection (not a timeout).
    private(set) var closedByPeer = false
    /// - Parameter timeout: Seconds a read waits for data before giving up.
    init(port: Int, timeout: Int = 5) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        inet_pton(AF_INET, "127.0.0.1", &address.sin_addr)
        let status = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
            connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        guard status == 0 else { throw StackError(.internalError, "connect failed") }
        var limit = timeval(tv_sec: timeout, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
    }
    func send(_ text: String) { _ = Array(text.utf8).withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) } }
    /// Reads until `marker` appears, the peer closes, or the timeout.
    func read(until marker: String? = nil) -> String {
        var data: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            closedByPeer = n == 0
            if n <= 0 { break }
            data += buffer[0..<n]
            if let marker, String(decoding: data, as: UTF8.self).contains(marker) { break }
        }
        return String(decoding: data, as: UTF8.self)
    }
    deinit { close(fd) }
}

@Suite("HTTP/1.1 server transport (plain sockets)", .serialized)
struct HTTPServerTransportTests {
    static func server(_ configure: (inout HTTPServer.Configuration) -> Void = { _ in }) throws -> HTTPServer {
        var configuration = HTTPServer.Configuration(port: 0)
        configure(&configuration)
        let server = HTTPServer(configuration: configuration, tls: nil) { request in
            APIResponse(status: 200, headers: [("Content-Type", "text/plain")],
                        body: .bytes(Array("\(request.method) \(request.target) \(request.body.count)".utf8)))
        }
        try server.start()
        return server
    }

    @Test("keep-alive: two requests on one connection; Connection: close ends it")
    func keepAlive() throws {
        let server = try Self.server()
        defer { server.stop() }
        let client = try RawClient(port: server.port)
        client.send("GET /a HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(client.read(until: "GET /a 0").contains("HTTP/1.1 200 OK"))
        client.send("POST /b HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nConnection: close\r\n\r\nabc")
        let second = client.read()
        #expect(second.contains("POST /b 3"))
        #expect(second.contains("Connection: close"))
    }

    static let malformed: [(String, String, Int)] = [
        ("bad request line", "GET\r\n\r\n", 400),
        ("absolute-form target", "GET http://x/ HTTP/1.1\r\nHost: x\r\n\r\n", 400),
        ("HTTP/2.0", "GET / HTTP/2.0\r\nHost: x\r\n\r\n", 400),
        ("space before colon", "GET / HTTP/1.1\r\nHost : x\r\n\r\n", 400),
        ("obs-fold", "GET / HTTP/1.1\r\nHost: x\r\n folded\r\n\r\n", 400),
        ("bare LF inside", "GET / HTTP/1.1\r\nHost: x\nX: y\r\n\r\n", 400),
        ("transfer-encoding", "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 501),
        ("both lengths", "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 1\r\n\r\n", 400),
        ("conflicting content-length", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab", 400),
        ("non-numeric content-length", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n", 400),
        ("body over 64 KiB", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 65537\r\n\r\n", 413),
        ("headers over 16 KiB", "GET / HTTP/1.1\r\nHost: x\r\nX: \(String(repeating: "a", count: 17_000))\r\n\r\n", 431),
    ]

    @Test("malformed and oversized requests get their status and the connection closes", arguments: malformed.indices)
    func rejects(_ index: Int) throws {
        let (name, request, status) = Self.malformed[index]
        let server = try Self.server()
        defer { server.stop() }
        let client = try RawClient(port: server.port)
        client.send(request)
        let response = client.read()
        #expect(response.hasPrefix("HTTP/1.1 \(status) "), "\(name): \(response.prefix(80))")
        #expect(response.contains("X-Frame-Options: DENY"), "\(name)")
    }

    @Test("a connection that sends nothing is closed after the header timeout")
    func headerTimeout() throws {
        let server = try Self.server { $0.headerTimeout = 0.5 }
        defer { server.stop() }
        // The client waits up to 30 s, far beyond the 0.5 s header timeout: only the server
        // closing the connection ends the read early.
        let client = try RawClient(port: server.port, timeout: 30)
        client.send("GET / HTTP/1.1\r\n")   // never finishes the header block
        #expect(client.read().isEmpty)
        #expect(client.closedByPeer, "the server kept an idle connection open")
    }

    @Test("a client trickling its headers a byte at a time is stopped at the header deadline (408)")
    func trickle() throws {
        let server = try Self.server { $0.headerTimeout = 1 }
        defer { server.stop() }
        let client = try RawClient(port: server.port)
        let start = Date()
        var answer = ""
        for byte in "GET / HTTP/1.1\r\nHost: x\r\nX-Slow: " + String(repeating: "a", count: 40) {
            client.send(String(byte))
            usleep(100_000)   // each byte well inside the per-read timeout
            if Date().timeIntervalSince(start) > 1.5 { break }
        }
        answer = client.read()
        #expect(answer.hasPrefix("HTTP/1.1 408 "), "\(answer.prefix(60))")
    }

    @Test("connections beyond the cap get 503 while the others are served")
    func connectionCap() throws {
        let server = try Self.server { $0.maxConnections = 2 }
        defer { server.stop() }
        let first = try RawClient(port: server.port)
        let second = try RawClient(port: server.port)
        first.send("GET /1 HTTP/1.1\r\nHost: x\r\n\r\n")
        second.send("GET /2 HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(first.read(until: "GET /1").contains("200 OK"))
        #expect(second.read(until: "GET /2").contains("200 OK"))
        let third = try RawClient(port: server.port)
        third.send("GET /3 HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(third.read().hasPrefix("HTTP/1.1 503 "))
    }

    @Test("stop() ends run() and closes the port")
    func stopEndsRun() async throws {
        let server = try Self.server()
        let port = server.port
        let running = Task { try await server.run() }
        try await Task.sleep(nanoseconds: 100_000_000)
        server.stop()
        try await running.value
        #expect(throws: StackError.self) { _ = try RawClient(port: port) }
    }

    @Test("server-sent events stream as chunks until the client goes away")
    func events() throws {
        let (stream, continuation) = AsyncStream.makeStream(of: APIEvent.self)
        let server = HTTPServer(configuration: .init(port: 0), tls: nil) { _ in
            APIResponse(status: 200, headers: [("Content-Type", "text/event-stream")], body: .events(EventStream(events: stream)))
        }
        try server.start()
        defer { server.stop() }
        let client = try RawClient(port: server.port)
        client.send("GET /v1/events HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(client.read(until: "stream open").contains("Transfer-Encoding: chunked"))
        continuation.yield(APIEvent(type: "operation", json: "{\"id\":\"x\"}"))
        #expect(client.read(until: "data:").contains("event: operation\ndata: {\"id\":\"x\"}"))
    }

    @Test("an event stream ends at its closing time (its token's expiry) and gives its place back")
    func eventsClose() throws {
        let (stream, _) = AsyncStream.makeStream(of: APIEvent.self)
        let closed = LockedBox(0)
        let server = HTTPServer(configuration: .init(port: 0), tls: nil) { _ in
            APIResponse(status: 200, headers: [("Content-Type", "text/event-stream")],
                        body: .events(EventStream(events: stream, closesAt: Date().addingTimeInterval(1),
                                                  onClose: { closed.withLock { $0 += 1 } })))
        }
        try server.start()
        defer { server.stop() }
        let client = try RawClient(port: server.port)
        client.send("GET /v1/events HTTP/1.1\r\nHost: x\r\n\r\n")
        // The server ends the stream (the terminating chunk) although the client stays.
        let all = client.read(until: "0\r\n\r\n")
        #expect(all.contains("the token expired"), "\(all)")
        #expect(all.hasSuffix("0\r\n\r\n"))
        var waited = 0
        while closed.withLock({ $0 }) == 0 && waited < 200 { usleep(10_000); waited += 1 }
        #expect(closed.withLock { $0 } == 1)
    }

    @Test("event stream places: at most N per token and M in all; a place comes back when its stream ends")
    func limiter() {
        let limiter = EventStreamLimiter(perToken: 2, total: 3)
        let a1 = limiter.acquire("a"), a2 = limiter.acquire("a")
        #expect(a1 != nil && a2 != nil)
        #expect(limiter.acquire("a") == nil, "per token")
        let b1 = limiter.acquire("b")
        #expect(b1 != nil)
        #expect(limiter.acquire("c") == nil, "in all")
        a1?()
        a1?()   // giving a place back twice gives it back once
        #expect(limiter.count == 2)
        #expect(limiter.acquire("c") != nil)
        #expect(limiter.acquire("a") == nil, "the server is full again")
    }

    @Test("only loopback addresses are accepted", arguments: ["0.0.0.0", "::", "192.168.1.2", "10.0.0.1", "localhost", "example.com"])
    func nonLoopback(_ host: String) {
        let error = #expect(throws: StackError.self) { try HTTPServer.requireLoopback(host) }
        #expect(error?.code == .apiNonLoopback)
    }

    @Test("loopback addresses are accepted", arguments: ["127.0.0.1", "127.1.2.3", "::1"])
    func loopback(_ host: String) throws {
        try HTTPServer.requireLoopback(host)
    }
}
