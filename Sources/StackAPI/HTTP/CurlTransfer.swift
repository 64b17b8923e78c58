internal import CCurl
import Foundation
import StackCore

/// Where a transfer's response body goes.
enum CurlSink: Sendable {
    /// Collect the body in memory, failing past `limit` bytes.
    case collect(limit: Int)
    /// Hand each chunk to a closure; `false` stops the transfer.
    case stream(@Sendable ([UInt8]) -> Bool)
}

/// What a finished transfer produced.
struct CurlTransferResult: Sendable {
    var status: Int
    var headers: [String: String]
    var body: [UInt8]
}

/// One blocking transfer: builds a ``CurlEasy`` handle from a request, runs it and
/// classifies the outcome. It runs entirely on the thread that calls ``run()``.
final class CurlTransfer {
    private let request: HTTPRequest
    private let sink: CurlSink
    private let cancelled: LockedBox<Bool>
    private let caFile: String?
    private var body: [UInt8] = []
    private var headers: [String: String] = [:]
    private var stoppedByCaller = false
    private var overflowed = false

    /// Prepares a transfer.
    /// - Parameters:
    ///   - request: The request.
    ///   - sink: Where the body goes.
    ///   - cancelled: Set from another thread to abort the transfer.
    ///   - caFile: A PEM file of CA certificates to trust instead of the system store.
    init(request: HTTPRequest, sink: CurlSink, cancelled: LockedBox<Bool>, caFile: String? = nil) {
        self.request = request
        self.sink = sink
        self.cancelled = cancelled
        self.caFile = caFile
    }

    /// Runs the transfer, blocking the calling thread.
    /// - Returns: Status, headers and (for ``CurlSink/collect(limit:)``) the body.
    /// - Throws: `http.failed`, `http.timeout`, or `CancellationError` when cancelled.
    func run() throws -> CurlTransferResult {
        let method = request.method
        let easy = try CurlEasy(method: method, url: request.url)
        defer { easy.close() }
        try configure(easy)

        // The context pointer is valid for the whole transfer: `self` outlives `perform`.
        let context = Unmanaged.passUnretained(self).toOpaque()
        try easy.set(CURLOPT_WRITEDATA, pointer: context, "CURLOPT_WRITEDATA")
        try easy.set(CURLOPT_WRITEFUNCTION, callback: { data, size, count, userdata in
            let length = size * count
            guard let userdata else { return 0 }
            let transfer = Unmanaged<CurlTransfer>.fromOpaque(userdata).takeUnretainedValue()
            guard let data, length > 0 else { return length }
            return transfer.receiveBody(UnsafeRawBufferPointer(start: data, count: length)) ? length : 0
        }, "CURLOPT_WRITEFUNCTION")
        try easy.set(CURLOPT_HEADERDATA, pointer: context, "CURLOPT_HEADERDATA")
        try easy.set(CURLOPT_HEADERFUNCTION, callback: { data, size, count, userdata in
            let length = size * count
            guard let userdata, let data else { return length }
            let transfer = Unmanaged<CurlTransfer>.fromOpaque(userdata).takeUnretainedValue()
            transfer.receiveHeader(UnsafeRawBufferPointer(start: data, count: length))
            return length
        }, "CURLOPT_HEADERFUNCTION")
        // Progress is polled about once a second even on an idle stream, so cancellation
        // reaches a long-lived event stream without data.
        try easy.set(CURLOPT_NOPROGRESS, 0, "CURLOPT_NOPROGRESS")
        try easy.set(CURLOPT_XFERINFODATA, pointer: context, "CURLOPT_XFERINFODATA")
        try easy.set(CURLOPT_XFERINFOFUNCTION, progress: { userdata, _, _, _, _ in
            guard let userdata else { return 1 }
            let transfer = Unmanaged<CurlTransfer>.fromOpaque(userdata).takeUnretainedValue()
            return transfer.isCancelled ? 1 : 0
        }, "CURLOPT_XFERINFOFUNCTION")

        let code = try easy.perform()
        if isCancelled { throw CancellationError() }
        if stoppedByCaller {
            return CurlTransferResult(status: try easy.responseCode(), headers: headers, body: [])
        }
        if overflowed, case .collect(let limit) = sink {
            throw StackError(.httpFailed, "\(method) \(request.url): response body exceeds \(limit) bytes")
        }
        try easy.check(code, "transfer")
        return CurlTransferResult(status: try easy.responseCode(), headers: headers, body: body)
    }

    private var isCancelled: Bool { cancelled.withLock { $0 } }

