import StackCore
import Testing

/// A ``LogHandler`` that keeps every message it is given, for assertions.
struct RecordingLogHandler: LogHandler {
    /// One logged message.
    struct Record: Sendable, Hashable {
        var level: Logger.Level
        var label: String
        var message: String
        var metadata: Logger.Metadata
    }

    let logLevel: Logger.Level
    /// Every message written so far, in order.
    let records = LockedBox<[Record]>([])

    /// Creates the handler.
    /// - Parameter level: The lowest level it accepts.
    init(level: Logger.Level) { self.logLevel = level }

    func log(level: Logger.Level, label: String, message: String, metadata: Logger.Metadata) {
        records.withLock { $0.append(Record(level: level, label: label, message: message, metadata: metadata)) }
    }

    /// The messages written so far.
    var all: [Record] { records.withLock { $0 } }
}

@Suite("Logger")
struct LoggerTests {
    @Test("a handler receives messages at or above its level only", arguments: Logger.Level.allCases)
    func levels(_ threshold: Logger.Level) {
        let handler = RecordingLogHandler(level: threshold)
        let logger = Logger(label: "stack.test", handler: handler)
        for level in Logger.Level.allCases { logger.log(level, "at \(level)") }
        let expected = Logger.Level.allCases.filter { $0 >= threshold }
        #expect(handler.all.map(\.level) == expected)
        #expect(handler.all.map(\.message) == expected.map { "at \($0)" })
        #expect(handler.all.allSatisfy { $0.label == "stack.test" })
    }

    @Test("the convenience methods log at their level")
    func convenience() {
        let handler = RecordingLogHandler(level: .trace)
        let logger = Logger(label: "l", handler: handler)
        logger.debug("d")
        logger.info("i")
        logger.warning("w")
        logger.error("e")
        #expect(handler.all.map(\.level) == [.debug, .info, .warning, .error])
        #expect(handler.all.map(\.message) == ["d", "i", "w", "e"])
    }

    @Test("call-site metadata is merged over the logger's")
    func metadataMerge() {
        let handler = RecordingLogHandler(level: .info)
        var logger = Logger(label: "l", handler: handler)
        logger.metadata = ["stack": "hello-web", "source": "logger"]
        logger.info("one", metadata: ["source": "call", "entries": "4"])
        logger.info("two")
        #expect(handler.all.map(\.metadata) == [
            ["stack": "hello-web", "source": "call", "entries": "4"],
            ["stack": "hello-web", "source": "logger"],
        ])
        #expect(logger.metadata == ["stack": "hello-web", "source": "logger"])
    }

    @Test("the message is not built below the level, and built once at or above it")
    func lazyMessage() {
        let handler = RecordingLogHandler(level: .warning)
        let logger = Logger(label: "l", handler: handler)
        var built = 0
        func expensive() -> String {
            built += 1
            return "built"
        }
        logger.debug(expensive())
        logger.info(expensive())
        logger.log(.trace, expensive())
        #expect(built == 0)
        logger.warning(expensive())
        logger.log(.critical, expensive())
        #expect(built == 2)
        #expect(handler.all.map(\.message) == ["built", "built"])
    }

    @Test("levels are ordered and named")
    func levelNames() {
        #expect(Logger.Level.allCases.sorted() == [.trace, .debug, .info, .notice, .warning, .error, .critical])
        #expect(Logger.Level.allCases.map(\.description)
            == ["trace", "debug", "info", "notice", "warning", "error", "critical"])
    }
}
