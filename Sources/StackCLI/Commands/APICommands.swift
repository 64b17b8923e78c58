import Foundation
import StackCore
import StackSecurity

/// `stackctl token mint`, `secret show|rotate`, `approvals list|approve|deny`.
enum APICommands {
    static let secretGroup = CommandGroup(name: "secret", abstract: "Show or rotate the secret shared with the website.")
    static let tokenGroup = CommandGroup(name: "token", abstract: "Mint API tokens (for website developers and tests).")
    static let approvalsGroup = CommandGroup(name: "approvals", abstract: "Answer approvals the API server is waiting for.")

    static let mint = CommandSpec(
        path: ["token", "mint"],
        abstract: "Mint a token for the local API, signed with the shared secret.",
        discussion: "Mint tokens on the catalog's server, never in page JavaScript; this command is for development and tests. The token lives 300 s; give --body FILE for requests with a body (its SHA-256 becomes body_sha256). A stacks:manage token names its one request: --method and --path (path and query, e.g. '/v1/stacks/web?purge=true').",
        options: [OptionSpec("scope", value: "scopes", help: "Space-separated scopes: stacks:read stacks:run stacks:manage."),
                  OptionSpec("body", value: "file", help: "The exact request body the token is for."),
                  OptionSpec("method", value: "method", help: "Bind the token to this HTTP method (htm)."),
                  OptionSpec("path", value: "path", help: "Bind the token to this path and query (htu)."),
                  OptionSpec("lifetime", value: "seconds", help: "Lifetime, at most 300 (default 300).")],
        run: runMint)
    static let secretShow = CommandSpec(path: ["secret", "show"], abstract: "Print the shared secret (keep it private).", run: runSecretShow)
    static let secretRotate = CommandSpec(path: ["secret", "rotate"], abstract: "Replace the shared secret; tokens signed with the old one stop working.", run: runSecretRotate)
    static let approvalsList = CommandSpec(path: ["approvals", "list"], abstract: "List approvals waiting for an answer.", run: runApprovalsList)
    static let approve = CommandSpec(path: ["approvals", "approve"], abstract: "Approve a waiting stack.",
                                     arguments: [ArgumentSpec("id", help: "The approval id from `approvals list`.")], run: runApprove)
    static let deny = CommandSpec(path: ["approvals", "deny"], abstract: "Deny a waiting stack.",
                                  arguments: [ArgumentSpec("id", help: "The approval id from `approvals list`.")], run: runDeny)

    static let all = [mint, secretShow, secretRotate, approvalsList, approve, deny]

    static func runMint(_ invocation: Invocation) async throws {
        let home = try invocation.initializedHome()
        let config = try StackConfig.load(from: home)
        let secret = try SharedSecret.load(from: home.apiSecretFile)
        let scopes = (invocation.option("scope") ?? "stacks:read").split(separator: " ").map(String.init)
        let valid = Set(["stacks:read", "stacks:run", "stacks:manage"])
        guard !scopes.isEmpty, scopes.allSatisfy(valid.contains) else {
            throw StackError(.usage, "--scope takes stacks:read, stacks:run and/or stacks:manage")
        }
        var body: [UInt8]?
        if let file = invocation.option("body") {
            guard let data = FileManager.default.contents(atPath: invocation.url(file).path) else {
                throw StackError(.fileNotFound, "cannot read \(file)")
            }
            body = [UInt8](data)
        }
        let lifetime = Int(invocation.option("lifetime") ?? "300") ?? -1
        guard (1...300).contains(lifetime) else { throw StackError(.usage, "--lifetime must be 1 to 300 seconds") }
        var claims = try StandardClaims.make(issuer: config.catalog.issuer, audience: JWTPolicy.apiAudience, scopes: scopes,
                                             lifetime: lifetime, now: Date(), body: body)
        let method = invocation.option("method"), path = invocation.option("path")
        guard (method == nil) == (path == nil) else {
            throw StackError(.usage, "--method and --path go together (they bind the token to one request)")
        }
        if scopes.contains("stacks:manage"), method == nil {
            throw StackError(.usage, "a stacks:manage token must name its request: add --method and --path",
                             hint: "for example --method POST --path /v1/stacks/web/stop")
        }
        if let method, let path {
            guard path.hasPrefix("/") else { throw StackError(.usage, "--path starts with /, as /v1/stacks/web/stop") }
            claims["htm"] = .string(method.uppercased())
            claims["htu"] = .string(path)
        }
        let token = try HS256TokenSigner(secret: secret).sign(claims: claims, type: JWTPolicy.apiType)
        struct Report: Encodable { let token: String }
        invocation.emit(Report(token: token), text: token + "\n")
    }

    static func runSecretShow(_ invocation: Invocation) async throws {
        let secret = try SharedSecret.load(from: try invocation.initializedHome().apiSecretFile)
        struct Report: Encodable { let secret: String }
        invocation.emit(Report(secret: secret.revealText()), text: secret.revealText() + "\n")
    }

    static func runSecretRotate(_ invocation: Invocation) async throws {
        let home = try invocation.initializedHome()
        let lock = try HomeLock(home: home)
        defer { lock.unlock() }
        try SharedSecret.generate().write(to: home.apiSecretFile)
        struct Report: Encodable { let rotated: Bool }
        invocation.emit(Report(rotated: true),
                        text: "rotated \(home.apiSecretFile.path); give the new secret to the website (`stackctl secret show`) and restart `stackctl serve`\n")
    }

    static func runApprovalsList(_ invocation: Invocation) async throws {
        let entries = try ApprovalQueue(home: try invocation.initializedHome()).entries().filter { $0.decision == .pending }
        struct Entry: Encodable {
            let id: String; let stack: String; let version: String; let keyId: String?; let expiresAt: Date
            let reason: String?; let summary: [String]
        }
        let report = entries.map {
            Entry(id: $0.id, stack: $0.stack, version: $0.version, keyId: $0.keyID, expiresAt: $0.expiresAt,
                  reason: $0.reason, summary: $0.summary)
        }
        var text = entries.isEmpty ? "no approvals waiting\n" : ""
        for entry in entries {
            text += "\(entry.id)  \(entry.stack) \(entry.version)  (expires \(ISO8601DateFormatter().string(from: entry.expiresAt)))\n"
            for line in entry.summary { text += "    \(line)\n" }
        }
        invocation.emit(report, text: text)
    }

    static func runApprove(_ invocation: Invocation) async throws { try await decide(invocation, approve: true) }
    static func runDeny(_ invocation: Invocation) async throws { try await decide(invocation, approve: false) }

    static func decide(_ invocation: Invocation, approve: Bool) async throws {
        let entry = try ApprovalQueue(home: try invocation.initializedHome()).decide(invocation.argument(0) ?? "", approve: approve)
        struct Report: Encodable { let id: String; let decision: String }
        invocation.emit(Report(id: entry.id, decision: entry.decision.rawValue),
                        text: "\(approve ? "approved" : "denied") \(entry.stack) \(entry.version)\n")
    }
}
