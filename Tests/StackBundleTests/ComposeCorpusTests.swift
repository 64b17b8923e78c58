import Foundation
import Testing
import StackBundle
import StackCore
import StackDocker

/// One real compose file of `Corpus/` and its origin, from a line of `Corpus/SOURCES.tsv`.
struct CorpusFile: Sendable, Hashable, CustomTestStringConvertible {
    /// Path relative to `Corpus/` (`runtipi/adguard.yaml`).
    let file: String
    /// GitHub `owner/name` it was copied from.
    let repository: String
    /// Its path in that repository.
    let path: String
    /// The snapshot commit.
    let commit: String
    /// The names the file interpolates, sorted.
    let variables: [String]

    /// The corpus folder the file sits in (`awesome-compose`, `casaos`, `runtipi`).
    var source: String { file.split(separator: "/").first.map(String.init) ?? file }

    var testDescription: String { file }
}

/// What the product made of one corpus file.
struct CorpusOutcome: Sendable, Hashable {
    enum Kind: String, Sendable, Hashable {
        case accepted, rejected, failed
    }

    let kind: Kind
    /// The error code (`policy.privileged`, `compose.invalid`), or `nil` when accepted.
    let code: String?
    /// The error's message, or `nil` when accepted.
    let message: String?
    /// The plan, when accepted.
    var plan: StackPlan? = nil

    /// `accepted`, `rejected:<code>` or `failed:<code>`.
    var label: String { code.map { "\(kind.rawValue):\($0)" } ?? kind.rawValue }

    /// `failed:<code>: <message>` for a failure, else `nil`.
    var failure: String? { kind == .failed ? "\(label): \(message ?? "")" : nil }
}

/// Plays a publisher who bundles each real compose file of `Corpus/` as it is: every
/// variable it uses becomes a stack parameter, every named volume is listed, every relative
/// bind source is shipped as a file. Then the file is decoded and planned as the product
/// does, under the default isolation policy. The goal is that no file fails to parse:
/// each is either accepted or rejected by a `policy.*` rule.
@Suite("compose corpus")
struct ComposeCorpusTests {
    /// The `Corpus/` folder next to this file.
    static let corpus = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Corpus")

    /// Every line of `SOURCES.tsv`, in its (sorted) order; empty when it cannot be read.
    static let files: [CorpusFile] = loadSources()

