extension Docker {
    /// One container, as listed by `GET /containers/json`.
    public struct ContainerSummary: Sendable, Hashable, Codable {
        /// A published or exposed port of a container.
        public struct Port: Sendable, Hashable, Codable {
            /// The host address it is published on, when published.
            public var ip: String?
            /// The port inside the container.
            public var privatePort: Int
            /// The host port, when published.
            public var publicPort: Int?
            /// `tcp`, `udp` or `sctp`.
            public var type: String

            /// Creates a port record.
            /// - Parameters:
            ///   - ip: The host address, when published.
            ///   - privatePort: The port inside the container.
            ///   - publicPort: The host port, when published.
            ///   - type: The protocol.
            public init(ip: String? = nil, privatePort: Int, publicPort: Int? = nil, type: String = "tcp") {
                self.ip = ip
                self.privatePort = privatePort
                self.publicPort = publicPort
                self.type = type
            }

            enum CodingKeys: String, CodingKey {
                case ip = "IP"
                case privatePort = "PrivatePort"
                case publicPort = "PublicPort"
                case type = "Type"
            }
        }

        /// The full container id.
        public var id: String
        /// Its names, each with a leading `/`.
        public var names: [String]
        /// The image as the container was created with it (a name or an id).
        public var image: String
        /// The image id (`sha256:…`).
        public var imageID: String
        /// `created`, `running`, `paused`, `restarting`, `removing`, `exited` or `dead`.
        public var state: String
        /// The human status, such as `Up 2 minutes`.
        public var status: String
        /// Creation time, seconds since 1970.
        public var created: Int64
        /// Its labels (compose and `lol.stack.*` labels among them).
        public var labels: [String: String]
        /// Its ports.
        public var ports: [Port]

        /// Creates a container record.
        /// - Parameters:
        ///   - id: The container id.
        ///   - names: Its names.
        ///   - image: Its image reference.
        ///   - imageID: Its image id.
        ///   - state: Its state.
        ///   - status: Its human status.
        ///   - created: Creation time, seconds since 1970.
        ///   - labels: Its labels.
        ///   - ports: Its ports.
        public init(id: String, names: [String] = [], image: String = "", imageID: String = "",
                    state: String = "", status: String = "", created: Int64 = 0,
                    labels: [String: String] = [:], ports: [Port] = []) {
            self.id = id
            self.names = names
            self.image = image
            self.imageID = imageID
            self.state = state
            self.status = status
            self.created = created
            self.labels = labels
            self.ports = ports
        }

        enum CodingKeys: String, CodingKey {
            case id = "Id"
            case names = "Names"
            case image = "Image"
            case imageID = "ImageID"
            case state = "State"
            case status = "Status"
            case created = "Created"
            case labels = "Labels"
            case ports = "Ports"
        }

        /// Decodes the engine's JSON, where absent lists and maps are `null`.
        /// - Parameter decoder: The decoder.
        /// - Throws: `DecodingError` when a required field is missing or mistyped.
        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            id = try container.decode(String.self, forKey: .id)
            names = try container.decodeIfPresent([String].self, forKey: .names) ?? []
            image = try container.decodeIfPresent(String.self, forKey: .image) ?? ""
            imageID = try container.decodeIfPresent(String.self, forKey: .imageID) ?? ""
            state = try container.decodeIfPresent(String.self, forKey: .state) ?? ""
            status = try container.decodeIfPresent(String.self, forKey: .status) ?? ""
            created = try container.decodeIfPresent(Int64.self, forKey: .created) ?? 0
            labels = try container.decodeIfPresent([String: String].self, forKey: .labels) ?? [:]
            ports = try container.decodeIfPresent([Port].self, forKey: .ports) ?? []
        }
    }
}
