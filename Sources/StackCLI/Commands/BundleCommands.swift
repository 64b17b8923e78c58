import Foundation
import StackCore
import StackSecurity

/// `stackctl bundle create|inspect|unpack`.
enum BundleCommands {
    static let group = CommandGroup(name: "bundle", abstract: "Create, inspect and unpack .stack bundles.")

    static let create = CommandSpec(
        path: ["bundle", "create"],
        abstract: "Create a reproducible bundle from a directory.",
        discussion: """
            Entries are sorted, times fixed, owners zeroed and modes normalised, so the same \
            directory always gives the same bytes. The directory must hold stack.yaml and \
            the compose file it names, and nothing a bundle may not contain (links, devices). \
            The isolation rules are checked as an install would check them: what an install \
            would refuse is reported now, before you sign.
            """,
        arguments: [ArgumentSpec("dir", help: "The bundle's source directory.")],
        options: [OptionSpec("output", short: "o", value: "file", help: "The .stack file to write."),
                  OptionSpec("force", help: "Replace the output file if it exists.")],
        run: runCreate)

    static let inspect = CommandSpec(
        path: ["bundle", "inspect"],
        abstract: "Show a bundle's manifest, entries, sizes and SHA-256 without writing anything.",
        arguments: [ArgumentSpec("file", help: "The .stack file.")],
        run: runInspect)

    static let verificationOptions = [
        OptionSpec("sig", value: "file", help: "The minisign signature (default: <file>.minisig)."),
        OptionSpec("sha256", value: "hex", help: "The checksum the catalog announced; must match."),
        OptionSpec("allow-downgrade", help: "Accept a version lower than the highest one installed from the same publisher."),
    ]

    static let unpack = CommandSpec(
        path: ["bundle", "unpack"],
        abstract: "Verify a bundle, then unpack it safely into a new directory.",
        discussion: """
            The checksum (when given) and the publisher signature are verified before anything \
            is extracted; the signature's trusted comment must name the bundle's stack and \
            version. Every entry is then checked before it is written (no links, no devices, no \
            paths that leave the directory, size and ratio limits) and the content scan must \
            find nothing critical. The result appears atomically at <dir>; on any error nothing \
            is left behind. <dir> must not exist.
            """,
        arguments: [ArgumentSpec("file", help: "The .stack file.")],
        options: [OptionSpec("output", short: "o", value: "dir", help: "The directory to create.")] + verificationOptions,
        run: runUnpack)

    static let verify = CommandSpec(
        path: ["bundle", "verify"],
        abstract: "Check a bundle and show what it would run and be granted, without installing anything.",
        discussion: """
            Everything `run` checks before it asks you, and nothing is written: the checksum \
            (with --sha256), the publisher's signature against your trusted keys, that the \
            signature names this stack and version, that it is not older than a version you \
            installed before, every file of the archive, stack.yaml and the compose file, and \
            the isolation rules. Then it prints the plan: images, ports, mounts, limits and \
            whether the stack may reach the internet. Exit 3 when the checksum or signature \
            is wrong, 4 when the bundle breaks a rule.
            """,
        arguments: [ArgumentSpec("file", help: "The .stack file.")],
        options: verificationOptions,
        run: runVerify)

    static let sign = CommandSpec(
        path: ["bundle", "sign"],
        abstract: "Sign a bundle with a publisher secret key (minisign format).",
        discussion: """
            The trusted comment is stack:NAME, version:VER, sha256:HEX, size:N and timestamp:T, \
            read from the bundle's own manifest (the bundle must pass the entry policy). The \
            signature verifies with `minisign -V` too. For a password-protected key give \
            --password-file or set STACK_KEY_PASSWORD.
            """,
        arguments: [ArgumentSpec("file", help: "The .stack file.")],
        options: [OptionSpec("key", value: "secretkey", help: "The secret key file."),
                  OptionSpec("output", short: "o", value: "file", help: "Where to write the signature (default: <file>.minisig)."),
                  OptionSpec("password-file", value: "file", help: "Read the key's password from this file.")],
        run: runSign)

    static let all = [create, inspect, verify, sign, unpack]

