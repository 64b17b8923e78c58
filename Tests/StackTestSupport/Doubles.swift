import Foundation
import StackCore

/// A ``ManifestDecoder`` that returns fixed documents (or throws), for tests of the layers
/// above the YAML adapter.
public struct StubManifestDecoder: ManifestDecoder {
    public var manifest: Manifest
    public var compose: ComposeFile
    public var failure: StackError?

    public init(manifest: Manifest = Manifest(name: "hello-web", version: SemanticVersion("1.2.0")!),
                compose: ComposeFile = ComposeFile(services: ["web": ComposeService(image: "stacktest/busybox:1")]),
                failure: StackError? = nil) {
        self.manifest = manifest
        self.compose = compose
        self.failure = failure
    }

    public func decodeManifest(_ bytes: [UInt8], path: String) throws -> Manifest {
        if let failure { throw failure }
        return manifest
    }

    public func decodeCompose(_ bytes: [UInt8], path: String, interpolation: ComposeInterpolation) throws -> ComposeFile {
        if let failure { throw failure }
        return compose
    }
}

/// Runs `body` and returns the `StackError` it throws, or `nil` when it throws nothing or
/// something else (tests then fail on the `nil`).
public func stackError(_ body: () throws -> Void) -> StackError? {
    do {
        try body()
        return nil
    } catch let error as StackError {
        return error
    } catch {
        return nil
    }
}

/// The async form of ``stackError(_:)``.
public func stackError(_ body: () async throws -> Void) async -> StackError? {
    do {
        try await body()
        return nil
    } catch let error as StackError {
        return error
    } catch {
        return nil
    }
}

/// Runs blocking work (waiting for a child process, a socket) on a thread of its own, so it
/// never holds one of Swift's cooperative threads — two on a 2-core machine, where a few
/// blocked tests would otherwise stall every other test.
public func onOwnThread<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        let thread = Thread { continuation.resume(with: Result { try body() }) }
        thread.stackSize = 1 << 20
        thread.start()
    }
}
