import Foundation

/// Files of a small valid bundle and helpers for temporary directories.
public enum Fixtures {
    /// A valid `stack.yaml`.
    public static let manifest = """
        name: hello-web
        version: 1.2.0
        flavor: compose
        title: Hello Web
        description: A tiny web page.
        publisher: Example Inc.
        compose: compose.yaml
        resources: {cpus: 0.5, memory: 64m, pids: 64}
        network: {egress: false}
        ports:
          - {service: web, port: 8080, label: Web UI, open: true}
        volumes: [data]

        """

    /// A valid compose file for ``manifest``.
    public static let compose = """
        services:
          web:
            image: stacktest/busybox:1
            command: ["httpd", "-f", "-p", "8080", "-h", "/www"]
            ports:
              - "8080:8080"
            volumes:
              - data:/data

        """

    /// A tar builder holding a valid bundle (manifest, compose, a README in a folder).
    public static func validBundle() -> TarBuilder {
        var tar = TarBuilder()
        tar.add("stack.yaml", text: manifest)
        tar.add("compose.yaml", text: compose)
        tar.add("docs", .directory)
        tar.add("docs/README.md", text: "# Hello\n")
        return tar
    }

    /// Writes the valid bundle's files as a source tree below `directory`.
    public static func writeSourceTree(to directory: URL) throws {
        let fm = FileManager.default
        try fm.createDirectory(at: directory.appendingPathComponent("docs"), withIntermediateDirectories: true)
        try Data(manifest.utf8).write(to: directory.appendingPathComponent("stack.yaml"))
        try Data(compose.utf8).write(to: directory.appendingPathComponent("compose.yaml"))
        try Data("# Hello\n".utf8).write(to: directory.appendingPathComponent("docs/README.md"))
    }
}

/// A temporary directory removed when released.
public final class TemporaryDirectory: Sendable {
    /// Its location.
    public let url: URL

    /// Creates a fresh private directory under the system temp dir.
    public init(_ label: String = "stacktest") throws {
        url = FileManager.default.temporaryDirectory
            .appendingPathComponent("\(label)-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    /// A path inside the directory.
    public func path(_ relative: String) -> URL { url.appendingPathComponent(relative) }

    /// Every path below the directory, relative and sorted (links are not followed).
    public func snapshot() -> [String] {
        let fm = FileManager.default
        guard let walker = fm.enumerator(atPath: url.path) else { return [] }
        var paths: [String] = []
        while let next = walker.nextObject() as? String { paths.append(next) }
        return paths.sorted()
    }

    deinit { try? FileManager.default.removeItem(at: url) }
}
