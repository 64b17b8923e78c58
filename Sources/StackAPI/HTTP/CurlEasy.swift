internal import CCurl
import StackCore

/// `curl_global_init`, run exactly once per process. Swift initialises globals lazily
/// with `swift_once`, so the first transfer on any thread runs it and all others wait.
private let curlGlobalInitResult: UInt32 = curl_global_init(Int(CURL_GLOBAL_DEFAULT)).rawValue

/// One libcurl easy handle with its error buffer and header list.
///
/// Not `Sendable`: a handle is created, used and released on the one thread that runs its
/// transfer. ``close()`` is idempotent; `deinit` calls it.
final class CurlEasy {
    /// The URL of the transfer, for messages.
    let url: String
    /// The method of the transfer, for messages.
    let method: String
    private var handle: UnsafeMutableRawPointer?
    private var headerList: UnsafeMutablePointer<curl_slist>?
    /// `CURLOPT_ERRORBUFFER`: libcurl keeps this address for the handle's whole life.
    private let errorBuffer: UnsafeMutablePointer<CChar>

    /// Creates a handle for one transfer.
    /// - Parameters:
    ///   - method: The request method, for messages.
    ///   - url: The request URL, for messages.
    /// - Throws: `http.failed` when libcurl cannot be initialised.
    init(method: String, url: String) throws {
        self.method = method
        self.url = url
        errorBuffer = .allocate(capacity: Int(CURL_ERROR_SIZE) + 1)
        errorBuffer.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)
        guard curlGlobalInitResult == CURLE_OK.rawValue else {
            throw StackError(.httpFailed, "curl_global_init failed (CURLcode \(curlGlobalInitResult))")
        }
        guard let handle = curl_easy_init() else {
            throw StackError(.httpFailed, "curl_easy_init failed for \(method) \(url)")
        }
        self.handle = handle
        try check(stack_curl_setopt_pointer(handle, CURLOPT_ERRORBUFFER, errorBuffer), "CURLOPT_ERRORBUFFER")
    }

    deinit {
        close()
        errorBuffer.deallocate()
    }

    /// Releases the handle and the header list. Safe to call more than once.
    func close() {
        if let handle { curl_easy_cleanup(handle) }
        handle = nil
        if let headerList { curl_slist_free_all(headerList) }
        headerList = nil
    }

    /// The one place a `CURLcode` becomes a ``StackError``.
    ///
    /// The message names the method and URL and carries `curl_easy_strerror` plus the
    /// transfer's `CURLOPT_ERRORBUFFER` text. A timeout maps to `http.timeout`, everything
    /// else to `http.failed`.
    /// - Parameters:
    ///   - code: What libcurl returned.
    ///   - operation: The call or option, for the message.
    /// - Throws: `http.timeout` or `http.failed` unless `code` is `CURLE_OK`.
    func check(_ code: CURLcode, _ operation: @autoclosure () -> String) throws {
        guard code != CURLE_OK else { return }
        var message = "\(method) \(url): \(operation()): \(String(cString: curl_easy_strerror(code)))"
        let detail = String(cString: errorBuffer)
        if !detail.isEmpty { message += " (\(detail))" }
        let kind: StackError.Code = code == CURLE_OPERATION_TIMEDOUT ? .httpTimeout : .httpFailed
        var error = StackError(kind, message)
        error.cause = "CURLcode \(code.rawValue)"
        throw error
    }

    private func requireHandle() throws -> UnsafeMutableRawPointer {
        guard let handle else {
            throw StackError(.httpFailed, "\(method) \(url): curl handle used after close()")
        }
        return handle
    }

    /// Sets a `long` option.
    func set(_ option: CURLoption, _ value: Int, _ name: String) throws {
        try check(stack_curl_setopt_long(try requireHandle(), option, value), name)
    }

    /// Sets a string option; libcurl copies the string.
    func set(_ option: CURLoption, _ value: String, _ name: String) throws {
        try check(stack_curl_setopt_string(try requireHandle(), option, value), name)
    }

    /// Sets a `curl_off_t` option.
    func set(_ option: CURLoption, offset value: Int64, _ name: String) throws {
        try check(stack_curl_setopt_off(try requireHandle(), option, curl_off_t(value)), name)
    }

    /// Sets an opaque pointer option (callback context).
    func set(_ option: CURLoption, pointer value: UnsafeMutableRawPointer, _ name: String) throws {
        try check(stack_curl_setopt_pointer(try requireHandle(), option, value), name)
    }

    /// Sets a write or header callback.
    func set(_ option: CURLoption, callback: stack_curl_data_callback, _ name: String) throws {
        try check(stack_curl_setopt_data_callback(try requireHandle(), option, callback), name)
    }

    /// Sets the transfer-progress callback.
    func set(_ option: CURLoption, progress: stack_curl_xferinfo_callback, _ name: String) throws {
        try check(stack_curl_setopt_xferinfo(try requireHandle(), option, progress), name)
    }

    /// Replaces the request header list (`CURLOPT_HTTPHEADER`); the list lives as long as
    /// the handle.
    /// - Parameter lines: Complete header lines (`Name: value`, `Name;`, or `Name:` to
    ///   suppress a default).
    func setHeaders(_ lines: [String]) throws {
        var list: UnsafeMutablePointer<curl_slist>?
        for line in lines {
            guard let next = curl_slist_append(list, line) else {
                if let list { curl_slist_free_all(list) }
                throw StackError(.httpFailed, "\(method) \(url): curl_slist_append failed")
            }
            list = next
        }
        let handle = try requireHandle()
        do {
            try check(stack_curl_setopt_slist(handle, CURLOPT_HTTPHEADER, list), "CURLOPT_HTTPHEADER")
        } catch {
            if let list { curl_slist_free_all(list) }
            throw error
        }
        if let headerList { curl_slist_free_all(headerList) }
        headerList = list
    }

    /// Runs the transfer on the calling thread (it blocks).
    /// - Returns: libcurl's result, unchecked, so the caller can first look at why a
    ///   callback stopped the transfer.
    func perform() throws -> CURLcode {
        curl_easy_perform(try requireHandle())
    }

    /// The last response's status code (`CURLINFO_RESPONSE_CODE`); 0 when none arrived.
    func responseCode() throws -> Int {
        var status = 0
        try check(stack_curl_getinfo_long(try requireHandle(), CURLINFO_RESPONSE_CODE, &status),
                  "CURLINFO_RESPONSE_CODE")
        return status
    }
}
