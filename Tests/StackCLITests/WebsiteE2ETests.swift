import Foundation
import StackCLI
import StackCore
import StackTestSupport
import Testing

/// A stand-in catalog website (scripts/website.py): serves files from a directory and
/// records callbacks, each verified with PyJWT (typ, iss, aud, body_sha256) the way a real
/// website must.
final class StandInWebsite: Sendable {
    // Immutable after start.
    let process: Process
    let port: Int
    let directory: URL

    /// The stand-in website the demo uses too.
    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("scripts/website.py")

    init(directory: URL, secretFile: URL, audience: String) throws {
        self.directory = directory
        process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", Self.script.path, "serve", "0", directory.path, secretFile.path, audience]
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        let line = String(decoding: out.fileHandleForReading.availableData, as: UTF8.self)
        guard let port = Int(line.trimmingCharacters(in: .whitespacesAndNewlines)) else {
            process.terminate()
            throw StackError(.internalError, "the stand-in website did not start: \(line)")
        }
        self.port = port
    }

    var origin: String { "http://127.0.0.1:\(port)" }

    func callbacks() -> [[String: Any]] {
        guard let text = try? String(contentsOf: directory.appendingPathComponent("callbacks.jsonl"), encoding: .utf8) else { return [] }
        return text.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
    }

    /// SIGKILL: a child started from a Swift concurrency thread inherits a mask that
    /// blocks SIGTERM, so `terminate()` would not stop it.
    func stop() {
        if process.isRunning { kill(process.processIdentifier, SIGKILL); process.waitUntilExit() }
    }
}

@Suite("End to end: website → API → download → verify → approve → run → callback", .serialized)
struct WebsiteE2ETests {
    @Test("the website starts a stack through the API; the user approves; the page is served; the callback verifies")
    func endToEnd() async throws {
        let signed = try await SignedHome.make("e2e")
        let site = try TemporaryDirectory("website")
        let (bundle, name) = try RunCommandTests.stackBundle(signed, prefix: "e2e")
        try FileManager.default.copyItem(at: bundle, to: site.path("\(name).stack"))
        try FileManager.default.copyItem(atPath: bundle.path + ".minisig", toPath: site.path("\(name).stack.minisig").path)
        let secretFile = signed.home.appendingPathComponent("secrets/api.secret")
        let website = try StandInWebsite(directory: site.url, secretFile: secretFile, audience: "https://stack.lol")
        defer { website.stop() }
        #expect(await signed.run(["config", "set", "catalog.origins", "[\"https://stack.lol\", \"\(website.origin)\"]"]).status == 0)
        let server = try LiveServer.start(home: signed.home)
        defer { server.stop() }

        let sha = try await program("/usr/bin/sha256sum", [bundle.path]).stdout.split(separator: " ").first.map(String.init) ?? ""
        let body = """
            {"bundle_url": "\(website.origin)/\(name).stack", "sha256": "\(sha)", "name": "\(name)", "version": "1.0.0", \
            "callback_url": "\(website.origin)/callback"}
            """
        let token = try await pyjwt(secretFile: secretFile, scope: "stacks:run", body: body)
        let posted = try await server.curl("/v1/stacks", method: "POST", headers: [
            "Authorization: Bearer \(token)", "Content-Type: application/json", "Origin: https://stack.lol"], body: body)
        #expect(posted.status == 202, "\(posted.body)")
        let operation = try #require((try JSONSerialization.jsonObject(with: Data(posted.body.utf8)) as? [String: Any])?["operation"] as? [String: Any])
        let id = try #require(operation["id"] as? String)

        // The user approves from another terminal.
        var approvalID: String?
        for _ in 0..<120 where approvalID == nil {
            let list = await signed.run(["--json", "approvals", "list"])
            approvalID = ((try? JSONSerialization.jsonObject(with: Data(list.stdout.utf8))) as? [[String: Any]])?.first?["id"] as? String
            if approvalID == nil { try await Task.sleep(nanoseconds: 250_000_000) }
        }
        let approval = try #require(approvalID, "no approval was queued")
        #expect(await signed.run(["approvals", "approve", approval]).status == 0)

        // Follow the operation to the end.
        var state = ""
        var final: [String: Any] = [:]
        for _ in 0..<240 {
            let read = try await pyjwt(secretFile: secretFile, scope: "stacks:read")
            let r = try await server.curl("/v1/operations/\(id)", headers: ["Authorization: Bearer \(read)"])
            final = ((try? JSONSerialization.jsonObject(with: Data(r.body.utf8))) as? [String: Any])?["operation"] as? [String: Any] ?? [:]
            state = final["state"] as? String ?? ""
            if ["running", "failed", "declined"].contains(state) { break }
            try await Task.sleep(nanoseconds: 250_000_000)
        }
        #expect(state == "running", "\(final)")
        let url = try #require(((final["urls"] as? [[String: Any]])?.first)?["url"] as? String)
        let page = try await program("/usr/bin/curl", ["-s", "--retry", "20", "--retry-connrefused", "--retry-delay", "1", "--max-time", "30", url])
        #expect(page.stdout == "page of \(name)\n")

        // The website was called back with a token PyJWT accepts.
        var callbacks: [[String: Any]] = []
        for _ in 0..<40 where callbacks.isEmpty {
            callbacks = website.callbacks()
            if callbacks.isEmpty { try await Task.sleep(nanoseconds: 250_000_000) }
        }
        let callback = try #require(callbacks.first)
        #expect(callback["verified"] as? Bool == true, "\(callback)")
        #expect(((callback["body"] as? [String: Any])?["operation"] as? [String: Any])?["state"] as? String == "running")

        // The website stops and removes the stack through the API.
        // stacks:manage tokens are bound to their one request (htm/htu): the stop token cannot purge.
        let manage = try await pyjwt(secretFile: secretFile, scope: "stacks:manage",
                                     payloadOverrides: "\"htm\": \"POST\", \"htu\": \"/v1/stacks/\(name)/stop\"")
        #expect(try await server.curl("/v1/stacks/\(name)/stop", method: "POST", headers: ["Authorization: Bearer \(manage)"]).status == 200)
        let reused = try await pyjwt(secretFile: secretFile, scope: "stacks:manage",
                                     payloadOverrides: "\"htm\": \"POST\", \"htu\": \"/v1/stacks/\(name)/stop\"")
        let purgeWithStop = try await server.curl("/v1/stacks/\(name)?purge=true", method: "DELETE", headers: ["Authorization: Bearer \(reused)"])
        #expect(purgeWithStop.status == 401 && purgeWithStop.body.contains("auth.unbound"), "\(purgeWithStop.body)")
        let unbound = try await pyjwt(secretFile: secretFile, scope: "stacks:manage")
        let bare = try await server.curl("/v1/stacks/\(name)?purge=true", method: "DELETE", headers: ["Authorization: Bearer \(unbound)"])
        #expect(bare.status == 401 && bare.body.contains("auth.unbound"), "\(bare.body)")
        let manage2 = try await pyjwt(secretFile: secretFile, scope: "stacks:manage",
                                      payloadOverrides: "\"htm\": \"DELETE\", \"htu\": \"/v1/stacks/\(name)?purge=true\"")
        #expect(try await server.curl("/v1/stacks/\(name)?purge=true", method: "DELETE", headers: ["Authorization: Bearer \(manage2)"]).status == 200)
        #expect(try await RunCommandTests.containers(name).isEmpty)
    }
}
