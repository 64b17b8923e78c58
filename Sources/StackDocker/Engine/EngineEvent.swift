import Foundation
import StackCore

extension Docker {
    /// One engine event, as streamed by `GET /events`.
    public struct EngineEvent: Sendable, Hashable, Decodable {
        /// `container`, `network`, `image`, …
        public var type: String
        /// `create`, `start`, `die`, `oom`, `health_status: unhealthy`, …
        public var action: String
        /// The object's id.
        public var actorID: String
        /// The object's attributes (a container's labels among them).
        public var attributes: [String: String]
        /// Seconds since 1970.
        public var time: Int64

        enum CodingKeys: String, CodingKey { case type = "Type", action = "Action", actor = "Actor", time }
        enum ActorKeys: String, CodingKey { case id = "ID", attributes = "Attributes" }

        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            type = try c.decodeIfPresent(String.self, forKey: .type) ?? ""
            action = try c.decodeIfPresent(String.self, forKey: .action) ?? ""
            time = try c.decodeIfPresent(Int64.self, forKey: .time) ?? 0
            let actor = try c.nestedContainer(keyedBy: ActorKeys.self, forKey: .actor)
            actorID = try actor.decodeIfPresent(String.self, forKey: .id) ?? ""
            attributes = try actor.decodeIfPresent([String: String].self, forKey: .attributes) ?? [:]
        }
    }

    /// A container's resource snapshot (`GET /containers/{id}/stats?stream=0`).
    public struct ContainerStats: Sendable, Hashable, Decodable {
        /// Bytes of memory in use.
        public var memoryUsage: Int64
        /// The memory limit in bytes.
        public var memoryLimit: Int64
        /// Processes and threads.
        public var pids: Int64
        /// Total CPU time used, in nanoseconds.
        public var cpuTotal: Int64

        enum CodingKeys: String, CodingKey { case memory = "memory_stats", pids = "pids_stats", cpu = "cpu_stats" }
        enum MemoryKeys: String, CodingKey { case usage, limit }
        enum PidsKeys: String, CodingKey { case current }
        enum CPUKeys: String, CodingKey { case usage = "cpu_usage" }
        enum UsageKeys: String, CodingKey { case total = "total_usage" }

        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            let memory = try? c.nestedContainer(keyedBy: MemoryKeys.self, forKey: .memory)
            memoryUsage = (try? memory?.decodeIfPresent(Int64.self, forKey: .usage)) ?? 0
            memoryLimit = (try? memory?.decodeIfPresent(Int64.self, forKey: .limit)) ?? 0
            let pidsStats = try? c.nestedContainer(keyedBy: PidsKeys.self, forKey: .pids)
            pids = (try? pidsStats?.decodeIfPresent(Int64.self, forKey: .current)) ?? 0
            let cpu = try? c.nestedContainer(keyedBy: CPUKeys.self, forKey: .cpu)
            let usage = try? cpu?.nestedContainer(keyedBy: UsageKeys.self, forKey: .usage)
            cpuTotal = (try? usage?.decodeIfPresent(Int64.self, forKey: .total)) ?? 0
        }
    }

    /// Splits a byte stream into lines (events arrive in arbitrary pieces).
    /// `feed` is called by one transfer thread at a time (the HTTP client delivers chunks
    /// sequentially); the buffer sits in a lock regardless.
    final class LineSplitter: Sendable {
        private let buffer = LockedBox([UInt8]())
        func feed(_ chunk: [UInt8]) -> [[UInt8]] {
            buffer.withLock { pending in
                pending += chunk
                var lines: [[UInt8]] = []
                while let newline = pending.firstIndex(of: 0x0A) {
                    let line = Array(pending[..<newline])
                    pending.removeSubrange(...newline)
                    if !line.isEmpty { lines.append(line) }
                }
                if pending.count > 1 << 20 { pending.removeAll() }
                return lines
            }
        }
    }

    /// Reassembles the engine's 8-byte-framed log stream across arbitrary chunks.
    final class FrameDemultiplexer: Sendable {
        // Like LineSplitter, the state is behind a lock.
        private let buffer = LockedBox([UInt8]())
        func feed(_ chunk: [UInt8]) -> String {
            buffer.withLock { pending in
                pending += chunk
                var out: [UInt8] = []
                while pending.count >= 8 {
                    guard pending[0] <= 2, pending[1] == 0, pending[2] == 0, pending[3] == 0 else {
                        // A TTY container's raw stream: pass it through.
                        out += pending
                        pending.removeAll()
                        break
                    }
                    let size = Int(pending[4]) << 24 | Int(pending[5]) << 16 | Int(pending[6]) << 8 | Int(pending[7])
                    guard pending.count >= 8 + size else { break }
                    out += pending[8..<(8 + size)]
                    pending.removeSubrange(0..<(8 + size))
                }
                return String(decoding: out, as: UTF8.self)
            }
        }
    }
}
