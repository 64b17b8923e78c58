import Foundation

/// A small logger in the shape of swift-log: a label, levels, metadata and a pluggable
/// ``LogHandler``. Libraries take `logger: Logger? = nil`; only `stackctl` installs a
/// handler. Secrets, keys and tokens are never logged.
public struct Logger: Sendable {
    /// Severity, from most to least verbose.
    public enum Level: Int, Sendable, Comparable, CaseIterable, CustomStringConvertible {
        case trace, debug, info, notice, warning, error, critical

        public static func < (lhs: Level, rhs: Level) -> Bool { lhs.rawValue < rhs.rawValue }
        public var description: String {
            switch self {
            case .trace: "trace"
            case .debug: "debug"
            case .info: "info"
            case .notice: "notice"
            case .warning: "warning"
            case .error: "error"
            case .critical: "critical"
            }
        }
    }

    /// Structured key/value context attached to a message.
    public typealias Metadata = [String: String]

    /// The subsystem that logs (`stack.bundle`, `stack.api`, …).
    public let label: String
    /// Metadata added to every message of this logger.
    public var metadata: Metadata = [:]
    private let handler: any LogHandler

    /// Creates a logger that writes through the handler installed with
    /// ``LoggingSystem/bootstrap(_:)`` (silent until one is installed).
    /// - Parameter label: The subsystem name.
    public init(label: String) {
        self.label = label
        self.handler = LoggingSystem.handler
    }

    /// Creates a logger that writes through `handler`.
    /// - Parameters:
    ///   - label: The subsystem name.
    ///   - handler: Where messages go.
    public init(label: String, handler: any LogHandler) {
        self.label = label
        self.handler = handler
    }

    /// Logs a message when `level` is at or above the handler's level.
    /// - Parameters:
    ///   - level: The severity.
    ///   - message: The text, built only when it will be written.
    ///   - metadata: Extra context for this message.
    public func log(_ level: Level, _ message: @autoclosure () -> String,
                    metadata extra: Metadata = [:]) {
        guard level >= handler.logLevel else { return }
        let merged = metadata.merging(extra) { _, new in new }
        handler.log(level: level, label: label, message: message(), metadata: merged)
    }

    /// Logs at ``Level/debug``.
    public func debug(_ message: @autoclosure () -> String, metadata: Metadata = [:]) {
        log(.debug, message(), metadata: metadata)
    }
    /// Logs at ``Level/info``.
    public func info(_ message: @autoclosure () -> String, metadata: Metadata = [:]) {
        log(.info, message(), metadata: metadata)
    }
    /// Logs at ``Level/warning``.
    public func warning(_ message: @autoclosure () -> String, metadata: Metadata = [:]) {
        log(.warning, message(), metadata: metadata)
    }
    /// Logs at ``Level/error``.
    public func error(_ message: @autoclosure () -> String, metadata: Metadata = [:]) {
        log(.error, message(), metadata: metadata)
    }
}

/// A destination for log messages.
public protocol LogHandler: Sendable {
    /// Messages below this level are dropped before they are built.
    var logLevel: Logger.Level { get }
    /// Writes one message.
    /// - Parameters:
    ///   - level: Its severity.
    ///   - label: The logger's label.
    ///   - message: The text.
    ///   - metadata: Context, merged from the logger and the call.
    func log(level: Logger.Level, label: String, message: String, metadata: Logger.Metadata)
}

/// A handler that drops everything; the default until a process installs one.
public struct SwallowLogHandler: LogHandler {
    public init() {}
    public var logLevel: Logger.Level { .critical }
    public func log(level: Logger.Level, label: String, message: String, metadata: Logger.Metadata) {}
}

/// A handler that writes one line per message to standard error.
public struct StandardErrorLogHandler: LogHandler {
    public let logLevel: Logger.Level

    /// Creates the handler.
    /// - Parameter level: The lowest level written.
    public init(level: Logger.Level = .info) { self.logLevel = level }

    public func log(level: Logger.Level, label: String, message: String, metadata: Logger.Metadata) {
        var line = "\(level) \(label): \(message)"
        for (key, value) in metadata.sorted(by: { $0.key < $1.key }) { line += " \(key)=\(value)" }
        FileHandle.standardError.write(Data((line + "\n").utf8))
    }
}

/// The process-wide default handler.
public enum LoggingSystem {
    private static let box = LockedBox<any LogHandler>(SwallowLogHandler())

    /// Installs the handler new ``Logger``s write through. Call once, from the executable.
    /// - Parameter handler: The handler.
    public static func bootstrap(_ handler: any LogHandler) { box.withLock { $0 = handler } }

    static var handler: any LogHandler { box.withLock { $0 } }
}
