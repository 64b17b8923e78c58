import StackBundle
import StackCore
import StackSecurity

/// The composition root: the one place where real adapters are built and wired. Tests
/// and embedders may pass their own.
public struct Adapters: Sendable {
    public var archive: any ArchiveFormat
    public var decoder: any ManifestDecoder
    public var digester: any Digester

    public init(archive: any ArchiveFormat, decoder: any ManifestDecoder, digester: any Digester) {
        self.archive = archive
        self.decoder = decoder
        self.digester = digester
    }

    /// The production adapters: libarchive, libyaml, OpenSSL.
    public static func live() -> Adapters {
        Adapters(archive: LibArchiveFormat(), decoder: LibYAMLManifestDecoder(), digester: OpenSSLDigester())
    }

    /// The bundle use case over these adapters.
    func bundleWorkflow(logger: Logger? = nil) -> BundleWorkflow {
        BundleWorkflow(format: archive, decoder: decoder, logger: logger)
    }
}
