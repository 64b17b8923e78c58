import Foundation
import StackAPI
import StackCore
import StackDocker
import StackTestSupport
import Testing

/// Streaming parts of the Engine API client against the real engine.
@Suite("Docker.EngineClient streams on the real engine", .serialized)
struct EngineStreamTests {
    static func docker(_ arguments: [String]) async throws -> Docker.ProcessResult {
        try await Docker.Subprocess.run(["docker"] + arguments, environment: ProcessInfo.processInfo.environment, timeout: 60)
    }

    @Test("events streams a labelled container's create and start; stats and followed logs of a running container")
    func eventsStatsLogs() async throws {
        let engine = try Docker.EngineClient(http: CurlHTTPClient())
        let label = "lol.stack.test=\(UUID().uuidString.prefix(8))"
        let since = Date()
        let run = try await Self.docker(["run", "-d", "--label", label, "stacktest/busybox:1",
                                         "sh", "-c", "for i in 1 2 3; do echo line-$i; sleep 0.3; done; sleep 300"])
        #expect(run.status == 0, "\(run.errorOutput)")
        let id = run.output.trimmingCharacters(in: .whitespacesAndNewlines)
        do {
            let seen = LockedBox([String]())
            try await engine.events(filters: ["label": [label]], since: since.addingTimeInterval(-1),
                                    until: Date().addingTimeInterval(2)) { event in
                seen.withLock { $0.append("\(event.type):\(event.action)") }
                return true
            }
            #expect(seen.withLock { $0 }.contains("container:create"))
            #expect(seen.withLock { $0 }.contains("container:start"))

            var stats = try await engine.stats(id: id)
            for _ in 0..<10 where stats.memoryUsage == 0 {
                // The first sample can be empty while the container is still being set up.
                try await Task.sleep(nanoseconds: 300_000_000)
                stats = try await engine.stats(id: id)
            }
            #expect(stats.memoryUsage > 0)
            #expect(stats.pids >= 1)

            let text = LockedBox("")
            try await engine.followLogs(id: id) { chunk in
                text.withLock { $0 += chunk }
                return !text.withLock { $0 }.contains("line-3")
            }
            #expect(text.withLock { $0 }.contains("line-1\nline-2\nline-3"))
        } catch {
            _ = try? await Self.docker(["rm", "-f", id])
            throw error
        }
        _ = try await Self.docker(["rm", "-f", id])
    }
}