    static func loadSources() -> [CorpusFile] {
        let url = corpus.appendingPathComponent("SOURCES.tsv")
        guard let data = FileManager.default.contents(atPath: url.path),
              let text = String(data: data, encoding: .utf8) else { return [] }
        var files: [CorpusFile] = []
        for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: true).enumerated() {
            guard index > 0 else { continue } // the header
            let fields = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            guard fields.count >= 4, !fields[0].isEmpty else { continue }
            let variables = fields.count >= 5
                ? fields[4].split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
                : []
            files.append(CorpusFile(file: fields[0], repository: fields[1], path: fields[2], commit: fields[3],
                                    variables: variables))
        }
        return files.sorted { $0.file < $1.file }
    }

    // MARK: The publisher

    /// The default a publisher would give a parameter.
    static func defaultValue(for name: String) -> String {
        let upper = name.uppercased()
        if ["PUID", "PGID", "UID", "GID"].contains(upper) { return "1000" }
        if upper == "TZ" { return "UTC" }
        if upper.contains("PORT") { return "8080" }
        if upper.contains("INTERFACE") || upper.hasSuffix("_IP") { return "0.0.0.0" }
        if upper.hasSuffix("_DIR") || upper.hasSuffix("_PATH") { return "/srv/app" }
        return "value"
    }

    /// Files that Compose itself refuses, with why: each must fail here too, so the table
    /// notices if we ever start accepting what Compose does not.
    static let invalidUpstream: [String: String] = [
        // `environment:` list items must be strings; this one is a mapping (`- KEY: value`).
        "runtipi/homepage.yaml": "compose.invalid",
    ]

    /// One parameter per variable the file uses.
    static func parameters(for file: CorpusFile) -> [Manifest.Parameter] {
        Array(Set(file.variables)).sorted().map {
            Manifest.Parameter(name: $0, type: .string, defaultValue: defaultValue(for: $0))
        }
    }

    /// Every mount of every service, services in name order.
    static func mounts(_ compose: ComposeFile) -> [ComposeMount] {
        compose.services.keys.sorted().flatMap { compose.services[$0]?.volumes ?? [] }
    }

    /// The named volumes the file mounts whose names are valid: a publisher lists them.
    static func namedVolumes(_ compose: ComposeFile) -> [String] {
        var names: Set<String> = []
        for mount in mounts(compose) where mount.type == .volume {
            guard let source = mount.source, !source.isEmpty, !source.contains("/"),
                  !source.hasPrefix("."), !source.hasPrefix("~"),
                  Manifest.isValidVolumeName(source) else { continue }
            names.insert(source)
        }
        return names.sorted()
    }

    /// A relative path normalised against the bundle root (where `compose.yaml` is):
    /// `nil` for a host path (absolute, `~`, backslash, drive letter) or one whose `..`
    /// climbs out; `""` for the root itself.
    static func bundlePath(_ source: String) -> String? {
        if source.hasPrefix("/") || source.hasPrefix("~") || source.contains("\\") { return nil }
        let bytes = Array(source.utf8)
        if bytes.count >= 2, bytes[1] == UInt8(ascii: ":"),
           (bytes[0] | 0x20) >= UInt8(ascii: "a"), (bytes[0] | 0x20) <= UInt8(ascii: "z") {
            return nil
        }
        var stack: [Substring] = []
        for part in source.split(separator: "/", omittingEmptySubsequences: true) {
            switch part {
            case ".": continue
            case "..":
                guard !stack.isEmpty else { return nil }
                stack.removeLast()
            default: stack.append(part)
            }
        }
        return stack.joined(separator: "/")
    }

    /// The files a publisher ships with the compose file: every relative bind source, at
    /// its normalised path. A `volume` mount whose source is a path (`value/data` after
    /// interpolation) counts too: the product judges it as a bind source.
    static func bindFiles(_ compose: ComposeFile) -> [String] {
        var paths: Set<String> = []
        for mount in mounts(compose) {
            guard let source = mount.source, !source.isEmpty else { continue }
            let isPath = source.hasPrefix("/") || source.hasPrefix(".") || source.hasPrefix("~") || source.contains("/")
            guard mount.type == .bind || (mount.type == .volume && isPath) else { continue }
            guard let path = bundlePath(source), !path.isEmpty else { continue }
            paths.insert(path)
        }
        return paths.sorted()
    }

    // MARK: Classification

    /// Decodes and plans one corpus file as a publisher would bundle it.
    static func classify(_ file: CorpusFile) -> CorpusOutcome {
        let url = corpus.appendingPathComponent(file.file)
        guard let data = FileManager.default.contents(atPath: url.path) else {
            return CorpusOutcome(kind: .failed, code: "io.read", message: "cannot read \(url.path)")
        }
        let bytes = [UInt8](data)
        let composePath = Manifest.defaultComposePath
        let declared = Self.parameters(for: file)
        let interpolation = ComposeInterpolation(parameters: declared)
        do {
            let compose = try LibYAMLManifestDecoder().decodeCompose(bytes, path: composePath,
                                                                      interpolation: interpolation)
            let manifest = Manifest(name: "corpus", version: SemanticVersion("1.0.0")!, compose: composePath,
                                    volumes: Self.namedVolumes(compose), parameters: declared)
            var entries = [BundleEntry(path: composePath, kind: .file, size: Int64(bytes.count), mode: 0o644)]
            for path in Self.bindFiles(compose) where path != composePath {
                entries.append(BundleEntry(path: path, kind: .file, size: 0, mode: 0o644))
            }
            let plan = try StackPlanner(policy: .default).plan(manifest: manifest, compose: compose, entries: entries,
                                                               interpolation: interpolation, envFiles: [:])
            return CorpusOutcome(kind: .accepted, code: nil, message: nil, plan: plan)
        } catch let error as StackError {
            let code = error.code.rawValue
            return CorpusOutcome(kind: code.hasPrefix("policy.") ? .rejected : .failed, code: code,
                                 message: error.message)
        } catch {
            return CorpusOutcome(kind: .failed, code: String(describing: type(of: error)),
                                 message: String(describing: error))
        }
    }

    // MARK: Tests

    @Test("a corpus file decodes, and is either planned or rejected by policy", arguments: ComposeCorpusTests.files)
    func corpusFile(_ file: CorpusFile) {
        let outcome = Self.classify(file)
        if let code = Self.invalidUpstream[file.file] {
            #expect(outcome.kind == .failed && outcome.code == code, "\(outcome)")
        } else {
            #expect(outcome.failure == nil)
        }
    }

    @Test("summary: every corpus file parses; counts per source and top rejection codes")
    func summary() {
        let files = Self.files
        #expect(files.count > 0, "Corpus/SOURCES.tsv lists no files or cannot be read")

        var counts: [String: [CorpusOutcome.Kind: Int]] = [:]
        var rejections: [String: Int] = [:]
        var failures: [String] = []
        for file in files {
            let outcome = Self.classify(file)
            counts[file.source, default: [:]][outcome.kind, default: 0] += 1
            switch outcome.kind {
            case .accepted: break
            case .rejected: rejections[outcome.code ?? "?", default: 0] += 1
            case .failed where Self.invalidUpstream[file.file] != nil: break
            case .failed: failures.append("\(file.file): \(outcome.failure ?? "")")
            }
        }

        func pad(_ text: String, _ width: Int) -> String {
            text.count >= width ? text : text + String(repeating: " ", count: width - text.count)
        }
        func padLeft(_ text: String, _ width: Int) -> String {
            text.count >= width ? text : String(repeating: " ", count: width - text.count) + text
        }

        var lines = ["compose corpus: \(files.count) files under the default isolation policy",
                     pad("source", 18) + padLeft("accepted", 9) + padLeft("rejected", 9) + padLeft("failed", 7)]
        var total: [CorpusOutcome.Kind: Int] = [:]
        for source in counts.keys.sorted() {
            let row = counts[source] ?? [:]
            for (kind, count) in row { total[kind, default: 0] += count }
            lines.append(pad(source, 18) + padLeft("\(row[.accepted] ?? 0)", 9)
                         + padLeft("\(row[.rejected] ?? 0)", 9) + padLeft("\(row[.failed] ?? 0)", 7))
        }
        lines.append(pad("total", 18) + padLeft("\(total[.accepted] ?? 0)", 9)
                     + padLeft("\(total[.rejected] ?? 0)", 9) + padLeft("\(total[.failed] ?? 0)", 7))

        let top = rejections.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }.prefix(10)
        lines.append("top rejection codes:")
        for (code, count) in top { lines.append(padLeft("\(count)", 6) + "  " + code) }
        if !failures.isEmpty {
            lines.append("failed files:")
            for failure in failures.sorted() { lines.append("  " + failure) }
        }
        print(lines.joined(separator: "\n"))

        #expect(failures.isEmpty)
    }
}

