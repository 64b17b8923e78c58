extension Docker {
    /// What `GET /version` reports about the engine.
    public struct EngineVersion: Sendable, Hashable, Codable {
        /// The engine release, such as `20.10.24`.
        public var version: String
        /// The newest API version the engine speaks, such as `1.41`.
        public var apiVersion: String
        /// The engine's operating system (`linux`).
        public var os: String
        /// The engine's CPU architecture (`amd64`, `arm64`).
        public var arch: String

        /// Creates a version record.
        /// - Parameters:
        ///   - version: The engine release.
        ///   - apiVersion: The newest API version it speaks.
        ///   - os: Its operating system.
        ///   - arch: Its CPU architecture.
        public init(version: String, apiVersion: String, os: String, arch: String) {
            self.version = version
            self.apiVersion = apiVersion
            self.os = os
            self.arch = arch
        }

        enum CodingKeys: String, CodingKey {
            case version = "Version"
            case apiVersion = "ApiVersion"
            case os = "Os"
            case arch = "Arch"
        }
    }
}
