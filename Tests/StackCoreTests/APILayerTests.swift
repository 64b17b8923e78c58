import Foundation
import StackCore
import StackTestSupport
import Testing

@Suite("API layer: origins, operations, approval queue")
struct APILayerTests {
    @Test("the catalog allowlist matches scheme, host and port exactly", arguments: [
        ("https://stack.lol/b/x.stack", true), ("https://STACK.lol:443/x", true), ("http://stack.lol/x", false),
        ("https://stack.lol.evil/x", false), ("https://evil.example/?u=https://stack.lol", false),
        ("https://user:pass@stack.lol/x", false), ("ftp://stack.lol/x", false), ("https://stack.lol:8443/x", false),
        ("http://127.0.0.1:8000/x", true), ("http://127.0.0.1:8001/x", false), ("not a url", false),
    ])
    func urls(_ url: String, _ allowed: Bool) {
        let policy = OriginPolicy(origins: ["https://stack.lol", "http://127.0.0.1:8000"])
        #expect(policy.allowsURL(url) == allowed, "\(url)")
    }

    @Test("Origin headers must match exactly", arguments: [
        ("https://stack.lol", true), ("https://stack.lol/", false), ("https://sub.stack.lol", false), ("null", false),
        ("http://stack.lol", false),
    ])
    func origins(_ origin: String, _ allowed: Bool) {
        #expect(OriginPolicy(origins: ["https://stack.lol"]).allowsOrigin(origin) == allowed, "\(origin)")
    }

    @Test("operations: duplicates of an unfinished bundle coalesce; final states never change; events are published")
    func operations() async {
        let store = OperationStore()
        let events = await store.subscribe()
        let request = OperationRequest(bundleURL: "https://stack.lol/x.stack", sha256: String(repeating: "a", count: 64))
        let first = await store.create(request)
        #expect(await store.inFlight(sha256: String(repeating: "A", count: 64))?.id == first.id)
        await store.update(first.id) { $0.state = .failed }
        #expect(await store.inFlight(sha256: request.sha256) == nil)
        await store.update(first.id) { $0.state = .running }
        #expect(await store.get(first.id)?.state == .failed)
        var seen: [String] = []
        for await event in events {
            seen.append(event.json)
            if seen.count == 2 { break }
        }
        #expect(seen[0].contains("\"state\":\"received\""))
        #expect(seen[1].contains("\"state\":\"failed\""))
    }

    @Test("the approval queue caps pending requests, records decisions, and expires")
    func approvalQueue() throws {
        let tmp = try TemporaryDirectory("approvals")
        let home = StackHome(root: tmp.path("home"))
        try home.initialize()
        let queue = ApprovalQueue(home: home)
        let request = ApprovalRequest(manifest: Manifest(name: "a", version: SemanticVersion("1.0.0")!))
        let now = Date()
        let first = try #require(try queue.enqueue(request, timeout: 60, cap: 2, now: now))
        _ = try queue.enqueue(request, timeout: 60, cap: 2, now: now)
        #expect(try queue.enqueue(request, timeout: 60, cap: 2, now: now) == nil, "a third pending request must be refused")
        #expect(try queue.decide(first.id, approve: true, now: now).decision == .approved)
        #expect(try queue.decision(of: first.id) == .approved)
        #expect(stackError { _ = try queue.decide(first.id, approve: false, now: now) }?.code == .approvalNotFound)
        #expect(try queue.entries(now: now.addingTimeInterval(120)).filter { $0.decision == .pending }.isEmpty)
    }

    @Test("a queued approval times out as a decline")
    func prompterTimeout() async throws {
        let tmp = try TemporaryDirectory("approvals-timeout")
        let home = StackHome(root: tmp.path("home"))
        try home.initialize()
        let prompter = QueuedApprovalPrompter(home: home, timeout: 0.3, cap: 5, pollInterval: 0.05)
        let decision = try await prompter.requestApproval(ApprovalRequest(manifest: Manifest(name: "a", version: SemanticVersion("1.0.0")!)))
        guard case .declined(let reason) = decision else {
            Issue.record("expected a decline")
            return
        }
        #expect(reason.contains("no answer"))
        #expect(try ApprovalQueue(home: home).entries().isEmpty)
    }
}
