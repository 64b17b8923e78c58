import Foundation
internal import CArchive
import StackCore

/// Owns a libarchive read or write handle; frees it on ``close()`` or deinit.
final class ArchiveHandle {
    enum Mode { case read, write }
    private(set) var pointer: OpaquePointer?
    private let mode: Mode

    init(mode: Mode) throws {
        self.mode = mode
        pointer = mode == .read ? archive_read_new() : archive_write_new()
        guard pointer != nil else { throw StackError(.internalError, "libarchive could not allocate a handle") }
    }

    /// The handle; valid until ``close()``.
    var raw: OpaquePointer {
        // `pointer` is only nil after close(), and no caller uses the handle after closing it.
        pointer!
    }

    /// libarchive's own message for the last error.
    var errorString: String {
        guard let pointer, let text = archive_error_string(pointer) else { return "unknown libarchive error" }
        return String(cString: text)
    }

    /// Throws unless `status` is `ARCHIVE_OK` (or `ARCHIVE_WARN` when `allowWarn`).
    func check(_ status: Int32, _ code: StackError.Code, _ what: String, allowWarn: Bool = false) throws {
        if status == ARCHIVE_OK || (allowWarn && status == ARCHIVE_WARN) { return }
        throw StackError(code, "\(what): \(errorString)")
    }

    /// Frees the handle; idempotent.
    func close() {
        guard let pointer else { return }
        switch mode {
        case .read: archive_read_free(pointer)
        case .write: archive_write_free(pointer)
        }
        self.pointer = nil
    }

    deinit { close() }
}

/// libarchive converts path names between the archive's charset and the thread's locale;
/// in the "C" locale of a Swift process every non-ASCII name would fail to convert (and
/// some writer paths crash on the failed conversion). Runs `body` with the calling
/// thread's `LC_CTYPE` set to `C.UTF-8`, so that locale strings are UTF-8 byte for byte.
/// `body` must be synchronous: the thread locale does not follow a task across threads.
func withUTF8Locale<T>(_ body: () throws -> T) rethrows -> T {
    guard let locale = newlocale(LC_CTYPE_MASK, "C.UTF-8", nil) else { return try body() }
    let previous = uselocale(locale)
    defer {
        uselocale(previous)
        freelocale(locale)
    }
    return try body()
}