    struct EntryReport: Encodable {
        let path: String
        let kind: String
        let size: Int64
        let mode: String
    }

    struct ManifestReport: Encodable {
        let name: String
        let version: String
        let flavor: String
        let title: String?
        let description: String?
        let publisher: String?
        let compose: String
        let services: [String]
        let ports: [Manifest.Port]
        let volumes: [String]
        let capabilities: [String]
        let egress: Bool

        init(_ inspection: BundleInspection) {
            let m = inspection.manifest
            name = m.name
            version = m.version.description
            flavor = m.flavor
            title = m.title
            description = m.description
            publisher = m.publisher
            compose = m.compose
            services = inspection.compose.services.keys.sorted()
            ports = m.ports
            volumes = m.volumes
            capabilities = m.capabilities
            egress = m.network.egress
        }
    }

    struct BundleReport: Encodable {
        let file: String
        let sha256: String
        let size: Int64
        let expandedBytes: Int64
        let manifest: ManifestReport
        let entries: [EntryReport]
        /// What the rule table found (`bundle create`'s lint).
        var findings: [Finding]? = nil
    }

    static func report(_ file: BundleFile, _ digests: FileDigests, _ inspection: BundleInspection) -> BundleReport {
        BundleReport(
            file: file.path, sha256: digests.sha256, size: digests.size,
            expandedBytes: inspection.listing.expandedBytes,
            manifest: ManifestReport(inspection),
            entries: inspection.listing.entries.map {
                EntryReport(path: $0.path, kind: $0.kind.rawValue, size: $0.size,
                            mode: "0" + String($0.mode, radix: 8))
            })
    }

    static func runCreate(_ invocation: Invocation) async throws {
        let source = invocation.url(invocation.argument(0) ?? "")
        let output = invocation.url(try invocation.require("output"))
        if FileManager.default.fileExists(atPath: output.path), !invocation.flag("force") {
            throw StackError(.destinationExists, "\(output.path) already exists",
                             hint: "pass --force to replace it, or choose another name")
        }
        let bar = ProgressBar(console: invocation.console, enabled: invocation.console.isInteractive && !invocation.json,
                              labels: ["creating"])
        do {
            defer { bar?.finish() }
            _ = try invocation.adapters.archive.create(from: source, to: output, progress: bar?.observer)
        }
        // Check what was written the way a reader will see it.
        let file = try BundleFile(path: output.path)
        let inspection: BundleInspection
        let digests: FileDigests
        do {
            inspection = try invocation.adapters.bundleWorkflow().inspect(file, limits: invocation.limits())
            digests = try invocation.adapters.digester.digests(of: file)
        } catch {
            try? FileManager.default.removeItem(at: output)
            throw error
        }
        // The publisher-side lint: the same rule table an install runs.
        let isolation = invocation.home.isInitialized ? try invocation.isolation() : .default
        let findings = StackPlanner(policy: isolation).findings(
            manifest: inspection.manifest, compose: inspection.compose, entries: inspection.listing.entries)
        var report = report(file, digests, inspection)
        report.findings = findings.findings
        invocation.emit(report, text: """
            created \(output.path)
              \(inspection.manifest.name) \(inspection.manifest.version), \(inspection.listing.entries.count) entries, \(digests.size) bytes
              sha256 \(digests.sha256)

            """)
        if !findings.findings.isEmpty, !invocation.json {
            invocation.console.err(lintText(findings))
        }
    }

    static func runInspect(_ invocation: Invocation) async throws {
        let file = try BundleFile(path: invocation.url(invocation.argument(0) ?? "").path)
        let digests = try invocation.adapters.digester.digests(of: file)
        let inspection = try invocation.adapters.bundleWorkflow().inspect(file, limits: invocation.limits())
        let report = report(file, digests, inspection)
        invocation.emit(report, text: text(of: report))
    }

