import Foundation
import StackCore
import StackTestSupport
import Testing

@Suite("Atomic file writes")
struct AtomicFileTests {
    @Test("writes the content with exactly the requested mode", arguments: [0o600, 0o640, 0o644, 0o400] as [mode_t])
    func writesContentAndMode(_ mode: mode_t) throws {
        let tmp = try TemporaryDirectory("atomic")
        let target = tmp.path("state.json")
        try AtomicFile.write(Array("{\"a\":1}\n".utf8), to: target, mode: mode)
        #expect(try Data(contentsOf: target) == Data("{\"a\":1}\n".utf8))
        #expect(try permissions(of: target) == Int(mode))
        #expect(try contents(of: tmp.url) == ["state.json"])
    }

    @Test("writes an empty file")
    func writesEmpty() throws {
        let tmp = try TemporaryDirectory("atomic-empty")
        let target = tmp.path("empty")
        try AtomicFile.write([UInt8](), to: target)
        #expect(try Data(contentsOf: target).isEmpty)
        #expect(try permissions(of: target) == 0o644)
    }

    @Test("replaces an existing file, content and mode, leaving no temp file")
    func replaces() throws {
        let tmp = try TemporaryDirectory("atomic-replace")
        let target = tmp.path("config.json")
        try Data(String(repeating: "old content ", count: 100).utf8).write(to: target)
        let before = try FileManager.default.attributesOfItem(atPath: target.path)[.systemFileNumber] as? Int
        try AtomicFile.write(Array("new".utf8), to: target, mode: 0o600)
        #expect(try String(contentsOf: target, encoding: .utf8) == "new")
        #expect(try permissions(of: target) == 0o600)
        // A rename, not an in-place rewrite: the name now points at a new inode.
        let after = try FileManager.default.attributesOfItem(atPath: target.path)[.systemFileNumber] as? Int
        #expect(before != nil && before != after)
        #expect(try contents(of: tmp.url) == ["config.json"])
    }

    @Test("many writes to the same file leave only the file")
    func repeatedWrites() throws {
        let tmp = try TemporaryDirectory("atomic-repeat")
        let target = tmp.path("log")
        for i in 0..<20 { try AtomicFile.write(Array("\(i)".utf8), to: target) }
        #expect(try String(contentsOf: target, encoding: .utf8) == "19")
        #expect(try contents(of: tmp.url) == ["log"])
    }

    @Test("fails with io.failed in a missing directory and leaves nothing")
    func missingDirectory() throws {
        let tmp = try TemporaryDirectory("atomic-missing")
        let error = stackError { try AtomicFile.write(Array("x".utf8), to: tmp.path("missing/file.json")) }
        #expect(error?.code == .ioFailed)
        #expect(error?.message.contains("missing") == true, "\(String(describing: error))")
        #expect(tmp.snapshot() == [])
    }

    @Test("fails with io.failed when the target is a directory and removes its temp file")
    func targetIsDirectory() throws {
        let tmp = try TemporaryDirectory("atomic-dir")
        let target = tmp.path("taken")
        try FileManager.default.createDirectory(at: target, withIntermediateDirectories: false)
        try Data("mine".utf8).write(to: target.appendingPathComponent("keep"))
        let error = stackError { try AtomicFile.write(Array("x".utf8), to: target) }
        #expect(error?.code == .ioFailed)
        #expect(tmp.snapshot() == ["taken", "taken/keep"])
        #expect(try String(contentsOf: target.appendingPathComponent("keep"), encoding: .utf8) == "mine")
    }
}
