import Foundation
import StackCore

/// `stackctl bundle create|inspect|unpack`.
enum BundleCommands {
    static let group = CommandGroup(name: "bundle", abstract: "Create, inspect and unpack .stack bundles.")

    static let create = CommandSpec(
        path: ["bundle", "create"],
        abstract: "Create a reproducible bundle from a directory.",
        discussion: """
            Entries are sorted, times fixed, owners zeroed and modes normalised, so the same \
            directory always gives the same bytes. The directory must hold stack.yaml and \
            the compose file it names, and nothing a bundle may not contain (links, devices).
            """,
        arguments: [ArgumentSpec("dir", help: "The bundle's source directory.")],
        options: [OptionSpec("output", short: "o", value: "file", help: "The .stack file to write (replaced atomically).")],
        run: runCreate)

    static let inspect = CommandSpec(
        path: ["bundle", "inspect"],
        abstract: "Show a bundle's manifest, entries, sizes and SHA-256 without writing anything.",
        arguments: [ArgumentSpec("file", help: "The .stack file.")],
        run: runInspect)

    static let unpack = CommandSpec(
        path: ["bundle", "unpack"],
        abstract: "Unpack a bundle safely into a new directory.",
        discussion: """
            Every entry is checked before it is written (no links, no devices, no paths that \
            leave the directory, size and ratio limits). The result appears atomically at \
            <dir>; on any error nothing is left behind. <dir> must not exist.
            """,
        arguments: [ArgumentSpec("file", help: "The .stack file.")],
        options: [OptionSpec("output", short: "o", value: "dir", help: "The directory to create.")],
        run: runUnpack)

    static let all = [create, inspect, unpack]

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
        _ = try invocation.adapters.archive.create(from: source, to: output)
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
        let report = report(file, digests, inspection)
        invocation.emit(report, text: """
            created \(output.path)
              \(inspection.manifest.name) \(inspection.manifest.version), \(inspection.listing.entries.count) entries, \(digests.size) bytes
              sha256 \(digests.sha256)

            """)
    }

    static func runInspect(_ invocation: Invocation) async throws {
        let file = try BundleFile(path: invocation.url(invocation.argument(0) ?? "").path)
        let digests = try invocation.adapters.digester.digests(of: file)
        let inspection = try invocation.adapters.bundleWorkflow().inspect(file, limits: invocation.limits())
        let report = report(file, digests, inspection)
        invocation.emit(report, text: text(of: report))
    }

    static func runUnpack(_ invocation: Invocation) async throws {
        let file = try BundleFile(path: invocation.url(invocation.argument(0) ?? "").path)
        let destination = invocation.url(try invocation.require("output"))
        let inspection = try invocation.adapters.bundleWorkflow()
            .unpack(file, to: destination, limits: invocation.limits())
        struct UnpackReport: Encodable {
            let destination: String
            let name: String
            let version: String
            let entries: Int
            let expandedBytes: Int64
        }
        let m = inspection.manifest
        invocation.emit(UnpackReport(destination: destination.path, name: m.name, version: m.version.description,
                                     entries: inspection.listing.entries.count,
                                     expandedBytes: inspection.listing.expandedBytes),
                        text: "unpacked \(m.name) \(m.version) to \(destination.path) (\(inspection.listing.entries.count) entries, \(inspection.listing.expandedBytes) bytes)\n")
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
