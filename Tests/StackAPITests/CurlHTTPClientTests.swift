import Foundation
import Testing
import StackCore
import StackAPI
import StackSecurity
import StackTestSupport

@Suite("CurlHTTPClient against a real local server")
struct CurlHTTPClientTests {
    let client = CurlHTTPClient()

    @Test("GET returns status, headers and body")
    func get() async throws {
        let server = try await LocalHTTPServer.start()
        defer { server.stop() }
        let response = try await client.send(HTTPRequest(url: server.url("/hello")))
        #expect(response.status == 200)
        #expect(response.body == Array("hello world".utf8))
        #expect(response.headers["x-test"] == "yes")
        #expect(response.headers["content-type"] == "text/plain")
        #expect(response.headers["content-length"] == "11")
    }

    @Test("POST sends the body unchanged, without libcurl's default content type or Expect")
    func postBody() async throws {
        let server = try await LocalHTTPServer.start()
        defer { server.stop() }
        // Larger than 1 KiB, where libcurl would otherwise send `Expect: 100-continue`.
        let body = (0..<5000).map { UInt8(truncatingIfNeeded: $0) }
        let response = try await client.send(HTTPRequest(method: "POST", url: server.url("/echo"), body: body))
        #expect(response.status == 201)
        #expect(response.body == body)
        #expect(response.headers["x-method"] == "POST")
        #expect(response.headers["x-content-type"] == "<none>")
        #expect(response.headers["x-expect"] == "<none>")
    }

    @Test("POST with an empty body and PUT with a content type", arguments: [
        ("POST", [UInt8](), "<none>"),
        ("PUT", Array(#"{"a":1}"#.utf8), "application/json"),
    ])
    func otherMethods(method: String, body: [UInt8], contentType: String) async throws {
        let server = try await LocalHTTPServer.start()
        defer { server.stop() }
        let headers = contentType == "<none>" ? [] : [("Content-Type", contentType)]
        let response = try await client.send(HTTPRequest(method: method, url: server.url("/echo"),
                                                         headers: headers, body: body))
        #expect(response.status == 201)
        #expect(response.body == body)
        #expect(response.headers["x-method"] == method)
        #expect(response.headers["x-content-type"] == contentType)
    }

    @Test("Request headers reach the server")
    func requestHeaders() async throws {
        let server = try await LocalHTTPServer.start()
        defer { server.stop() }
        let response = try await client.send(HTTPRequest(url: server.url("/headers"), headers: [
            ("X-Custom", "value 1"), ("Authorization", "Bearer abc.def"), ("X-Empty", ""),
        ]))
        let seen = try #require(try JSONSerialization.jsonObject(with: Data(response.body)) as? [String: String])
        #expect(seen["x-custom"] == "value 1")
        #expect(seen["authorization"] == "Bearer abc.def")
        #expect(seen["x-empty"] == "")
        #expect(seen["user-agent"] == "stack-desktop")
    }

    @Test("A 404 is a response, not an error")
    func notFound() async throws {
        let server = try await LocalHTTPServer.start()
        defer { server.stop() }
        let response = try await client.send(HTTPRequest(url: server.url("/missing")))
        #expect(response.status == 404)
        #expect(String(decoding: response.body, as: UTF8.self).contains("no such route"))
    }

    @Test("Redirects are returned, never followed")
    func redirectNotFollowed() async throws {
        let server = try await LocalHTTPServer.start()
        defer { server.stop() }
        let response = try await client.send(HTTPRequest(url: server.url("/redirect")))
        #expect(response.status == 302)
        #expect(response.headers["location"] == "/hello")
        #expect(response.body.isEmpty)
    }

    @Test("A refused connection is http.failed, naming the URL")
    func connectionRefused() async throws {
        let server = try await LocalHTTPServer.start()
        let url = server.url("/hello")
        server.stop()
        let error = try await #require(throws: StackError.self) {
            _ = try await client.send(HTTPRequest(url: url))
        }
        #expect(error.code == .httpFailed)
        #expect(error.message.contains(url))
        #expect(error.message.contains("Couldn't connect"), "\(error.message)")
    }

    @Test("A server slower than the timeout is http.timeout")
    func timeout() async throws {
        let server = try await LocalHTTPServer.start()
        defer { server.stop() }
        let error = try await #require(throws: StackError.self) {
            _ = try await client.send(HTTPRequest(url: server.url("/slow"), timeout: 0.5))
        }
        // The server answers 200 after 30 s; a timeout error means the client's timeout
        // ended the wait, not the server.
        #expect(error.code == .httpTimeout)
        #expect(error.message.contains(server.url("/slow")))
    }

