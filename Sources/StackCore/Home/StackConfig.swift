import Foundation

/// `config.json`: settings of one home. Keys left out keep their defaults; unknown keys are
/// refused when loading so that a typo never silently falls back to a default.
public struct StackConfig: Sendable, Hashable, Codable {
    /// Catalog settings.
    public struct Catalog: Sendable, Hashable, Codable {
        /// One allowlist for CORS origins, download URLs and callback URLs.
        public var origins: [String] = ["https://stack.lol"]
        /// The expected `iss` of website tokens.
        public var issuer: String = "https://stack.lol"
        /// A PEM file of CA certificates that bundle downloads and callbacks trust instead of
        /// the system store (a catalog served with a private CA in development); empty: the
        /// system store.
        public var caFile: String = ""
    }
    /// API settings.
    public struct API: Sendable, Hashable, Codable {
        public var port: Int = 47100
        /// The website's pinned Ed25519 public key (base64 of the 32 raw bytes) for EdDSA
        /// tokens; empty: only HS256 tokens with the shared secret are accepted.
        public var websitePublicKey: String = ""
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
    /// Isolation settings: capability allowlist, resource ceilings and defaults.
    public var isolation = IsolationPolicy.default

    public init() {}

    /// The document as pretty, sorted JSON.
    public func encoded() -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        // Encoding plain value types cannot fail; fall back to an empty object regardless.
        return (try? encoder.encode(self)).map { $0 + Data("\n".utf8) } ?? Data("{}\n".utf8)
    }

    /// Loads `config.json` from `home`, or the defaults when the file is absent. Keys the
    /// file leaves out keep their defaults; unknown keys are refused.
    /// - Parameter home: The home.
    /// - Returns: The settings.
    /// - Throws: `config.invalid` naming the file and the offending key.
    public static func load(from home: StackHome) throws -> StackConfig {
        guard let data = FileManager.default.contents(atPath: home.configFile.path) else { return StackConfig() }
        return try decode(data, source: home.configFile.path)
    }

    /// Decodes a configuration document over the defaults.
    /// - Parameters:
    ///   - data: JSON text.
    ///   - source: Where it came from, for messages.
    /// - Returns: The settings.
    /// - Throws: `config.invalid` for malformed JSON, unknown keys or wrong types.
    public static func decode(_ data: Data, source: String) throws -> StackConfig {
        let invalid = { (detail: String, cause: (any Error)?) in
            StackError(.configInvalid, "\(source): \(detail)",
                       hint: "fix it with `stackctl config set`, by hand, or remove it to get the defaults", cause: cause)
        }
        let parsed: Any
        do {
            parsed = try JSONSerialization.jsonObject(with: data)
        } catch {
            throw invalid("not valid JSON", error)
        }
        guard let user = parsed as? [String: Any] else {
            throw invalid("not a JSON object", StackError(.configInvalid, "expected an object, found \(type(of: parsed))"))
        }
        guard let defaults = (try? JSONSerialization.jsonObject(with: StackConfig().encoded())) as? [String: Any] else {
            throw invalid("internal defaults did not encode", nil)
        }
        let merged = try merge(user, over: defaults, path: "") { throw invalid("\($0): unknown key", nil) }
        let config: StackConfig
        do {
            config = try JSONDecoder().decode(StackConfig.self, from: JSONSerialization.data(withJSONObject: merged))
        } catch let DecodingError.dataCorrupted(context) {
            let key = context.codingPath.map(\.stringValue).joined(separator: ".")
            if let allowed = enumValues[key] {
                throw invalid("\(key) must be one of \(allowed.joined(separator: ", "))", nil)
            }
            throw invalid("\(key): not a valid value", nil)
        } catch {
            throw invalid(StackError.describe(error), nil)
        }
        if !(enumValues["approval.mode"] ?? []).contains(config.approval.mode) {
            throw invalid("approval.mode must be one of \((enumValues["approval.mode"] ?? []).joined(separator: ", "))", nil)
        }
        if !(1...65535).contains(config.api.port) {
            throw invalid("api.port must be between 1 and 65535", nil)
        }
        for origin in config.catalog.origins where !isOrigin(origin) {
            throw invalid("catalog.origins: \"\(origin)\" is not an origin; write scheme://host[:port] in lower case, with no path "
                          + "or trailing slash (https, or http for local development), as a browser sends it", nil)
        }
        let caFile = config.catalog.caFile
        if !caFile.isEmpty {
            guard caFile.hasPrefix("/") else {
                throw invalid("catalog.caFile must be an absolute path, not \"\(caFile)\"", nil)
            }
            guard let data = FileManager.default.contents(atPath: caFile) else {
                throw invalid("catalog.caFile: cannot read \(caFile)", nil)
            }
            guard String(decoding: data, as: UTF8.self).contains("-----BEGIN CERTIFICATE-----") else {
                throw invalid("catalog.caFile: \(caFile) holds no PEM certificate (-----BEGIN CERTIFICATE-----)", nil)
            }
        }
        return config
    }

    /// Whether `text` is an origin as a browser sends it: `https://host[:port]` (or `http`).
    static func isOrigin(_ text: String) -> Bool {
        guard let components = URLComponents(string: text), let scheme = components.scheme,
              scheme == "https" || scheme == "http", let host = components.host, !host.isEmpty,
              components.path.isEmpty, components.query == nil, components.fragment == nil,
              components.user == nil, components.password == nil, host == host.lowercased()
        else { return false }
        return text == "\(scheme)://\(components.percentEncodedHost ?? host)" + (components.port.map { ":\($0)" } ?? "")
    }

    /// Settings that take one of a few words, with those words.
    public static let enumValues: [String: [String]] = [
        "approval.mode": ["prompt", "deny"],
        "isolation.hostFirewall": HostFirewallMode.allCases.map(\.rawValue),
    ]

    /// Deep-merges `user` over `defaults`, refusing keys the defaults do not have.
    static func merge(_ user: [String: Any], over defaults: [String: Any], path: String,
                      unknown: (String) throws -> Never) throws -> [String: Any] {
        var result = defaults
        for (key, value) in user {
            let keyPath = path.isEmpty ? key : path + "." + key
            guard let base = defaults[key] else { try unknown(keyPath) }
            if let baseObject = base as? [String: Any], let userObject = value as? [String: Any] {
                result[key] = try merge(userObject, over: baseObject, path: keyPath, unknown: unknown)
            } else {
                result[key] = value
            }
        }
        return result
    }
}
