extension Docker {
    /// One image, as listed by `GET /images/json`.
    public struct ImageSummary: Sendable, Hashable, Codable {
        /// The image id (`sha256:…`).
        public var id: String
        /// Its `repository:tag` names; empty for a dangling image.
        public var repoTags: [String]
        /// Its `repository@sha256:…` names; empty for an image that was never pushed or
        /// pulled.
        public var repoDigests: [String]
        /// Creation time, seconds since 1970.
        public var created: Int64
        /// Size in bytes.
        public var size: Int64
        /// The image's labels.
        public var labels: [String: String]

        /// Creates an image record.
        /// - Parameters:
        ///   - id: The image id.
        ///   - repoTags: Its `repository:tag` names.
        ///   - repoDigests: Its `repository@digest` names.
        ///   - created: Creation time, seconds since 1970.
        ///   - size: Size in bytes.
        ///   - labels: Its labels.
        public init(id: String, repoTags: [String] = [], repoDigests: [String] = [], created: Int64 = 0,
                    size: Int64 = 0, labels: [String: String] = [:]) {
            self.id = id
            self.repoTags = repoTags
            self.repoDigests = repoDigests
            self.created = created
            self.size = size
            self.labels = labels
        }

        enum CodingKeys: String, CodingKey {
            case id = "Id"
            case repoTags = "RepoTags"
            case repoDigests = "RepoDigests"
            case created = "Created"
            case size = "Size"
            case labels = "Labels"
        }

        /// Decodes the engine's JSON, where absent lists and maps are `null`.
        /// - Parameter decoder: The decoder.
        /// - Throws: `DecodingError` when a required field is missing or mistyped.
        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            id = try container.decode(String.self, forKey: .id)
            repoTags = try container.decodeIfPresent([String].self, forKey: .repoTags) ?? []
            repoDigests = try container.decodeIfPresent([String].self, forKey: .repoDigests) ?? []
            created = try container.decodeIfPresent(Int64.self, forKey: .created) ?? 0
            size = try container.decodeIfPresent(Int64.self, forKey: .size) ?? 0
            labels = try container.decodeIfPresent([String: String].self, forKey: .labels) ?? [:]
        }
    }
}
