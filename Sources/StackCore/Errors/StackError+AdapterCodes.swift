/// Codes raised by the adapters (HTTP client, Docker Engine client, cryptography).
/// Their strings never change.
extension StackError.Code {
    // MARK: HTTP
    /// An HTTP request failed before a response arrived (refused, DNS, TLS, bad URL).
    public static let httpFailed = Self("http.failed", exit: .failure)
    /// An HTTP request did not finish within its timeout.
    public static let httpTimeout = Self("http.timeout", exit: .failure)

    // MARK: Docker
    /// The Docker Engine cannot be reached (socket missing, refused, unsupported host).
    public static let dockerUnreachable = Self("docker.unreachable", exit: .runtime)
    /// The Docker Engine answered with an error status.
    public static let dockerAPIError = Self("docker.api_error", exit: .runtime)

    // MARK: Cryptography
    /// An OpenSSL call failed; the message carries OpenSSL's error queue.
    public static let cryptoFailed = Self("crypto.failed", exit: .failure)
}

extension StackError.Code {
    /// A host port the stack publishes is already in use on 127.0.0.1.
    public static let runtimePortInUse = Self("runtime.port_in_use", exit: .runtime)
}

extension StackError {
    /// The hint shown whenever the Docker Engine cannot be reached.
    public static let dockerUnreachableHint =
        "is the Docker daemon running? try `stackctl doctor`"
    /// The same hint for `stackctl doctor` itself.
    public static let dockerStartHint =
        "start the Docker daemon (`dockerd`, or `systemctl start docker`), or point DOCKER_HOST at a running one"
}
