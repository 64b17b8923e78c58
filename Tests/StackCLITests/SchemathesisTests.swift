import Foundation
import StackCLI
import StackCore
import StackTestSupport
import Testing

/// Whether the property-based API tester and PyJWT are installed
/// (`python3 -m pip install schemathesis pyjwt`).
private let schemathesisAvailable: Bool = {
    (try? programBlocking("/usr/bin/env", ["python3", "-c", "import schemathesis, jwt"], input: nil).status) == 0
}()

/// Runs schemathesis against the real `stackctl serve` and `Docs/openapi.yaml`.
///
/// Tokens: a non-GET token is single-use (`jti` replay), and every token with a body must
/// carry that body's `body_sha256`, so one token given with `-H` cannot work beyond the
/// first POST. The hooks below attach a **fresh** HS256 token (PyJWT, all three scopes,
/// 120 s) to every request as a `requests` auth handler, which runs after the body is
/// serialised and so hashes the exact bytes sent. A request that already carries an
/// `Authorization` header schemathesis generated is left alone (it gets a 401).
/// A second run sends no valid token at all and checks the 401 documents.
///
/// Checks: `not_a_server_error`, `response_schema_conformance`, `status_code_conformance`,
/// `content_type_conformance` (the auth-negative checks `ignored_auth` and
/// `missing_required_header` are meaningless when a hook supplies the token).
/// `GET /v1/events` never ends, so it is excluded and checked with curl instead.
/// `catalog.origins` is `http://127.0.0.1:8000` only, so no request can make the server
/// download anything from the internet.
@Suite("schemathesis: the live API conforms to Docs/openapi.yaml", .serialized)
struct SchemathesisTests {
    static let hooks = """
        # A fresh single-use token for every request, bound to its exact body.
        import hashlib, os, time, uuid, urllib.parse
        import jwt, requests, schemathesis

        SECRET = open(os.environ["STACK_SECRET_FILE"]).read().strip()
        ISSUER = os.environ["STACK_ISSUER"]

        class FreshToken(requests.auth.AuthBase):
            def __call__(self, request):
                if "Authorization" in request.headers:
                    return request
                now = int(time.time())
                claims = {"iss": ISSUER, "aud": "stack-desktop", "iat": now, "exp": now + 120,
                          "jti": str(uuid.uuid4()), "scope": "stacks:read stacks:run stacks:manage"}
                # Bound to this very request (htm/htu), as stacks:manage tokens must be.
                url = urllib.parse.urlsplit(request.url)
                claims["htm"] = request.method
                claims["htu"] = url.path + ("?" + url.query if url.query else "")
                body = request.body
                if body:
                    data = body if isinstance(body, bytes) else body.encode("utf-8")
                    claims["body_sha256"] = hashlib.sha256(data).hexdigest()
                token = jwt.encode(claims, SECRET, algorithm="HS256", headers={"typ": "stack+jwt"})
                request.headers["Authorization"] = "Bearer " + token
                return request

        @schemathesis.hook
        def before_call(context, case, kwargs):
            kwargs["auth"] = FreshToken()
        """

    static var specification: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Docs/openapi.yaml")
    }

    /// Runs `schemathesis run` in `directory` (it writes `.hypothesis/` there).
    static func schemathesis(_ server: LiveServer, in directory: URL, environment: [String] = [],
                             _ extra: [String]) async throws -> CLIResult {
        try await program("/usr/bin/env", ["-C", directory.path] + environment + [
            "schemathesis", "run", specification.path,
            "--url", "https://127.0.0.1:\(server.port)",
            "--tls-verify", server.certificate,
            "--checks", "not_a_server_error,response_schema_conformance,status_code_conformance,content_type_conformance",
            "--exclude-path", "/v1/events",
            "--workers", "1", "--request-timeout", "20",
        ] + extra)
    }

    @Test("every operation, with fresh tokens and without valid ones", .enabled(if: schemathesisAvailable),
          .timeLimit(.minutes(10)))
    func conformance() async throws {
        let signed = try await SignedHome.make("schemathesis")
        #expect(await signed.run(["config", "set", "catalog.origins", "[\"http://127.0.0.1:8000\"]"]).status == 0)
        let server = try LiveServer.start(home: signed.home)
        defer { server.stop() }
        let hooksFile = signed.tmp.path("stack_hooks.py")
        try Data(Self.hooks.utf8).write(to: hooksFile)
        let secretFile = signed.home.appendingPathComponent("secrets/api.secret")

        let authorized = try await Self.schemathesis(server, in: signed.tmp.url, environment: [
            "SCHEMATHESIS_HOOKS=\(hooksFile.path)", "STACK_SECRET_FILE=\(secretFile.path)", "STACK_ISSUER=https://stack.lol",
        ], ["--max-examples", "20"])
        #expect(authorized.status == 0, "schemathesis (fresh tokens) failed:\n\(authorized.stdout)\n\(authorized.stderr)")
        #expect(authorized.stdout.contains("API Operations:"), "\(authorized.stdout)\n\(authorized.stderr)")

        let unauthorized = try await Self.schemathesis(server, in: signed.tmp.url, [
            "--max-examples", "5", "--phases", "examples,coverage,fuzzing", "-H", "Authorization: Bearer not.a.token",
        ])
        #expect(unauthorized.status == 0, "schemathesis (invalid token) failed:\n\(unauthorized.stdout)\n\(unauthorized.stderr)")

        // The stream is not fuzzed (it never ends): check its head with a minted token, then
        // that the server outlived the client leaving it.
        let minted = await signed.run(["token", "mint", "--scope", "stacks:read stacks:run"])
        #expect(minted.status == 0, "\(minted.stderr)")
        let token = minted.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let events = try await program("/usr/bin/curl", [
            "-s", "-N", "-D", "-", "--max-time", "2", "--cacert", server.certificate,
            "-H", "Authorization: Bearer \(token)", "-H", "Origin: http://127.0.0.1:8000",
            "https://127.0.0.1:\(server.port)/v1/events"]).stdout
        #expect(events.hasPrefix("HTTP/1.1 200 OK"), "\(events)")
        #expect(events.contains("Content-Type: text/event-stream"))
        #expect(events.contains("Access-Control-Allow-Origin: http://127.0.0.1:8000"))
        #expect(events.contains(": stream open"))
        let health = try await program("/usr/bin/curl", ["-s", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "5",
                                                   "--cacert", server.certificate, "https://127.0.0.1:\(server.port)/v1/health"])
        #expect(health.stdout == "200", "the server did not answer after the event stream closed: \(health.stdout)")
    }
}
