internal import COpenSSL
import StackCore

/// The one place OpenSSL return codes become ``StackError``s.
///
/// OpenSSL keeps a per-thread queue of errors; every failure drains it completely, so the
/// message says what OpenSSL said and no stale entry is blamed on a later call.
enum OpenSSLError {
    /// Checks an OpenSSL status code, where `1` means success.
    /// - Parameters:
    ///   - status: What the OpenSSL function returned.
    ///   - operation: The call, for the message (`EVP_DigestUpdate`).
    /// - Throws: `crypto.failed` with the drained error queue when `status != 1`.
    static func check(_ status: Int32, _ operation: @autoclosure () -> String) throws {
        guard status == 1 else { throw failure(operation()) }
    }

    /// Checks an OpenSSL constructor that returns `NULL` on failure.
    /// - Parameters:
    ///   - pointer: What the OpenSSL function returned.
    ///   - operation: The call, for the message (`EVP_MD_fetch(SHA256)`).
    /// - Returns: The non-`NULL` pointer.
    /// - Throws: `crypto.failed` with the drained error queue when `pointer` is `nil`.
    static func check<Pointer>(_ pointer: Pointer?, _ operation: @autoclosure () -> String) throws -> Pointer {
        guard let pointer else { throw failure(operation()) }
        return pointer
    }

    /// Builds the error for a failed call, draining this thread's OpenSSL error queue.
    /// - Parameter operation: The call that failed.
    /// - Returns: A `crypto.failed` error.
    static func failure(_ operation: String) -> StackError {
        let queue = drainQueue()
        let detail = queue.isEmpty ? "no OpenSSL error reported" : queue.joined(separator: "; ")
        return StackError(.cryptoFailed, "\(operation) failed: \(detail)")
    }

    /// Removes every entry from this thread's OpenSSL error queue.
    /// - Returns: The entries, oldest first, as OpenSSL's own strings.
    static func drainQueue() -> [String] {
        var entries: [String] = []
        while true {
            let code = ERR_get_error()
            if code == 0 { break }
            var buffer = [CChar](repeating: 0, count: 256)
            let text = buffer.withUnsafeMutableBufferPointer { raw -> String in
                guard let base = raw.baseAddress else { return "error \(code)" }
                ERR_error_string_n(code, base, raw.count)
                return String(cString: base)
            }
            entries.append(text)
        }
        return entries
    }
}