/// The judge and the executor cannot disagree: over every corpus file, a bundle the rule
/// table rejects has no plan (so nothing of it can be rendered), and everything the
/// renderer writes for an accepted one is either an injected control or a value the rules
/// judged.
@Suite("differential: rule table vs renderer, over the corpus")
struct PlanRenderDifferentialTests {
    /// Service keys the renderer may write: injected controls and judged, planned values.
    static let renderedKeys: Set<String> = [
        "image", "command", "entrypoint", "environment", "user", "working_dir", "labels", "healthcheck", "depends_on",
        "cap_drop", "cap_add", "security_opt", "mem_limit", "memswap_limit", "cpus", "pids_limit", "restart", "init",
        "network_mode", "networks", "ports", "volumes", "tmpfs", "dns",
    ]

    @Test("rejected files have no plan; accepted files render only judged keys, loopback ports, confined mounts, escaped $")
    func agree() throws {
        let bundle = URL(fileURLWithPath: "/bundle"), volumes = URL(fileURLWithPath: "/volumes/corpus")
        var rendered = 0
        for file in ComposeCorpusTests.files {
            let outcome = ComposeCorpusTests.classify(file)
            guard outcome.kind == .accepted else {
                #expect(outcome.plan == nil, "\(file.file)")
                continue
            }
            let plan = try #require(outcome.plan, "\(file.file)")
            #expect(plan.findings.allSatisfy { $0.severity != .critical }, "\(file.file)")
            let document = Docker.HardenedRenderer().render(plan, context: Docker.RenderContext(
                bundleDirectory: bundle, volumesDirectory: volumes)).document
            rendered += 1
            let services = try #require(document.objectValue?["services"]?.objectValue, "\(file.file)")
            #expect(Set(services.keys) == Set(plan.services.map(\.name)), "\(file.file)")
            for (name, value) in services {
                let service = try #require(value.objectValue)
                let allowed = Self.renderedKeys.union(ScanPassthrough.keys)
                #expect(Set(service.keys).isSubset(of: allowed), "\(file.file) \(name): \(Set(service.keys).subtracting(allowed))")
                #expect(service["cap_drop"] == .array([.string("ALL")]), "\(file.file) \(name)")
                #expect(service["security_opt"] == .array([.string("no-new-privileges:true")]), "\(file.file) \(name)")
                for port in service["ports"]?.arrayValue ?? [] {
                    #expect(port.stringValue?.hasPrefix("127.0.0.1:") == true, "\(file.file) \(name): \(port)")
                }
                for mount in service["volumes"]?.arrayValue ?? [] {
                    let text = mount.stringValue ?? ""
                    #expect(text.hasPrefix(bundle.path + "/") || text.hasPrefix(bundle.path + ":") || text.hasPrefix(volumes.path + "/"),
                            "\(file.file) \(name): \(text)")
                    if text.hasPrefix(bundle.path) { #expect(text.hasSuffix(":ro"), "\(file.file) \(name): \(text)") }
                }
            }
            #expect(!Self.hasUnescapedDollar(document), "\(file.file)")
        }
        #expect(rendered > 0)
    }

    static func hasUnescapedDollar(_ value: ConfigValue) -> Bool {
        switch value {
        case .string(let s): s.replacingOccurrences(of: "$$", with: "").contains("$")
        case .array(let items): items.contains(where: hasUnescapedDollar)
        case .object(let members): members.values.contains(where: hasUnescapedDollar)
        case .null, .bool, .int, .double: false
        }
    }
}

/// The service keys the plan passes on as given (`StackPlan.Service.options`).
enum ScanPassthrough {
    static let keys: Set<String> = [
        "shm_size", "stop_signal", "stop_grace_period", "hostname", "domainname", "read_only",
        "tty", "stdin_open", "expose", "ulimits", "extra_hosts", "platform", "group_add",
    ]
}
