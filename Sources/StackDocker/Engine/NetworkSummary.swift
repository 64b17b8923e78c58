extension Docker {
    /// One network, as listed by `GET /networks`.
    public struct NetworkSummary: Sendable, Hashable, Codable {
        public var id: String
        public var name: String
        public var driver: String
        public var labels: [String: String]
        /// Driver options (`com.docker.network.bridge.enable_ip_masquerade`, …).
        public var options: [String: String]

        enum CodingKeys: String, CodingKey {
            case id = "Id", name = "Name", driver = "Driver", labels = "Labels", options = "Options"
        }

        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            id = try c.decode(String.self, forKey: .id)
            name = try c.decode(String.self, forKey: .name)
            driver = try c.decodeIfPresent(String.self, forKey: .driver) ?? ""
            labels = try c.decodeIfPresent([String: String].self, forKey: .labels) ?? [:]
            options = try c.decodeIfPresent([String: String].self, forKey: .options) ?? [:]
        }
    }
}
