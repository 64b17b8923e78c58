import Foundation
import StackAPI
import StackBundle
import StackCore
import StackDocker
import StackSecurity

/// The composition root: the one place where real adapters are built and wired. Tests
/// and embedders may pass their own.
public struct Adapters: Sendable {
    public var archive: any ArchiveFormat
    public var decoder: any ManifestDecoder
    public var digester: any Digester
    public var http: any HTTPClient
    /// Builds the runtimes for a home (the compose runtime by default); replace it to
    /// register your own flavors or a test double.
    public var runtimes: @Sendable (StackHome, [String: String], IsolationPolicy) throws -> RuntimeRegistry
    /// Builds the approval prompter (a terminal prompt by default).
    public var prompter: @Sendable (any Console) -> any ApprovalPrompter
    /// Builds the Docker Engine client for an environment (`DOCKER_HOST`); `doctor` and the
    /// compose runtime use the same one.
    public var engine: @Sendable ([String: String]) throws -> Docker.EngineClient
    /// Builds the host firewall guard for an environment.
    public var networkGuard: @Sendable ([String: String]) -> any NetworkGuard

    public init(archive: any ArchiveFormat, decoder: any ManifestDecoder, digester: any Digester,
                http: any HTTPClient,
                runtimes: @escaping @Sendable (StackHome, [String: String], IsolationPolicy) throws -> RuntimeRegistry,
                prompter: @escaping @Sendable (any Console) -> any ApprovalPrompter,
                engine: @escaping @Sendable ([String: String]) throws -> Docker.EngineClient,
                networkGuard: @escaping @Sendable ([String: String]) -> any NetworkGuard) {
        self.archive = archive
        self.decoder = decoder
        self.digester = digester
        self.http = http
        self.runtimes = runtimes
        self.prompter = prompter
        self.engine = engine
        self.networkGuard = networkGuard
    }

    /// The production adapters: libarchive, libyaml, OpenSSL, libcurl, Docker Compose.
    public static func live() -> Adapters {
        let http = CurlHTTPClient()
        let engine: @Sendable ([String: String]) throws -> Docker.EngineClient = { environment in
            try Docker.EngineClient(http: http, environment: environment)
        }
        let networkGuard: @Sendable ([String: String]) -> any NetworkGuard = { environment in
            Docker.IPTablesNetworkGuard(environment: environment)
        }
        return Adapters(
            archive: LibArchiveFormat(), decoder: LibYAMLManifestDecoder(), digester: OpenSSLDigester(),
            http: http,
            runtimes: { home, environment, policy in
                var registry = RuntimeRegistry()
                registry.register(Docker.ComposeRuntime(
                    engine: try engine(environment), home: home, environment: environment, policy: policy,
                    networkGuard: networkGuard(environment)))
                return registry
            },
            prompter: { console in TerminalApprovalPrompter(console: console) },
            engine: engine, networkGuard: networkGuard)
    }

    /// The bundle use case over these adapters.
    func bundleWorkflow(logger: Logger? = nil) -> BundleWorkflow {
        BundleWorkflow(format: archive, decoder: decoder, logger: logger)
    }
}
