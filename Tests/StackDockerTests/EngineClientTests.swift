import Foundation
import Testing
import StackCore
import StackTestSupport
import StackAPI
@testable import StackDocker

@Suite("Docker.EngineClient with a stub HTTP client")
struct EngineClientUnitTests {
    @Test("A 500 with a JSON error is docker.api_error carrying the engine's message")
    func apiError() async throws {
        let stub = StubHTTPClient(.success(HTTPResponse(
            status: 500, headers: ["content-type": "application/json"],
            body: Array(#"{"message":"boom: layer store is broken"}"#.utf8))))
        let engine = try Docker.EngineClient(http: stub, socketPath: "/run/test.sock")
        let error = try await #require(throws: StackError.self) { try await engine.ping() }
        #expect(error.code == .dockerAPIError)
        #expect(error.message.contains("boom: layer store is broken"))
        #expect(error.message.contains("500"))
        #expect(error.exitStatus == .runtime)
    }

    @Test("A non-JSON error body is quoted as text")
    func apiErrorText() async throws {
        let stub = StubHTTPClient(.success(HTTPResponse(status: 404, body: Array("page not found\n".utf8))))
        let engine = try Docker.EngineClient(http: stub, socketPath: "/run/test.sock")
        let error = try await #require(throws: StackError.self) { _ = try await engine.version() }
        #expect(error.code == .dockerAPIError)
        #expect(error.message.hasSuffix("404 page not found"))
    }

    @Test("A 200 that does not decode is docker.api_error")
    func undecodable() async throws {
        let stub = StubHTTPClient(.success(HTTPResponse(status: 200, body: Array(#"{"Version": 3}"#.utf8))))
        let engine = try Docker.EngineClient(http: stub, socketPath: "/run/test.sock")
        let error = try await #require(throws: StackError.self) { _ = try await engine.version() }
        #expect(error.code == .dockerAPIError)
        #expect(error.message.contains("unexpected response"))
    }

    @Test("Transport failures become docker.unreachable with the hint", arguments: [
        StackError(.httpFailed, "GET http://localhost/v1.41/_ping: Couldn't connect to server"),
        StackError(.httpTimeout, "GET http://localhost/v1.41/_ping: Timeout was reached"),
    ])
    func transportFailure(failure: StackError) async throws {
        let stub = StubHTTPClient(.failure(failure))
        let engine = try Docker.EngineClient(http: stub, socketPath: "/run/test.sock")
        let error = try await #require(throws: StackError.self) { try await engine.ping() }
        #expect(error.code == .dockerUnreachable)
        #expect(error.hint == StackError.dockerUnreachableHint)
        #expect(error.message.contains("unix:///run/test.sock"))
        // The socket is named, never libcurl's HTTP URL ("localhost port 80" means nothing here).
        #expect(error.message.contains("no socket at /run/test.sock"))
        #expect(error.cause == nil)
        #expect(!error.description.contains("http://localhost"))
    }

    @Test("Filters are JSON, percent-encoded, on the pinned API version and the socket")
    func requestShape() async throws {
        let stub = StubHTTPClient(.success(HTTPResponse(status: 200, body: Array("[]".utf8))))
        let engine = try Docker.EngineClient(http: stub, socketPath: "/run/test.sock", timeout: 7)
        #expect(try await engine.images(reference: "stacktest/busybox:1").isEmpty)
        #expect(try await engine.containers(label: "lol.stack.name=hello web", all: true).isEmpty)
        #expect(try await engine.containers(label: "lol.stack.managed", all: false).isEmpty)
        let requests = stub.requests.withLock { $0 }
        #expect(requests.map(\.url) == [
            "http://localhost/v1.41/images/json?filters=%7B%22reference%22%3A%5B%22stacktest%2Fbusybox%3A1%22%5D%7D",
            "http://localhost/v1.41/containers/json?filters=%7B%22label%22%3A%5B%22lol.stack.name%3Dhello%20web%22%5D%7D&all=1",
            "http://localhost/v1.41/containers/json?filters=%7B%22label%22%3A%5B%22lol.stack.managed%22%5D%7D",
        ])
        #expect(requests.allSatisfy { $0.method == "GET" && $0.unixSocketPath == "/run/test.sock" && $0.timeout == 7 })
    }

    @Test("Engine JSON with null lists decodes to empty values")
    func nullLists() async throws {
        let json = #"[{"Id":"sha256:abc","RepoTags":null,"RepoDigests":null,"Labels":null,"Created":1,"Size":2}]"#
        let stub = StubHTTPClient(.success(HTTPResponse(status: 200, body: Array(json.utf8))))
        let engine = try Docker.EngineClient(http: stub, socketPath: "/run/test.sock")
        let images = try await engine.images(reference: "x")
        #expect(images == [Docker.ImageSummary(id: "sha256:abc", created: 1, size: 2)])
    }

    @Test("DOCKER_HOST selects the socket", arguments: [
        (nil, "/var/run/docker.sock"),
        ("", "/var/run/docker.sock"),
        ("unix:///tmp/other/docker.sock", "/tmp/other/docker.sock"),
    ] as [(String?, String)])
    func dockerHost(value: String?, expected: String) throws {
        let environment = value.map { ["DOCKER_HOST": $0] } ?? [:]
        let engine = try Docker.EngineClient(http: StubHTTPClient(.success(HTTPResponse(status: 200))),
                                             environment: environment)
        #expect(engine.socketPath == expected)
    }

    @Test("Unsupported or malformed DOCKER_HOST is docker.unreachable", arguments: [
        "tcp://127.0.0.1:2375", "ssh://user@host", "npipe:////./pipe/docker_engine",
        "unix://relative.sock", "unix://", "/var/run/docker.sock",
    ])
    func unsupportedDockerHost(value: String) throws {
        let error = try #require(throws: StackError.self) {
            _ = try Docker.EngineClient(http: StubHTTPClient(.success(HTTPResponse(status: 200))),
                                        environment: ["DOCKER_HOST": value])
        }
        #expect(error.code == .dockerUnreachable)
        #expect(error.message.contains(value))
        #expect(error.hint?.contains("DOCKER_HOST") == true)
    }

    @Test("An explicit socket path wins over DOCKER_HOST")
    func explicitSocket() throws {
        let engine = try Docker.EngineClient(http: StubHTTPClient(.success(HTTPResponse(status: 200))),
                                             socketPath: "/run/x.sock",
                                             environment: ["DOCKER_HOST": "tcp://1.2.3.4:2375"])
        #expect(engine.socketPath == "/run/x.sock")
    }
}

/// True when a Docker Engine socket exists at the default path.
/// Runs against the real engine that scripts/test starts; without one these tests fail
/// (with `docker.unreachable`) rather than skip.
@Suite("Docker.EngineClient against the real engine")
struct EngineClientIntegrationTests {
    let engine: Docker.EngineClient

    init() throws {
        engine = try Docker.EngineClient(http: CurlHTTPClient(),
                                         socketPath: Docker.EngineClient.defaultSocketPath)
    }

    @Test("ping answers")
    func ping() async throws {
        try await engine.ping()
    }

    @Test("version reports an API version")
    func version() async throws {
        let version = try await engine.version()
        #expect(!version.apiVersion.isEmpty)
        #expect(!version.version.isEmpty)
        #expect(version.os == "linux")
    }

    @Test("images finds the test image by reference, and nothing for an unknown one")
    func images() async throws {
        let images = try await engine.images(reference: "stacktest/busybox:1")
        #expect(images.count == 1)
        #expect(images.first?.repoTags.contains("stacktest/busybox:1") == true)
        #expect(images.first?.id.hasPrefix("sha256:") == true)
        #expect(try await engine.images(reference: "stacktest/does-not-exist:0").isEmpty)
    }

    @Test("containers finds a created container by its label")
    func containersByLabel() async throws {
        let value = UUID().uuidString.lowercased()
        let label = "lol.stack.test=\(value)"
        let id = try Self.docker(["create", "--label", label, "stacktest/busybox:1", "/bin/busybox", "true"])
        defer { _ = try? Self.docker(["rm", "-f", id]) }

        let all = try await engine.containers(label: label, all: true)
        #expect(all.map(\.id) == [id])
        #expect(all.first?.labels["lol.stack.test"] == value)
        #expect(all.first?.state == "created")
        #expect(all.first?.image == "stacktest/busybox:1")
        // A created container is not running, so it is not listed without `all`.
        #expect(try await engine.containers(label: label, all: false).isEmpty)
    }

    @Test("A missing socket is docker.unreachable with the hint")
    func unreachable() async throws {
        let engine = try Docker.EngineClient(http: CurlHTTPClient(), socketPath: "/tmp/nonexistent.sock")
        let error = try await #require(throws: StackError.self) { try await engine.ping() }
        #expect(error.code == .dockerUnreachable)
        #expect(error.exitStatus == .runtime)
        #expect(error.hint == "is the Docker daemon running? try `stackctl doctor`")
        #expect(error.message.contains("/tmp/nonexistent.sock"))
    }

    /// Runs the docker CLI (test setup only) and returns its trimmed standard output.
    static func docker(_ arguments: [String]) throws -> String {
        let result = try ChildProcess.runBlocking("/usr/bin/env", ["docker"] + arguments)
        guard result.status == 0 else {
            throw StackError(.internalError, "docker \(arguments.joined(separator: " ")) failed: \(result.stderr)")
        }
        return result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
