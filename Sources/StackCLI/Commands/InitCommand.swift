import Foundation
import StackCore
import StackSecurity

enum InitCommand {
    static let spec = CommandSpec(
        path: ["init"],
        abstract: "Create the Stack Desktop home (config, keys, state folders).",
        discussion: "Safe to run again: existing files are kept.",
        run: run)

    struct Report: Encodable {
        let home: String
        let created: [String]
    }

    static func run(_ invocation: Invocation) async throws {
        let home = invocation.home
        var created = try home.initialize()
        if !FileManager.default.fileExists(atPath: home.apiSecretFile.path) {
            try SharedSecret.generate().write(to: home.apiSecretFile)
            created.append(home.apiSecretFile.path)
        }
        let (_, generated) = try LoopbackCertificate.ensure(in: home.tlsDirectory)
        if generated { created.append(home.tlsDirectory.appendingPathComponent("cert.pem").path) }
        invocation.emit(Report(home: home.root.path, created: created),
                        text: created.isEmpty
                            ? "\(home.root.path) is already initialised\n"
                            : "initialised \(home.root.path)\n")
    }
}