    @Test("Requests outside policy are refused before anything is sent", arguments: [
        ("GET", "file:///etc/passwd", [(String, String)]()),
        ("GET", "ftp://127.0.0.1/x", []),
        ("GET", "gopher://127.0.0.1/x", []),
        ("GET", "http://[::1", []),
        ("GE T", "http://127.0.0.1:9/", []),
        ("GET", "http://127.0.0.1:9/", [("X-Bad", "a\r\nInjected: yes")]),
        ("GET", "http://127.0.0.1:9/", [("Bad Name", "x")]),
    ])
    func refusedRequests(method: String, url: String, headers: [(String, String)]) async throws {
        let error = try await #require(throws: StackError.self) {
            _ = try await client.send(HTTPRequest(method: method, url: url, headers: headers, timeout: 2))
        }
        #expect(error.code == .httpFailed)
        #expect(error.message.contains(url))
    }

    @Test("A body over the limit is http.failed")
    func bodyTooLarge() async throws {
        let server = try await LocalHTTPServer.start()
        defer { server.stop() }
        let small = CurlHTTPClient(maximumBodySize: 4)
        let error = try await #require(throws: StackError.self) {
            _ = try await small.send(HTTPRequest(url: server.url("/hello")))
        }
        #expect(error.code == .httpFailed)
        #expect(error.message.contains("exceeds 4 bytes"))
    }

    @Test("stream delivers the body as it arrives")
    func streamAll() async throws {
        let server = try await LocalHTTPServer.start()
        defer { server.stop() }
        let received = LockedBox<[UInt8]>([])
        let status = try await client.stream(HTTPRequest(url: server.url("/lines"))) { chunk in
            received.withLock { $0 += chunk }
            return true
        }
        #expect(status == 200)
        let text = String(decoding: received.withLock { $0 }, as: UTF8.self)
        #expect(text == (0..<5).map { "{\"n\": \($0)}\n" }.joined())
    }

    @Test("stream stops when onChunk returns false, without an error")
    func streamStop() async throws {
        let server = try await LocalHTTPServer.start()
        defer { server.stop() }
        let chunks = LockedBox(0)
        let status = try await client.stream(HTTPRequest(url: server.url("/lines/forever"), timeout: 0)) { _ in
            chunks.withLock { $0 += 1; return $0 < 3 }
        }
        #expect(status == 200)
        #expect(chunks.withLock { $0 } == 3)
    }

    @Test("Cancelling the task aborts an endless stream")
    func streamCancel() async throws {
        let server = try await LocalHTTPServer.start()
        defer { server.stop() }
        let client = self.client
        let url = server.url("/lines/forever")
        let task = Task {
            try await client.stream(HTTPRequest(url: url, timeout: 0)) { _ in true }
        }
        try await Task.sleep(for: .milliseconds(300))
        task.cancel()
        let serverPID = server.pid
        // The stream never ends by itself, so finishing at all shows the cancellation
        // worked; the watchdog only turns a hang into a failure (a liveness bound with a
        // wide margin, not a speed target).
        let finished = await withTaskGroup(of: Bool.self) { group in
            group.addTask {
                await #expect(throws: CancellationError.self) { _ = try await task.value }
                return true
            }
            group.addTask {
                try? await Task.sleep(for: .seconds(120))
                if !Task.isCancelled { kill(serverPID, SIGKILL) }   // ends the stream: a failure, not a hang
                return false
            }
            let first = await group.next() ?? false
            group.cancelAll()
            return first
        }
        #expect(finished, "cancelling did not end the endless stream")
    }

    @Test("Many concurrent requests complete")
    func concurrent() async throws {
        let server = try await LocalHTTPServer.start()
        defer { server.stop() }
        let client = self.client
        let url = server.url("/hello")
        let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<16 {
                group.addTask { try await client.send(HTTPRequest(url: url)).status }
            }
            return try await group.reduce(into: [Int]()) { $0.append($1) }
        }
        #expect(statuses == Array(repeating: 200, count: 16))
    }
}

@Suite("CurlHTTPClient with a private CA (catalog.caFile)", .serialized)
struct CurlPrivateCATests {
    @Test("a server whose certificate is not in the system store fails; with caFile naming it, the request succeeds")
    func privateCA() async throws {
        let tmp = try TemporaryDirectory("private-ca")
        let (certificate, _) = try LoopbackCertificate.ensure(in: tmp.url)
        let server = HTTPServer(configuration: .init(port: 0), tls: try TLSServerContext(certificate: certificate)) { _ in
            APIResponse(status: 200, headers: [("Content-Type", "text/plain")], body: .bytes(Array("private".utf8)))
        }
        try server.start()
        defer { server.stop() }
        let url = "https://127.0.0.1:\(server.port)/x"
        let refused = await stackError { _ = try await CurlHTTPClient().send(HTTPRequest(method: "GET", url: url, timeout: 10)) }
        #expect(refused?.code == .httpFailed, "\(String(describing: refused))")
        let client = CurlHTTPClient(caFile: tmp.url.appendingPathComponent("cert.pem").path)
        let response = try await client.send(HTTPRequest(method: "GET", url: url, timeout: 10))
        #expect(response.status == 200)
        #expect(response.body == Array("private".utf8))
    }
}

@Suite("a stalled download ends in bounded time (issue 12)", .serialized)
struct StalledDownloadTests {
    @Test("a server that stops sending: download.too_slow once under 1 KiB/s for 15 s, and no file is left")
    func stalled() async throws {
        let server = try await LocalHTTPServer.start()
        defer { server.stop() }
        let tmp = try TemporaryDirectory("stall")
        let origin = "http://127.0.0.1:\(server.port)"
        let downloader = BundleDownloader(http: CurlHTTPClient(), digester: RecordingDigester(),
                                          policy: OriginPolicy(origins: [origin]), directory: tmp.url)
        let error = await stackError { _ = try await downloader.download(origin + "/stall") }
        #expect(error?.code == .downloadTooSlow, "\(String(describing: error))")
        #expect(error?.message.contains("/stall") == true)
        #expect(try FileManager.default.contentsOfDirectory(atPath: tmp.url.path).isEmpty)
    }
}