    private func configure(_ easy: CurlEasy) throws {
        let method = request.method
        guard !method.isEmpty, method.utf8.allSatisfy(Self.isTokenByte) else {
            throw StackError(.httpFailed, "\(method) \(request.url): invalid HTTP method")
        }
        try easy.set(CURLOPT_URL, request.url, "CURLOPT_URL")
        try easy.set(CURLOPT_NOSIGNAL, 1, "CURLOPT_NOSIGNAL")
        try easy.set(CURLOPT_PROTOCOLS_STR, "http,https", "CURLOPT_PROTOCOLS_STR")
        try easy.set(CURLOPT_REDIR_PROTOCOLS_STR, "http,https", "CURLOPT_REDIR_PROTOCOLS_STR")
        try easy.set(CURLOPT_FOLLOWLOCATION, 0, "CURLOPT_FOLLOWLOCATION")
        if let caFile { try easy.set(CURLOPT_CAINFO, caFile, "CURLOPT_CAINFO") }
        if let stall = request.stall {
            try easy.set(CURLOPT_LOW_SPEED_LIMIT, stall.bytesPerSecond, "CURLOPT_LOW_SPEED_LIMIT")
            try easy.set(CURLOPT_LOW_SPEED_TIME, stall.seconds, "CURLOPT_LOW_SPEED_TIME")
        }
        if request.timeout > 0, request.timeout.isFinite {
            let milliseconds = max(1, Int((request.timeout * 1000).rounded(.up)))
            try easy.set(CURLOPT_TIMEOUT_MS, milliseconds, "CURLOPT_TIMEOUT_MS")
        } else {
            // No overall limit (an event stream), but never wait minutes for a connection.
            try easy.set(CURLOPT_CONNECTTIMEOUT_MS, 30_000, "CURLOPT_CONNECTTIMEOUT_MS")
        }
        if let socket = request.unixSocketPath {
            try easy.set(CURLOPT_UNIX_SOCKET_PATH, socket, "CURLOPT_UNIX_SOCKET_PATH")
        }

        switch method {
        case "GET" where request.body.isEmpty:
            try easy.set(CURLOPT_HTTPGET, 1, "CURLOPT_HTTPGET")
        case "HEAD" where request.body.isEmpty:
            try easy.set(CURLOPT_NOBODY, 1, "CURLOPT_NOBODY")
        default:
            if method == "POST" || !request.body.isEmpty {
                try easy.set(CURLOPT_POSTFIELDSIZE_LARGE, offset: Int64(request.body.count),
                             "CURLOPT_POSTFIELDSIZE_LARGE")
                // COPYPOSTFIELDS copies the bytes, so no buffer has to outlive this call.
                if request.body.isEmpty {
                    try easy.set(CURLOPT_COPYPOSTFIELDS, "", "CURLOPT_COPYPOSTFIELDS")
                } else {
                    try request.body.withUnsafeBytes { bytes in
                        guard let base = bytes.baseAddress else { return }
                        try easy.set(CURLOPT_COPYPOSTFIELDS, pointer: UnsafeMutableRawPointer(mutating: base),
                                     "CURLOPT_COPYPOSTFIELDS")
                    }
                }
            }
            if method != "POST" {
                try easy.set(CURLOPT_CUSTOMREQUEST, method, "CURLOPT_CUSTOMREQUEST")
            }
        }

        var lines: [String] = []
        var names = Set<String>()
        for (name, value) in request.headers {
            guard !name.isEmpty, name.utf8.allSatisfy(Self.isTokenByte) else {
                throw StackError(.httpFailed, "\(method) \(request.url): invalid header name \(name.debugDescription)")
            }
            guard !value.utf8.contains(where: { $0 == 0x0d || $0 == 0x0a || $0 == 0 }) else {
                throw StackError(.httpFailed, "\(method) \(request.url): invalid value for header \(name)")
            }
            names.insert(name.lowercased())
            // `Name;` is libcurl's spelling of a header with an empty value.
            lines.append(value.isEmpty ? "\(name);" : "\(name): \(value)")
        }
        // Suppress libcurl defaults a caller did not ask for: the form content type on
        // POST and the `Expect: 100-continue` round trip on larger bodies.
        if !names.contains("content-type") { lines.append("Content-Type:") }
        if !names.contains("expect") { lines.append("Expect:") }
        if !names.contains("user-agent") { lines.append("User-Agent: stack-desktop") }
        try easy.setHeaders(lines)
    }

    /// RFC 9110 `tchar`.
    private static func isTokenByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
             UInt8(ascii: "0")...UInt8(ascii: "9"):
            return true
        default:
            return Array("!#$%&'*+-.^_`|~".utf8).contains(byte)
        }
    }

    /// Called by the write callback. Returns `false` to stop the transfer.
    private func receiveBody(_ bytes: UnsafeRawBufferPointer) -> Bool {
        if isCancelled { return false }
        switch sink {
        case .collect(let limit):
            guard body.count + bytes.count <= limit else {
                overflowed = true
                return false
            }
            body.append(contentsOf: bytes)
            return true
        case .stream(let onChunk):
            guard onChunk(Array(bytes)) else {
                stoppedByCaller = true
                return false
            }
            return true
        }
    }

    /// Called by the header callback with one raw header line.
    private func receiveHeader(_ bytes: UnsafeRawBufferPointer) {
        let line = String(decoding: bytes, as: UTF8.self)
        if line.hasPrefix("HTTP/") {
            // A new response (after `100 Continue`, or a redirect that is not followed).
            headers = [:]
            return
        }
        guard let colon = line.firstIndex(of: ":") else { return }
        let name = line[..<colon].trimmingCharacters(in: .whitespaces).lowercased()
        let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespacesAndNewlines)
        guard !name.isEmpty else { return }
        if let existing = headers[name] {
            headers[name] = existing + ", " + value
        } else {
            headers[name] = value
        }
    }
}