    static func runUnpack(_ invocation: Invocation) async throws {
        let path = invocation.url(invocation.argument(0) ?? "").path
        let file = try BundleFile(path: path)
        let destination = invocation.url(try invocation.require("output"))
        let options = try invocation.verificationOptions(bundlePath: path)
        let installer = try invocation.installer()
        let bar = ProgressBar(console: invocation.console, enabled: invocation.console.isInteractive && !invocation.json,
                              labels: ["verifying", "unpacking"])
        file.observeReads(bar?.observer)
        let (verified, staged): (VerifiedBundle, StagedStack)
        do {
            defer { bar?.finish() }
            verified = try installer.verify(file, options: options)
            staged = try installer.stage(verified, besides: destination)
        }
        let planned: PlannedStack
        do {
            planned = try installer.plan(staged)
            try installer.place(planned, at: destination)
        } catch {
            staged.staged?.discard()
            throw error
        }
        struct UnpackReport: Encodable {
            let destination: String
            let name: String
            let version: String
            let keyId: String
            let sha256: String
            let entries: Int
            let expandedBytes: Int64
            let findings: [Finding]
        }
        let m = staged.inspection.manifest
        let listing = staged.inspection.listing
        invocation.emit(UnpackReport(destination: destination.path, name: m.name, version: m.version.description,
                                     keyId: verified.verdict.keyID, sha256: verified.digests.sha256,
                                     entries: listing.entries.count, expandedBytes: listing.expandedBytes,
                                     findings: planned.plan.findings),
                        text: "verified \(m.name) \(m.version), signed by \(verified.verdict.keyID)\n"
                            + "unpacked to \(destination.path) (\(listing.entries.count) entries, \(listing.expandedBytes) bytes)\n"
                            + findingsText(planned.plan.findings))
    }

    struct VerifyReport: Encodable {
        let file: String
        let verdict: String
        let name: String
        let version: String
        let keyId: String
        let sha256: String
        let size: Int64
        let findings: [Finding]
        let plan: StackPlan?
        let error: JSONOutput.ErrorDocument.Body?
    }

    static func runVerify(_ invocation: Invocation) async throws {
        let path = invocation.url(invocation.argument(0) ?? "").path
        let file = try BundleFile(path: path)
        let installer = try invocation.installer()
        let bar = ProgressBar(console: invocation.console, enabled: invocation.console.isInteractive && !invocation.json,
                              labels: ["verifying", "checking"])
        file.observeReads(bar?.observer)
        let (verified, inspected): (VerifiedBundle, StagedStack)
        do {
            defer { bar?.finish() }
            verified = try installer.verify(file, options: try invocation.verificationOptions(bundlePath: path))
            inspected = try installer.inspect(verified)
        }
        let m = inspected.inspection.manifest
        var findings: [Finding]
        var plan: StackPlan?
        var rejection: StackError?
        do {
            let planned = try installer.plan(inspected)
            plan = planned.plan
            findings = planned.plan.findings
        } catch let error as StackError where error.code.exitStatus == .policy {
            rejection = error
            findings = StackPlanner(policy: try invocation.isolation()).findings(
                manifest: m, compose: inspected.inspection.compose, entries: inspected.inspection.listing.entries).findings
        }
        let report = VerifyReport(
            file: path, verdict: rejection == nil ? "accepted" : "rejected", name: m.name,
            version: m.version.description, keyId: verified.verdict.keyID, sha256: verified.digests.sha256,
            size: verified.digests.size, findings: findings, plan: plan,
            error: rejection.map { JSONOutput.ErrorDocument.Body(code: $0.code.rawValue, message: $0.message, hint: $0.hint) })
        invocation.emit(report, text: """
            \(rejection == nil ? "ACCEPTED" : "REJECTED") \(m.name) \(m.version)
              signature:  good, publisher key \(verified.verdict.keyID)
              sha256:     \(verified.digests.sha256)
              entries:    \(inspected.inspection.listing.entries.count), \(inspected.inspection.listing.expandedBytes) bytes expanded

            """ + (plan.map { "  plan:\n" + $0.summary(findings: false).dropFirst().map { "    \($0)\n" }.joined() } ?? "") + findingsText(findings))
        if let rejection { throw StackCLI.ReportedError(rejection) }
    }

