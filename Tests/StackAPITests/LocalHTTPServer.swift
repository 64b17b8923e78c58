import Foundation
import StackCore

/// A real HTTP server on 127.0.0.1 (a Python script on a free port) with fixed routes.
///
/// It is bounded twice: the test stops it (`stop()` in a `defer`, and in `deinit`), and the
/// script exits by itself when its parent dies or after two minutes.
final class LocalHTTPServer {
    let port: Int
    private let process: Process

    static let script = #"""
import http.server, json, os, signal, sys, threading, time

# A child spawned from a libdispatch worker thread inherits its blocked signal mask.
signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM, signal.SIGINT})

class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def reply(self, status, body, headers=None):
        self.send_response(status)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def do_GET(self):
        if self.path == "/hello":
            self.reply(200, b"hello world", {"Content-Type": "text/plain", "X-Test": "yes"})
        elif self.path == "/headers":
            seen = {name.lower(): value for name, value in self.headers.items()}
            self.reply(200, json.dumps(seen).encode(), {"Content-Type": "application/json"})
        elif self.path == "/slow":
            time.sleep(30)
            self.reply(200, b"late")
        elif self.path == "/stall":
            # Headers and a few bytes, then nothing: a stalled download.
            self.send_response(200)
            self.send_header("Content-Length", "100000")
            self.end_headers()
            try:
                self.wfile.write(b"x" * 10)
                self.wfile.flush()
                time.sleep(60)
            except (BrokenPipeError, ConnectionResetError):
                pass
        elif self.path == "/redirect":
            self.reply(302, b"", {"Location": "/hello"})
        elif self.path in ("/lines", "/lines/forever"):
            self.send_response(200)
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            forever = self.path == "/lines/forever"
            n = 0
            try:
                while forever or n < 5:
                    line = ('{"n": %d}\n' % n).encode()
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(line), line))
                    self.wfile.flush()
                    n += 1
                    time.sleep(0.02)
                self.wfile.write(b"0\r\n\r\n")
            except (BrokenPipeError, ConnectionResetError):
                pass
        else:
            self.reply(404, b'{"message": "no such route"}', {"Content-Type": "application/json"})

    do_HEAD = do_GET

    def do_POST(self):
        length = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(length)
        if self.path == "/echo":
            self.reply(201, body, {"X-Method": self.command,
                                   "X-Content-Type": self.headers.get("Content-Type", "<none>"),
                                   "X-Expect": self.headers.get("Expect", "<none>")})
        else:
            self.reply(404, b"")

    do_PUT = do_POST
    do_DELETE = do_POST

def watchdog(parent):
    deadline = time.time() + 120
    while time.time() < deadline and os.getppid() == parent:
        time.sleep(0.5)
    os._exit(0)

server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
server.daemon_threads = True
threading.Thread(target=watchdog, args=(os.getppid(),), daemon=True).start()
print(server.server_address[1], flush=True)
server.serve_forever()
"""#

    private init(process: Process, port: Int) {
        self.process = process
        self.port = port
    }

    /// Starts the server and waits until it listens. The wait is bounded: the script
    /// either prints its port, or exits (a failed bind, or its two-minute watchdog), which
    /// ends the read.
    static func start() async throws -> LocalHTTPServer {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", script]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let reader = output.fileHandleForReading
        // The read blocks, so it runs on a thread of its own, not on the cooperative pool.
        let line = await withCheckedContinuation { (continuation: CheckedContinuation<String, Never>) in
            Thread {
                var data = Data()
                while !data.contains(0x0a) {
                    let chunk = reader.availableData
                    if chunk.isEmpty { break }
                    data.append(chunk)
                }
                continuation.resume(returning: String(decoding: data, as: UTF8.self))
            }.start()
        }
        guard let port = Int(line.trimmingCharacters(in: .whitespacesAndNewlines)) else {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            throw StackError(.internalError, "the local test server did not start")
        }
        return LocalHTTPServer(process: process, port: port)
    }

    deinit { stop() }

    /// The server process's pid.
    var pid: Int32 { process.processIdentifier }

    /// The URL of a path on this server.
    func url(_ path: String) -> String { "http://127.0.0.1:\(port)\(path)" }

    /// Stops the server and waits for it to exit. Safe to call more than once.
    func stop() {
        if process.isRunning {
            // SIGKILL: it cannot be blocked or ignored, and this server has nothing to save.
            kill(process.processIdentifier, SIGKILL)
        }
        process.waitUntilExit()
    }
}
