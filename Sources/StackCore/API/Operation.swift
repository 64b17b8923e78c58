import Foundation

/// What the website asks for in `POST /v1/stacks`.
public struct OperationRequest: Sendable, Hashable, Codable {
    public var bundleURL: String
    public var sha256: String
    public var signatureURL: String?
    public var name: String?
    public var version: String?
    public var callbackURL: String?

    enum CodingKeys: String, CodingKey {
        case bundleURL = "bundle_url", sha256, signatureURL = "signature_url", name, version
        case callbackURL = "callback_url"
    }

    public init(bundleURL: String, sha256: String, signatureURL: String? = nil, name: String? = nil,
                version: String? = nil, callbackURL: String? = nil) {
        self.bundleURL = bundleURL
        self.sha256 = sha256
        self.signatureURL = signatureURL
        self.name = name
        self.version = version
        self.callbackURL = callbackURL
    }
}

/// One install-and-run operation started through the API (DESIGN §6).
public struct Operation: Sendable, Hashable, Codable {
    /// The states an operation moves through, in order; the last three are final.
    public enum State: String, Sendable, Hashable, Codable, CaseIterable {
        case received, downloading, verifying
        case awaitingApproval = "awaiting_approval"
        case unpacking, starting, running, failed, declined

        /// Whether the operation has ended.
        public var isFinal: Bool { self == .running || self == .failed || self == .declined }
    }

    /// An operation's error.
    public struct Failure: Sendable, Hashable, Codable {
        public var code: String
        public var message: String
    }

    public var id: String
    public var state: State
    public var request: OperationRequest
    public var createdAt: Date
    public var updatedAt: Date
    /// Bytes downloaded so far, and the total when known.
    public var downloadedBytes: Int64
    public var totalBytes: Int64?
    /// The stack, once known (from the request or the manifest).
    public var stack: String?
    public var version: String?
    public var urls: [StackURL]
    public var error: Failure?

    public init(id: String, request: OperationRequest, now: Date) {
        self.id = id
        self.state = .received
        self.request = request
        self.createdAt = now
        self.updatedAt = now
        self.downloadedBytes = 0
        self.stack = request.name
        self.version = request.version
        self.urls = []
    }
}

/// An event for `GET /v1/events`.
public struct APIEvent: Sendable, Hashable {
    /// `operation`, `stack` or `alert`.
    public var type: String
    /// The event's JSON document.
    public var json: String
    public init(type: String, json: String) {
        self.type = type
        self.json = json
    }
}

/// Operations in memory, with a broadcast of every change.
public actor OperationStore {
    private var operations: [String: Operation] = [:]
    private var order: [String] = []
    private var subscribers: [UUID: AsyncStream<APIEvent>.Continuation] = [:]
    private let clock: any WallClock
    /// Most operations kept; the oldest final ones are forgotten first.
    private let capacity: Int

    public init(clock: some WallClock = SystemWallClock(), capacity: Int = 500) {
        self.clock = clock
        self.capacity = capacity
    }

    /// Creates an operation in state `received`.
    public func create(_ request: OperationRequest) -> Operation {
        let operation = Operation(id: UUID().uuidString.lowercased(), request: request, now: clock.now())
        operations[operation.id] = operation
        order.append(operation.id)
        trim()
        publish(operation)
        return operation
    }

    /// The operation with `id`.
    public func get(_ id: String) -> Operation? { operations[id] }

    /// Every operation, oldest first.
    public func all() -> [Operation] { order.compactMap { operations[$0] } }

    /// An unfinished operation for the same bundle digest, for coalescing duplicates.
    public func inFlight(sha256: String) -> Operation? {
        all().first { !$0.state.isFinal && $0.request.sha256.lowercased() == sha256.lowercased() }
    }

    /// Changes an operation and publishes it; final states never change again.
    @discardableResult
    public func update(_ id: String, _ change: (inout Operation) -> Void) -> Operation? {
        guard var operation = operations[id], !operation.state.isFinal else { return operations[id] }
        change(&operation)
        operation.updatedAt = clock.now()
        operations[id] = operation
        publish(operation)
        return operation
    }

    /// Publishes an event that is not an operation change (stack changes, alerts).
    public func publish(_ event: APIEvent) {
        for continuation in subscribers.values { continuation.yield(event) }
    }

    /// Subscribes to events; the stream ends when the caller stops iterating.
    public func subscribe() -> AsyncStream<APIEvent> {
        let id = UUID()
        let (stream, continuation) = AsyncStream.makeStream(of: APIEvent.self, bufferingPolicy: .bufferingNewest(256))
        subscribers[id] = continuation
        continuation.onTermination = { [weak self] _ in
            Task { await self?.unsubscribe(id) }
        }
        return stream
    }

    private func unsubscribe(_ id: UUID) { subscribers[id] = nil }

    private func publish(_ operation: Operation) {
        publish(APIEvent(type: "operation", json: APIJSON.encode(operation)))
    }

    private func trim() {
        while order.count > capacity, let index = order.firstIndex(where: { operations[$0]?.state.isFinal ?? true }) {
            operations[order[index]] = nil
            order.remove(at: index)
        }
    }
}

/// JSON as the API writes it: sorted keys, ISO-8601 dates, snake_case.
public enum APIJSON {
    /// Encodes `value` compactly.
    public static func encode(_ value: some Encodable) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        encoder.keyEncodingStrategy = .convertToSnakeCase
        guard let data = try? encoder.encode(value) else { return "{}" }
        return String(decoding: data, as: UTF8.self)
    }
}
