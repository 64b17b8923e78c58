import Foundation

/// The state of a stack on its runtime.
public enum StackRunState: String, Sendable, Hashable, Codable {
    case running, stopped, partial, absent, failed
    /// The runtime could not be asked (the engine is unreachable).
    case unknown
}

/// A stack ready to be run: its vetted plan and where its files are.
public struct RunnableStack: Sendable, Hashable {
    /// What runs and what it is granted; the runtime renders exactly this.
    public var plan: StackPlan
    /// The unpacked, read-only bundle.
    public var bundleDirectory: URL
    /// Where the runtime may write rendered files.
    public var runDirectory: URL
    /// Where the stack's named volumes live.
    public var volumesDirectory: URL

    public init(plan: StackPlan, bundleDirectory: URL, runDirectory: URL, volumesDirectory: URL) {
        self.plan = plan
        self.bundleDirectory = bundleDirectory
        self.runDirectory = runDirectory
        self.volumesDirectory = volumesDirectory
    }

    /// The stack's name.
    public var name: String { plan.name }
}

/// Runs stacks of one flavor. The compose adapter (StackDocker) is the built-in one; users
/// register their own for other engines.
public protocol ContainerRuntime: Sendable {
    /// The flavor this runtime serves (`compose`).
    var flavor: String { get }
    /// Creates and starts the stack; on failure removes what it made.
    func up(_ stack: RunnableStack) async throws
    /// Stops and removes the stack's containers and networks (data is kept).
    func down(stackName: String) async throws
    /// Starts a stopped stack.
    func start(stackName: String) async throws
    /// Stops a running stack.
    func stop(stackName: String) async throws
    /// Reports the stack's state.
    func status(stackName: String) async throws -> StackRunState
    /// The stack's containers with their state and published ports.
    func containers(stackName: String) async throws -> [StackContainer]
    /// Recent log output of every container of the stack.
    func logs(stackName: String, tail: Int?) async throws -> String
    /// Follows the logs of every container of the stack until `onText` returns `false` or
    /// the containers stop. Runtimes that cannot follow need not implement it.
    func followLogs(stackName: String, tail: Int?, onText: @escaping @Sendable (String) -> Bool) async throws
}

extension ContainerRuntime {
    /// The default: following is not supported.
    public func followLogs(stackName: String, tail: Int?, onText: @escaping @Sendable (String) -> Bool) async throws {
        throw StackError(.runtimeUnknownFlavor, "the \(flavor) runtime cannot follow logs")
    }
}

/// One container of a running stack, as a runtime reports it.
public struct StackContainer: Sendable, Hashable, Codable {
    public var service: String
    public var id: String
    /// `running`, `exited`, …
    public var state: String
    /// Published ports as `host:port->containerPort/proto`.
    public var ports: [String]
    public init(service: String, id: String, state: String, ports: [String]) {
        self.service = service
        self.id = id
        self.state = state
        self.ports = ports
    }
}

/// Maps flavors to runtimes.
public struct RuntimeRegistry: Sendable {
    private var runtimes: [String: any ContainerRuntime] = [:]
    public init() {}
    /// Registers (or replaces) the runtime for its flavor.
    /// - Parameter runtime: The runtime.
    public mutating func register(_ runtime: any ContainerRuntime) { runtimes[runtime.flavor] = runtime }
    /// The runtime for `flavor`.
    /// - Parameter flavor: A manifest's flavor.
    /// - Returns: The runtime, or `nil` when none is registered.
    public func runtime(for flavor: String) -> (any ContainerRuntime)? { runtimes[flavor] }
    /// Registered flavors, sorted.
    public var flavors: [String] { runtimes.keys.sorted() }
}
