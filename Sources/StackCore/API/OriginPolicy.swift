import Foundation

/// `catalog.origins`: one allowlist for CORS origins, download URLs and callback URLs
/// (DESIGN §6). Origins are compared exactly (scheme, host, port); plain `http://` is
/// accepted only when configured explicitly.
public struct OriginPolicy: Sendable, Hashable {
    /// The configured origins, normalised (`https://stack.lol`, `http://127.0.0.1:8000`).
    public let origins: Set<String>

    /// Creates the policy.
    /// - Parameter origins: `catalog.origins` from the config.
    public init(origins: [String]) {
        self.origins = Set(origins.compactMap(Self.origin(of:)))
    }

    /// The origin (`scheme://host[:port]`, default ports dropped) of a URL, or `nil` for
    /// anything that is not a plain http(s) URL (userinfo, fragments-only, other schemes).
    public static func origin(of text: String) -> String? {
        guard let components = URLComponents(string: text), let scheme = components.scheme?.lowercased(),
              scheme == "https" || scheme == "http", let host = components.host?.lowercased(), !host.isEmpty,
              components.user == nil, components.password == nil else { return nil }
        var origin = "\(scheme)://\(host)"
        if let port = components.port, !(scheme == "https" && port == 443) && !(scheme == "http" && port == 80) {
            origin += ":\(port)"
        }
        return origin
    }

    /// Whether a browser `Origin` header value is allowed (exact match).
    public func allowsOrigin(_ origin: String) -> Bool {
        Self.origin(of: origin).map { origins.contains($0) && $0 == origin.lowercased() } ?? false
    }

    /// Whether `url` may be fetched or called back.
    public func allowsURL(_ url: String) -> Bool {
        Self.origin(of: url).map(origins.contains) ?? false
    }
}
