import Foundation

/// `config.json`: settings of one home. Unknown keys are refused when loading so that a
/// typo never silently falls back to a default.
public struct StackConfig: Sendable, Hashable, Codable {
    /// Catalog settings.
    public struct Catalog: Sendable, Hashable, Codable {
        /// One allowlist for CORS origins, download URLs and callback URLs.
        public var origins: [String] = ["https://stack.lol"]
        /// The expected `iss` of website tokens.
        public var issuer: String = "https://stack.lol"
    }
    /// API settings.
    public struct API: Sendable, Hashable, Codable {
        public var port: Int = 47100
    }
    /// Approval settings.
    public struct Approval: Sendable, Hashable, Codable {
        /// `prompt` (ask unless trusted) or `deny` (never run an untrusted stack).
        public var mode: String = "prompt"
    }

    public var catalog = Catalog()
    public var api = API()
    public var approval = Approval()
    /// Bundle limits.
    public var limits = BundleLimits.default

    public init() {}

    /// The document as pretty, sorted JSON.
    public func encoded() -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        // Encoding plain value types cannot fail; fall back to an empty object regardless.
        return (try? encoder.encode(self)).map { $0 + Data("\n".utf8) } ?? Data("{}\n".utf8)
    }

    /// Loads `config.json` from `home`, or the defaults when the file is absent.
    /// - Parameter home: The home.
    /// - Returns: The settings.
    /// - Throws: `config.invalid` naming the file when it does not parse.
    public static func load(from home: StackHome) throws -> StackConfig {
        guard let data = FileManager.default.contents(atPath: home.configFile.path) else { return StackConfig() }
        do {
            return try JSONDecoder().decode(StackConfig.self, from: data)
        } catch {
            throw StackError(.configInvalid, "\(home.configFile.path) is not a valid configuration",
                             hint: "fix it by hand or remove it to get the defaults", cause: error)
        }
    }
}
