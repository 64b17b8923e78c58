import Foundation
import StackCore
import StackDocker
import StackSecurity

/// `stackctl doctor`: checks the machine and the home, each with a fix hint.
enum DoctorCommand {
    static let spec = CommandSpec(
        path: ["doctor"],
        abstract: "Check Docker, Compose, the home's permissions and the trusted keys.",
        run: run)

    struct Check: Encodable {
        let name: String
        let ok: Bool
        let detail: String
        let hint: String?
    }

    static func run(_ invocation: Invocation) async throws {
        var checks: [Check] = []
        let home = invocation.home
        if home.isInitialized {
            var problems: [String] = []
            for (url, mode) in home.directories where mode == 0o700 {
                if let attributes = try? FileManager.default.attributesOfItem(atPath: url.path),
                   let actual = attributes[.posixPermissions] as? Int, actual & 0o077 != 0 {
                    problems.append("\(url.path) is 0\(String(actual, radix: 8))")
                }
            }
            checks.append(Check(name: "home", ok: problems.isEmpty,
                                detail: problems.isEmpty ? "\(home.root.path), private directories are 0700" : problems.joined(separator: "; "),
                                hint: problems.isEmpty ? nil : "chmod 700 those directories"))
            let keys = (try? MinisignKeyring(directory: home.trustedKeysDirectory).list()) ?? []
            checks.append(Check(name: "publisher keys", ok: !keys.isEmpty,
                                detail: keys.isEmpty ? "none trusted" : "\(keys.count) trusted: \(keys.map(\.keyID).joined(separator: ", "))",
                                hint: keys.isEmpty ? "trust a catalog's key with `stackctl keys trust FILE.pub`" : nil))
        } else {
            checks.append(Check(name: "home", ok: false, detail: "\(home.root.path) is not initialised",
                                hint: "run `stackctl init`"))
        }
        var engineOK = false
        do {
            let engine = try invocation.adapters.engine(invocation.environment)
            let version = try await engine.version()
            engineOK = true
            checks.append(Check(name: "docker engine", ok: true,
                                detail: "Docker \(version.version), API \(version.apiVersion), \(version.os)/\(version.arch) at unix://\(engine.socketPath)",
                                hint: nil))
        } catch {
            let failure = StackError.wrap(error)
            // "try `stackctl doctor`" is no help inside doctor: say how to start the engine.
            let hint = failure.code == .dockerUnreachable ? StackError.dockerStartHint : failure.hint
            checks.append(Check(name: "docker engine", ok: false, detail: failure.message, hint: hint))
        }
        do {
            let variant = try await Docker.ComposeVariant.detect(environment: invocation.environment, probe: true)
            checks.append(Check(name: "compose", ok: true, detail: variant.description, hint: nil))
        } catch {
            let failure = StackError.wrap(error)
            checks.append(Check(name: "compose", ok: false, detail: failure.message, hint: failure.hint))
        }
        checks.append(await networkGuardCheck(invocation))
        let text = checks.map { check in
            "\(check.ok ? "ok  " : "FAIL") \(check.name): \(check.detail)\n" + (check.hint.map { "     hint: \($0)\n" } ?? "")
        }.joined()
        invocation.emit(checks, text: text)
        let failed = checks.filter { !$0.ok }
        if !failed.isEmpty {
            // The checks above already say what failed and how to fix it; the error only
            // sums up (and carries the exit status), so nothing is printed twice.
            let code: StackError.Code = engineOK ? .doctorFailed : .dockerUnreachable
            throw StackCLI.ReportedError(StackError(
                code, "doctor: \(failed.count) check(s) failed: \(failed.map(\.name).joined(separator: ", "))"))
        }
    }
}

extension DoctorCommand {
    /// The host firewall guard: installed, installable at the next run, off by choice, or
    /// out of reach. Reads only; `run` and `start` install it.
    static func networkGuardCheck(_ invocation: Invocation) async -> Check {
        let mode = (try? invocation.config().isolation.hostFirewall) ?? .required
        do {
            let status = try await invocation.adapters.networkGuard(invocation.environment).inspect()
            if status.isComplete {
                return Check(name: "network guard", ok: true,
                             detail: "installed (\(status.present.count) rules in iptables' mangle FORWARD chain)"
                                + (mode == .off ? "; isolation.hostFirewall is off, so it is not required" : ""),
                             hint: nil)
            }
            return Check(name: "network guard", ok: true,
                         detail: mode == .off
                            ? "off (isolation.hostFirewall); stacks rely on Docker's own isolation rules"
                            : "not installed yet (\(status.missing.joined(separator: "; "))); the next `run` or `start` installs it",
                         hint: nil)
        } catch {
            let failure = StackError.wrap(error)
            if mode == .off {
                return Check(name: "network guard", ok: true,
                             detail: "off (isolation.hostFirewall); not available here: \(failure.message)", hint: nil)
            }
            return Check(name: "network guard", ok: false, detail: failure.message, hint: failure.hint)
        }
    }
}

extension StackError.Code {
    /// `stackctl doctor` found a problem.
    static let doctorFailed = StackError.Code("doctor.failed", exit: .failure)
}
