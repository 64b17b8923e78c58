import Foundation
import StackCore

/// `stackctl run|ps|status|logs|stop|start|rm`: the everyday path.
enum StackCommands {
    static let run = CommandSpec(
        path: ["run"],
        abstract: "Verify, approve, unpack and run a stack bundle on the local Docker Engine.",
        discussion: """
            Checks the file's checksum and the publisher's signature before anything is \
            unpacked, unpacks it safely, reads what the stack will run and be granted (its \
            plan: images, ports, mounts, limits, route out) and asks you to approve it. A \
            trusted stack (`stackctl trust add`) is not asked, unless its plan grants more \
            than the plan you last approved (a new port, mount, capability, route out or \
            higher limit). --yes approves without asking; without a terminal, a stack that \
            needs asking is declined (exit 6). The stack then runs isolated: all \
            capabilities dropped, no-new-privileges, CPU/memory/pids limits, a network of its \
            own without a route out unless you approved one, ports on 127.0.0.1 only. If it \
            fails to start, nothing of it is kept (unless --keep-failed).
            """,
        arguments: [ArgumentSpec("file", help: "The .stack file.")],
        options: BundleCommands.verificationOptions + [
            OptionSpec("yes", short: "y", help: "Approve without asking."),
            OptionSpec("keep-failed", help: "Keep a stack whose first start fails, for inspection (otherwise the install is undone)."),
        ],
        run: runRun)

    static let ps = CommandSpec(path: ["ps"], abstract: "List installed stacks and their state.", run: runPs)

    static let status = CommandSpec(
        path: ["status"], abstract: "Show one stack's state, containers and local URLs.",
        arguments: [ArgumentSpec("name", help: "The stack.")], run: runStatus)

    static let logs = CommandSpec(
        path: ["logs"], abstract: "Print a stack's recent container logs.",
        arguments: [ArgumentSpec("name", help: "The stack.")],
        options: [OptionSpec("tail", value: "n", help: "Lines per container from the end (default: all)."),
                  OptionSpec("follow", short: "f", help: "Keep printing new output until interrupted.")],
        run: runLogs)

    static let stop = CommandSpec(
        path: ["stop"], abstract: "Stop a running stack (containers and data are kept).",
        arguments: [ArgumentSpec("name", help: "The stack.")], run: runStop)

    static let start = CommandSpec(
        path: ["start"], abstract: "Start an installed stack.",
        arguments: [ArgumentSpec("name", help: "The stack.")], run: runStart)

    static let rm = CommandSpec(
        path: ["rm"], abstract: "Remove a stack: containers, network and unpacked bundle.",
        discussion: "Its data in volumes/<name>/ is kept unless --purge.",
        arguments: [ArgumentSpec("name", help: "The stack.")],
        options: [OptionSpec("purge", help: "Also delete the stack's data (on a terminal you type the stack's name to confirm)."),
                  OptionSpec("yes", short: "y", help: "Do not ask before purging.")],
        run: runRm)

    static let all = [run, ps, status, logs, stop, start, rm]

    struct StatusReport: Encodable {
        let name: String
        let version: String
        let status: String
        let state: String
        let keyId: String
        let sha256: String
        let egress: Bool
        let installedAt: Date
        let urls: [StackURL]
        let containers: [StackContainer]
        let findings: [Finding]?
        let lastError: String?

        init(_ s: StackStatus, findings: Bool = false) {
            name = s.record.name
            version = s.record.version.description
            status = s.record.status.rawValue
            state = s.state.rawValue
            keyId = s.record.keyID
            sha256 = s.record.digest
            egress = s.record.egressApproved
            installedAt = s.record.installedAt
            urls = s.urls
            containers = s.containers
            self.findings = findings ? s.findings : nil
            lastError = s.record.lastError
        }
    }

    static func text(_ s: StackStatus) -> String {
        var text = "\(s.record.name) \(s.record.version): \(s.state.rawValue)"
        if s.record.status == .failed { text += " (failed: \(s.record.lastError ?? "unknown"))" }
        text += "\n"
        for url in s.urls.sorted(by: { ($0.open ? 0 : 1, $0.url) < ($1.open ? 0 : 1, $1.url) }) {
            text += "  \(url.label ?? url.service): \(url.url)\(url.open ? "  <- open this" : "")\n"
        }
        for container in s.containers {
            text += "  [\(container.service)] \(container.state) \(container.ports.joined(separator: ", "))\n"
        }
        return text
    }

    static func phaseText(_ phase: StackCore.Operation.State, path: String) -> String {
        switch phase {
        case .verifying: "verifying \(path)…\n"
        case .unpacking: "unpacking…\n"
        case .starting: "starting…\n"
        default: ""
        }
    }

    static func runRun(_ invocation: Invocation) async throws {
        let path = invocation.url(invocation.argument(0) ?? "").path
        let file = try BundleFile(path: path)
        let options = InstallOptions(verification: try invocation.verificationOptions(bundlePath: path),
                                     assumeYes: invocation.flag("yes"), keepFailed: invocation.flag("keep-failed"))
        let console = invocation.console
        let chatty = console.isInteractive && !invocation.json
        var status: StackStatus?
        var asked = false
        let bar = ProgressBar(console: console, enabled: chatty, labels: ["verifying", "unpacking"])
        file.observeReads(bar?.observer)
        defer { bar?.finish() }
        for try await event in try invocation.stacks().installer.install(file, options: options) {
            switch event {
            case .phase(let phase):
                bar?.finish()
                if phase == .awaitingApproval { asked = true }
                if chatty { console.err(Self.phaseText(phase, path: path)) }
            case .planned:
                continue
            case .finished(let finished):
                status = finished
            }
        }
        guard let status else { throw StackError(.internalError, "the install ended without a result") }
        // The findings were part of the approval prompt when there was one: not twice.
        invocation.emit(StatusReport(status, findings: true),
                        text: "started " + text(status) + (asked ? "" : BundleCommands.findingsText(status.findings)))
    }

