import Foundation
import StackCore
import StackTestSupport
import Testing

@Suite("Bundle workflow with an in-memory archive")
struct BundleWorkflowTests {
    typealias Item = InMemoryArchiveFormat.Item

    /// A temporary directory with an (empty) bundle file and an empty `out/` parent for
    /// unpacked bundles.
    struct Scene {
        let tmp: TemporaryDirectory
        let bundle: BundleFile
        var parent: URL { tmp.path("out") }
        var destination: URL { parent.appendingPathComponent("dest") }

        init(_ label: String) throws {
            tmp = try TemporaryDirectory(label)
            let file = tmp.path("bundle.stack")
            try Data().write(to: file)
            bundle = try BundleFile(path: file.path)
            try FileManager.default.createDirectory(at: tmp.path("out"), withIntermediateDirectories: false)
        }
    }

    static func workflow(_ items: [Item] = InMemoryArchiveFormat.validItems, failure: StackError? = nil,
                         failAfter: Int = 0, decoder: any ManifestDecoder = StubManifestDecoder()) -> BundleWorkflow {
        BundleWorkflow(format: InMemoryArchiveFormat(items, failure: failure, failAfter: failAfter), decoder: decoder)
    }

    // MARK: unpack

    @Test("unpack places the tree atomically with the requested root mode and returns the documents",
          arguments: [0o755, 0o700, 0o750] as [mode_t])
    func unpackSucceeds(_ directoryMode: mode_t) throws {
        let scene = try Scene("workflow-ok")
        let decoder = RecordingManifestDecoder(StubManifestDecoder())

        let result = try Self.workflow(decoder: decoder)
            .unpack(scene.bundle, to: scene.destination, directoryMode: directoryMode)

        #expect(result.manifest == StubManifestDecoder().manifest)
        #expect(result.compose == StubManifestDecoder().compose)
        #expect(result.listing.entries.map(\.path) == ["stack.yaml", "compose.yaml", "docs", "docs/README.md"])
        #expect(try permissions(of: scene.destination) == Int(directoryMode))
        #expect(try contents(of: scene.parent) == ["dest"])
        #expect(scene.tmp.snapshot() == ["bundle.stack", "out", "out/dest", "out/dest/compose.yaml",
                                         "out/dest/docs", "out/dest/docs/README.md", "out/dest/stack.yaml"])
        for case .file(let path, let bytes) in InMemoryArchiveFormat.validItems {
            #expect(try Data(contentsOf: scene.destination.appendingPathComponent(path)) == Data(bytes), "\(path)")
        }
        // The documents were read from the unpacked tree, byte for byte.
        #expect(decoder.documents.withLock { $0 } == [
            .init(kind: "manifest", path: "stack.yaml", bytes: InMemoryArchiveFormat.validItems[0].bytes),
            .init(kind: "compose", path: "compose.yaml", bytes: InMemoryArchiveFormat.validItems[1].bytes),
        ])
    }

    @Test("unpack reads the compose file the manifest names")
    func unpackNamedCompose() throws {
        let scene = try Scene("workflow-named")
        let composeBytes = Array("services: {}\n".utf8)
        let items: [Item] = [.file("stack.yaml", Array("m".utf8)), .file("deploy/app.yml", composeBytes)]
        let decoder = RecordingManifestDecoder(StubManifestDecoder(
            manifest: Manifest(name: "app", version: SemanticVersion("1.0.0")!, compose: "deploy/app.yml")))
        _ = try Self.workflow(items, decoder: decoder).unpack(scene.bundle, to: scene.destination)
        #expect(decoder.documents.withLock { $0.last } == .init(kind: "compose", path: "deploy/app.yml", bytes: composeBytes))
    }

    static let extractionFailures: [(failAfter: Int, error: StackError)] = [
        (0, StackError(.bundleUnreadable, "not an archive")),
        (1, StackError(.bundlePathTraversal, "entry '../evil' has a '..' component")),
        (3, StackError(.bundleTruncated, "unexpected end of archive")),
        (4, StackError(.ioFailed, "disk full")),
    ]

    @Test("an extraction failing mid-way leaves neither the destination nor a staging directory",
          arguments: extractionFailures)
    func extractionFails(_ failAfter: Int, _ failure: StackError) throws {
        let scene = try Scene("workflow-extract-fail")
        let error = stackError {
            _ = try Self.workflow(failure: failure, failAfter: failAfter).unpack(scene.bundle, to: scene.destination)
        }
        #expect(error == failure)
        #expect(!FileManager.default.fileExists(atPath: scene.destination.path))
        #expect(try contents(of: scene.parent) == [])
    }

    @Test("an entry-policy violation in the archive leaves nothing", arguments: [
        ([Item.file("stack.yaml", []), .file("../evil", [])], StackError.Code.bundlePathTraversal),
        ([.file("stack.yaml", []), .file("Stack.yaml", [])], .bundleNameCollision),
        ([.file("compose.yaml", [])], .bundleManifestMissing),
    ])
    func policyViolation(_ items: [Item], _ expected: StackError.Code) throws {
        let scene = try Scene("workflow-policy")
        let error = stackError { _ = try Self.workflow(items).unpack(scene.bundle, to: scene.destination) }
        #expect(error?.code == expected)
        #expect(try contents(of: scene.parent) == [])
    }

    @Test("a decoder failure leaves nothing", arguments: [
        StackError(.manifestInvalidField, "stack.yaml:1:7: name: expected a stack name"),
        StackError(.yamlSyntax, "stack.yaml:3:1: mapping values are not allowed here"),
    ])
    func decoderFails(_ failure: StackError) throws {
        let scene = try Scene("workflow-decoder-fail")
        let error = stackError {
            _ = try Self.workflow(decoder: StubManifestDecoder(failure: failure)).unpack(scene.bundle, to: scene.destination)
        }
        #expect(error?.code == failure.code)
        #expect(try contents(of: scene.parent) == [])
    }

    static let missingCompose: [(name: String, items: [Item], compose: String)] = [
        ("default compose.yaml absent", [.file("stack.yaml", []), .file("docker-compose.yml", [])], "compose.yaml"),
        ("named compose file absent", InMemoryArchiveFormat.validItems, "deploy/compose.yaml"),
        ("named compose path is a directory", InMemoryArchiveFormat.validItems, "docs"),
    ]

    @Test("a compose file missing from the entries is compose.missing, in unpack and inspect",
          arguments: missingCompose)
    func composeMissing(_ name: String, _ items: [Item], _ compose: String) throws {
        let scene = try Scene("workflow-compose-missing")
        let decoder = StubManifestDecoder(manifest: Manifest(name: "app", version: SemanticVersion("1.0.0")!,
                                                             compose: compose))
        let workflow = Self.workflow(items, decoder: decoder)

        let unpackError = stackError { _ = try workflow.unpack(scene.bundle, to: scene.destination) }
        #expect(unpackError?.code == .composeMissing, "\(name): \(String(describing: unpackError))")
        #expect(unpackError?.message.contains(compose) == true)
        #expect(try contents(of: scene.parent) == [])

        let inspectError = stackError { _ = try workflow.inspect(scene.bundle) }
        #expect(inspectError?.code == .composeMissing, "\(name): \(String(describing: inspectError))")
    }

    enum Occupant: String, CaseIterable, Sendable {
        case directory, file, danglingSymlink, symlinkToDirectory
    }

    @Test("an existing destination is io.destination_exists and is left untouched",
          arguments: Occupant.allCases)
    func destinationExists(_ occupant: Occupant) throws {
        let scene = try Scene("workflow-exists")
        let fm = FileManager.default
        switch occupant {
        case .directory:
            try fm.createDirectory(at: scene.destination, withIntermediateDirectories: false)
            try Data("mine".utf8).write(to: scene.destination.appendingPathComponent("keep.txt"))
        case .file:
            try Data("mine".utf8).write(to: scene.destination)
        case .danglingSymlink:
            try fm.createSymbolicLink(atPath: scene.destination.path, withDestinationPath: scene.tmp.path("nowhere").path)
        case .symlinkToDirectory:
            try fm.createDirectory(at: scene.tmp.path("elsewhere"), withIntermediateDirectories: false)
            try fm.createSymbolicLink(atPath: scene.destination.path, withDestinationPath: scene.tmp.path("elsewhere").path)
        }
        let before = scene.tmp.snapshot()

        let error = stackError { _ = try Self.workflow().unpack(scene.bundle, to: scene.destination) }

        #expect(error?.code == .destinationExists, "\(occupant): \(String(describing: error))")
        #expect(error?.hint != nil)
        #expect(scene.tmp.snapshot() == before)
        if occupant == .directory {
            #expect(try String(contentsOf: scene.destination.appendingPathComponent("keep.txt"), encoding: .utf8) == "mine")
        }
        if occupant == .file {
            #expect(try String(contentsOf: scene.destination, encoding: .utf8) == "mine")
        }
    }

    @Test("a missing destination parent is io.not_found and nothing is created")
    func parentMissing() throws {
        let scene = try Scene("workflow-no-parent")
        let before = scene.tmp.snapshot()
        let destination = scene.tmp.path("absent/dest")
        let error = stackError { _ = try Self.workflow().unpack(scene.bundle, to: destination) }
        #expect(error?.code == .fileNotFound)
        #expect(scene.tmp.snapshot() == before)
    }

    @Test("a destination parent that is a file is io.not_found")
    func parentIsFile() throws {
        let scene = try Scene("workflow-parent-file")
        try Data("x".utf8).write(to: scene.tmp.path("plain"))
        let before = scene.tmp.snapshot()
        let error = stackError { _ = try Self.workflow().unpack(scene.bundle, to: scene.tmp.path("plain/dest")) }
        #expect(error?.code == .fileNotFound)
        #expect(scene.tmp.snapshot() == before)
    }

    @Test("a manifest over maxDocumentBytes is compose.invalid in unpack, and nothing is left")
    func unpackManifestTooLarge() throws {
        let scene = try Scene("workflow-unpack-large")
        var items = InMemoryArchiveFormat.validItems
        items[0] = .file("stack.yaml", [UInt8](repeating: 0x20, count: Int(BundleWorkflow.maxDocumentBytes) + 1))
        let error = stackError { _ = try Self.workflow(items).unpack(scene.bundle, to: scene.destination) }
        #expect(error?.code == .composeInvalid)
        #expect(try contents(of: scene.parent) == [])
    }

    // MARK: inspect

    @Test("inspect decodes the captured documents and writes nothing")
    func inspectWritesNothing() throws {
        let scene = try Scene("workflow-inspect")
        let decoder = RecordingManifestDecoder(StubManifestDecoder())
        let before = scene.tmp.snapshot()

        let result = try Self.workflow(decoder: decoder).inspect(scene.bundle)

        #expect(scene.tmp.snapshot() == before)
        #expect(result.manifest == StubManifestDecoder().manifest)
        #expect(result.compose == StubManifestDecoder().compose)
        #expect(result.listing.entries.map(\.path) == ["stack.yaml", "compose.yaml", "docs", "docs/README.md"])
        #expect(result.listing.captured["stack.yaml"] == InMemoryArchiveFormat.validItems[0].bytes)
        #expect(result.listing.captured["compose.yaml"] == InMemoryArchiveFormat.validItems[1].bytes)
        #expect(result.listing.captured["docs/README.md"] == nil)
        #expect(decoder.documents.withLock { $0 } == [
            .init(kind: "manifest", path: "stack.yaml", bytes: InMemoryArchiveFormat.validItems[0].bytes),
            .init(kind: "compose", path: "compose.yaml", bytes: InMemoryArchiveFormat.validItems[1].bytes),
        ])
    }

    static let documentSizes: [(file: String, size: Int, expected: StackError.Code?)] = [
        ("stack.yaml", Int(BundleWorkflow.maxDocumentBytes), nil),
        ("stack.yaml", Int(BundleWorkflow.maxDocumentBytes) + 1, .composeInvalid),
        ("compose.yaml", Int(BundleWorkflow.maxDocumentBytes), nil),
        ("compose.yaml", Int(BundleWorkflow.maxDocumentBytes) + 1, .composeInvalid),
    ]

    @Test("inspect refuses a document over maxDocumentBytes with compose.invalid", arguments: documentSizes)
    func inspectDocumentSize(_ file: String, _ size: Int, _ expected: StackError.Code?) throws {
        let scene = try Scene("workflow-inspect-large")
        let items = InMemoryArchiveFormat.validItems.map { item -> Item in
            if case .file(file, _) = item { return .file(file, [UInt8](repeating: 0x20, count: size)) }
            return item
        }
        let before = scene.tmp.snapshot()
        let error = stackError { _ = try Self.workflow(items).inspect(scene.bundle) }
        #expect(error?.code == expected, "\(file) of \(size) bytes: \(String(describing: error))")
        if let error { #expect(error.message.contains(file)) }
        #expect(scene.tmp.snapshot() == before)
    }

    @Test("inspect reads a compose file whatever its extension, as unpack does",
          arguments: ["docker-compose", "compose.txt", "deploy/compose"])
    func inspectAnyComposeName(_ compose: String) throws {
        let composeBytes = Array("services: {}\n".utf8)
        let items: [Item] = [.file("stack.yaml", Array("m".utf8)), .file(compose, composeBytes)]
        let stub = StubManifestDecoder(manifest: Manifest(name: "app", version: SemanticVersion("1.0.0")!,
                                                          compose: compose))
        let scene = try Scene("workflow-compose-name")
        _ = try Self.workflow(items, decoder: stub).unpack(scene.bundle, to: scene.destination)

        let decoder = RecordingManifestDecoder(stub)
        let error = stackError { _ = try Self.workflow(items, decoder: decoder).inspect(scene.bundle) }
        #expect(error == nil, "\(compose): \(String(describing: error))")
        #expect(decoder.documents.withLock { $0.last } == .init(kind: "compose", path: compose, bytes: composeBytes))
    }

    @Test("inspect passes the extraction failure through", arguments: extractionFailures)
    func inspectFails(_ failAfter: Int, _ failure: StackError) throws {
        let scene = try Scene("workflow-inspect-fail")
        let error = stackError { _ = try Self.workflow(failure: failure, failAfter: failAfter).inspect(scene.bundle) }
        #expect(error == failure)
    }
}
