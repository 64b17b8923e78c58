import Foundation
import StackCore
import Testing

@Suite("Stack errors")
struct StackErrorTests {
    struct Plain: Error, CustomStringConvertible {
        var description: String { "plain failure" }
    }

    @Test("wrap keeps a StackError as it is")
    func wrapKeeps() {
        let original = StackError(.bundleSymlink, "entry 'l' is a symbolic link", hint: "h", cause: Plain())
        #expect(StackError.wrap(original) == original)
        #expect(StackError.wrap(original, as: .ioFailed) == original)
    }

    @Test("wrap turns another error into internal.error, or the given code")
    func wrapOthers() {
        let wrapped = StackError.wrap(Plain())
        #expect(wrapped.code == .internalError)
        #expect(wrapped.exitStatus == .failure)
        #expect(wrapped.message == "plain failure")
        #expect(StackError.wrap(Plain(), as: .ioFailed).code == .ioFailed)
        #expect(StackError.wrap(CocoaError(.fileNoSuchFile)).code == .internalError)
    }

    @Test("codes compare and hash by their string alone")
    func codeEquality() {
        let a = StackError.Code("x.y", exit: .policy)
        let b = StackError.Code("x.y", exit: .failure)
        #expect(a == b)
        #expect(Set([a, b]).count == 1)
        #expect(a != StackError.Code("x.z", exit: .policy))
        #expect(StackError.Code("bundle.symlink", exit: .failure) == .bundleSymlink)
        #expect(a.description == "x.y")
    }

    @Test("description is code: message, with the cause in parentheses and no hint")
    func description() {
        #expect(StackError(.ioFailed, "cannot read x").description == "io.failed: cannot read x")
        #expect(StackError(.ioFailed, "cannot read x", hint: "check it", cause: Plain()).description
            == "io.failed: cannot read x (plain failure)")
        #expect(StackError(.ioFailed, "m", cause: Plain()).cause == "plain failure")
    }

    @Test("errors are equal only when code, message, hint and cause are")
    func equality() {
        let base = StackError(.ioFailed, "m", hint: "h")
        #expect(base == StackError(.ioFailed, "m", hint: "h"))
        #expect(base != StackError(.fileNotFound, "m", hint: "h"))
        #expect(base != StackError(.ioFailed, "n", hint: "h"))
        #expect(base != StackError(.ioFailed, "m"))
        #expect(base != StackError(.ioFailed, "m", hint: "h", cause: Plain()))
    }

    static let exitStatuses: [(StackCore.ExitStatus, Int32)] = [
        (.ok, 0), (.failure, 1), (.usage, 2), (.verification, 3), (.policy, 4), (.runtime, 5),
        (.declined, 6), (.authentication, 7),
    ]

    @Test("exit statuses are the DESIGN §7 contract", arguments: exitStatuses)
    func exitStatusValues(_ status: StackCore.ExitStatus, _ value: Int32) {
        #expect(status.rawValue == value)
    }

    static let known: [StackError.Code] = [
        .internalError, .ioFailed, .fileNotFound, .destinationExists, .usage, .homeInvalid, .homeLocked,
        .homeNotInitialized, .configInvalid, .bundleUnreadable, .bundleTruncated, .bundleSymlink,
        .bundleHardlink, .bundleSpecialFile, .bundleAbsolutePath, .bundlePathTraversal, .bundleBackslash,
        .bundleControlCharacter, .bundleInvalidPath, .bundleComponentTooLong, .bundlePathTooLong,
        .bundleDuplicateEntry, .bundleNameCollision, .bundleTypeConflict, .bundleTooManyEntries,
        .bundleTooLarge, .bundleCompressionRatio, .bundleManifestMissing, .yamlSyntax, .yamlDuplicateKey,
        .yamlAliasLimit, .yamlTooDeep, .yamlUnsupported, .manifestUnknownKey, .manifestMissingField,
        .manifestInvalidField, .composeInvalid, .composeMissing, .checksumMismatch, .checksumInvalid,
        .signatureMissing, .signatureMalformed, .signatureLegacy, .signatureUntrustedKey, .signatureInvalid,
        .signatureCommentTampered, .signatureCommentUnbound, .signatureRollback, .keyInvalid, .keyNotFound,
        .httpFailed, .httpTimeout, .dockerUnreachable, .dockerAPIError, .cryptoFailed,
    ]

    @Test("every built-in code is a distinct area.reason string")
    func codesDistinct() {
        #expect(Set(Self.known.map(\.rawValue)).count == Self.known.count)
        for code in Self.known {
            let parts = code.rawValue.split(separator: ".", omittingEmptySubsequences: false)
            #expect(parts.count == 2 && parts.allSatisfy { !$0.isEmpty && $0.allSatisfy { $0 == "_" || ("a"..."z").contains($0) } },
                    "\(code.rawValue)")
        }
    }

    static let codeStatuses: [(StackError.Code, String, StackCore.ExitStatus)] = [
        (.bundlePathTraversal, "bundle.path_traversal", .policy),
        (.bundleManifestMissing, "bundle.manifest_missing", .policy),
        (.composeMissing, "compose.missing", .policy),
        (.yamlAliasLimit, "yaml.alias_limit", .policy),
        (.checksumMismatch, "checksum.mismatch", .verification),
        (.signatureRollback, "signature.rollback", .verification),
        (.keyInvalid, "key.invalid", .failure),
        (.dockerUnreachable, "docker.unreachable", .runtime),
        (.dockerAPIError, "docker.api_error", .runtime),
        (.usage, "usage.invalid", .usage),
        (.fileNotFound, "io.not_found", .failure),
        (.homeLocked, "home.locked", .failure),
        (.httpTimeout, "http.timeout", .failure),
    ]

    @Test("codes keep their strings and exit statuses", arguments: codeStatuses)
    func codeStrings(_ code: StackError.Code, _ raw: String, _ status: StackCore.ExitStatus) {
        #expect(code.rawValue == raw)
        #expect(code.exitStatus == status)
        #expect(StackError(code, "m").exitStatus == status)
    }
}