    static func runPs(_ invocation: Invocation) async throws {
        let all = try await invocation.runner().list()
        func state(_ s: StackStatus) -> String { s.state == .unknown ? "unknown (engine unreachable)" : s.state.rawValue }
        let stateWidth = max(10, (all.map { state($0).count }.max() ?? 0) + 2)
        var text = all.isEmpty ? "no stacks installed\n" : "NAME".rightPadded(24) + "VERSION".rightPadded(12) + "STATE".rightPadded(stateWidth) + "URL\n"
        for s in all {
            let url = s.urls.first(where: \.open)?.url ?? s.urls.first?.url ?? "-"
            text += s.record.name.rightPadded(24) + s.record.version.description.rightPadded(12)
                + state(s).rightPadded(stateWidth) + url + "\n"
        }
        invocation.emit(all.map { StatusReport($0) }, text: text)
        // One hint for all of them, on stderr, so the table stays data.
        if let unreachable = all.lazy.compactMap(\.unreachable).first {
            invocation.console.err("note: the state of \(all.filter { $0.state == .unknown }.count) stack(s) is unknown: \(unreachable.message)\n"
                                   + "  hint: \(unreachable.hint ?? StackError.dockerUnreachableHint)\n")
        }
    }

    static func runStatus(_ invocation: Invocation) async throws {
        let status = try await invocation.runner().status(invocation.argument(0) ?? "")
        invocation.emit(StatusReport(status), text: text(status))
    }

    static func runLogs(_ invocation: Invocation) async throws {
        let tail = try invocation.option("tail").map { value -> Int in
            guard let n = Int(value), n >= 0 else { throw StackError(.usage, "--tail needs a number, not '\(value)'") }
            return n
        }
        if invocation.flag("follow") {
            let console = invocation.console
            try await invocation.runner().followLogs(invocation.argument(0) ?? "", tail: tail) { text in
                console.out(text.terminalSafe)
                return true
            }
            return
        }
        let name = invocation.argument(0) ?? ""
        let logs = try await invocation.runner().logs(name, tail: tail)
        struct LogsReport: Encodable { let logs: String }
        invocation.emit(LogsReport(logs: logs), text: logs)
        if logs.isEmpty && !invocation.json {
            invocation.console.err("\(name): no log output (its services have written nothing to stdout or stderr)\n")
        }
    }

    static func runStop(_ invocation: Invocation) async throws {
        let name = invocation.argument(0) ?? ""
        if invocation.console.isInteractive && !invocation.json {
            invocation.console.err("stopping \(name): each container gets up to 10 s to exit…\n")
        }
        try await invocation.runner().stop(name)
        struct Report: Encodable { let name: String; let state: String }
        invocation.emit(Report(name: name, state: "stopped"), text: "stopped \(name)\n")
    }

    static func runStart(_ invocation: Invocation) async throws {
        let status = try await invocation.runner().start(invocation.argument(0) ?? "")
        invocation.emit(StatusReport(status), text: "started " + text(status))
    }

    static func runRm(_ invocation: Invocation) async throws {
        let name = invocation.argument(0) ?? ""
        let purge = invocation.flag("purge")
        let console = invocation.console
        let runner = try invocation.runner()
        let volumes = invocation.home.volumesDirectory(name: name)
        let hasData = !((try? FileManager.default.contentsOfDirectory(atPath: volumes.path)) ?? []).isEmpty
        var installed = true
        do {
            _ = try await runner.status(name)
        } catch let error as StackError where error.code == .stackNotFound && purge && hasData && Manifest.isValidName(name) {
            // `rm` kept the data; `rm --purge` later deletes what is left of it.
            installed = false
        }
        if purge, console.isInteractive, !invocation.flag("yes") {
            console.err("This deletes \(name)'s data in \(volumes.path)/ for good. Type the stack's name to confirm: ")
            guard console.readLine()?.trimmingCharacters(in: .whitespaces) == name else {
                throw StackError(.approvalDeclined, "\(name) was not removed: the name typed did not match",
                                 hint: "nothing was changed; `stackctl rm \(name)` removes it and keeps its data")
            }
        }
        struct Report: Encodable { let name: String; let removed: Bool; let dataKept: Bool }
        guard installed else {
            try HomeLock.held(invocation.home) { try StagedBundle.removeTree(volumes) }
            invocation.emit(Report(name: name, removed: false, dataKept: false),
                            text: "deleted the data \(name) left in \(volumes.path)/ (the stack was removed before)\n")
            return
        }
        try await runner.remove(name, purge: purge)
        let tail = purge ? (hasData ? " and its data\n" : " (it had no data)\n")
            : hasData ? " (its data in \(volumes.path)/ is kept; `stackctl rm --purge \(name)` deletes it)\n" : "\n"
        invocation.emit(Report(name: name, removed: true, dataKept: !purge && hasData), text: "removed \(name)" + tail)
    }
}