    static func runSign(_ invocation: Invocation) async throws {
        let path = invocation.url(invocation.argument(0) ?? "").path
        let keyPath = invocation.url(try invocation.require("key")).path
        var password = invocation.environment["STACK_KEY_PASSWORD"]
        if let passwordFile = invocation.option("password-file") {
            guard let data = FileManager.default.contents(atPath: invocation.url(passwordFile).path) else {
                throw StackError(.fileNotFound, "cannot read the password file \(passwordFile)")
            }
            password = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .newlines)
        }
        let key = try MinisignSecretKey.load(from: URL(fileURLWithPath: keyPath), password: password)
        let file = try BundleFile(path: path)
        let inspection = try invocation.adapters.bundleWorkflow().inspect(file, limits: invocation.limits())
        let lint = StackPlanner(policy: invocation.home.isInitialized ? try invocation.isolation() : .default)
            .findings(manifest: inspection.manifest, compose: inspection.compose, entries: inspection.listing.entries)
        if !lint.critical.isEmpty, !invocation.json { invocation.console.err(lintText(lint)) }
        let digests = try invocation.adapters.digester.digests(of: file)
        let comment = MinisignSigner.trustedComment(
            stack: inspection.manifest.name, version: inspection.manifest.version.description,
            sha256: digests.sha256, size: digests.size, timestamp: Int(Date().timeIntervalSince1970))
        let text = try MinisignSigner().sign(digests: digests, trustedComment: comment,
                                             untrustedComment: "signature from stack desktop publisher key \(key.keyID)",
                                             key: key)
        let output = invocation.option("output").map { invocation.url($0) } ?? URL(fileURLWithPath: path + ".minisig")
        try AtomicFile.write(Array(text.utf8), to: output, mode: 0o644)
        struct SignReport: Encodable {
            let signature: String
            let keyId: String
            let trustedComment: String
        }
        invocation.emit(SignReport(signature: output.path, keyId: key.keyID, trustedComment: comment),
                        text: "signed \(inspection.manifest.name) \(inspection.manifest.version) with key \(key.keyID)\n  signature: \(output.path)\n")
    }

    /// The publisher-side lint of `bundle create` and `bundle sign`: what an install would
    /// refuse, then the warnings, grouped.
    static func lintText(_ report: ScanReport) -> String {
        var text = report.critical.isEmpty ? "lint: an install would show these warnings:\n"
            : "lint: an install would refuse this bundle (exit 4); fix these before you sign it:\n"
        text += report.findings.groupedLines.map { "  \($0)\n" }.joined()
        return text
    }

    static func findingsText(_ findings: [Finding]) -> String {
        guard !findings.isEmpty else { return "  findings:   none\n" }
        return "  findings:\n" + findings.groupedLines.map { "    \($0)\n" }.joined()
    }

    static func text(of report: BundleReport) -> String {
        let m = report.manifest
        var lines = [
            "bundle:     \(report.file)",
            "sha256:     \(report.sha256)",
            "size:       \(report.size) bytes (\(report.expandedBytes) expanded)",
            "name:       \(m.name)",
            "version:    \(m.version)",
            "flavor:     \(m.flavor)",
        ]
        if let title = m.title { lines.append("title:      \(title)") }
        if let publisher = m.publisher { lines.append("publisher:  \(publisher)") }
        lines.append("compose:    \(m.compose) (services: \(m.services.joined(separator: ", ")))")
        if !m.ports.isEmpty {
            lines.append("ports:      " + m.ports.map { "\($0.service):\($0.port)\($0.open ? " (open)" : "")" }.joined(separator: ", "))
        }
        if !m.volumes.isEmpty { lines.append("volumes:    \(m.volumes.joined(separator: ", "))") }
        lines.append("egress:     \(m.egress ? "requested" : "none")")
        lines.append("entries:")
        for entry in report.entries {
            let size = entry.kind == "directory" ? "-" : String(entry.size)
            lines.append("  \(entry.mode) \(size.leftPadded(10)) \(entry.path)\(entry.kind == "directory" ? "/" : "")")
        }
        return lines.joined(separator: "\n") + "\n"
    }
}

extension String {
    func leftPadded(_ width: Int) -> String {
        count >= width ? self : String(repeating: " ", count: width - count) + self
    }
    func rightPadded(_ width: Int) -> String {
        count >= width ? self : self + String(repeating: " ", count: width - count)
    }
}
