

extension ScanPass {
    /// Names of container-engine sockets and pipes: mounting any of them hands the
    /// container the engine, which is root on the host.
    static let engineSocketMarkers = [
        "docker.sock", "containerd.sock", "podman.sock", "crio.sock", "cri-dockerd.sock",
        "buildkitd.sock", "dockershim.sock", "docker_engine",
    ]

    static func namesEngineSocket(_ path: String) -> Bool {
        let lower = path.lowercased()
        return engineSocketMarkers.contains { lower.contains($0) }
    }

    /// Whether `target` is a container path Compose and the engine accept as given: absolute,
    /// without `:` (the short-syntax separator), `..` or control characters.
    static func isValidMountTarget(_ target: String) -> Bool {
        target.hasPrefix("/") && !target.contains(":") && !target.split(separator: "/").contains("..")
            && !target.unicodeScalars.contains { $0.value < 0x20 || $0.value == 0x7F }
    }

    mutating func scanMount(_ mount: ComposeMount, at path: String) {
        let location = composeLocation(path)
        let source = mount.source ?? ""
        if Self.namesEngineSocket(source) {
            critical(ComposePolicyScanner.Code.dockerSocket,
                     "\(source) is a container-engine socket: it gives the container control of the host",
                     at: location)
            return
        }
        if !Self.isValidMountTarget(mount.target) {
            critical(ComposePolicyScanner.Code.mount,
                     "mount target \(mount.target) must be an absolute container path without ':' or '..'", at: location)
        }
        switch mount.type {
        case .bind:
            scanBindSource(source, at: location)
        case .volume where source.hasPrefix("/") || source.hasPrefix(".") || source.hasPrefix("~") || source.contains("/"):
            // Not a volume name: judged as the host path it would be if anything mounted it.
            scanBindSource(source, at: location)
        case .volume:
            if let name = mount.source, !name.isEmpty, !manifest.volumes.contains(name) {
                critical(ComposePolicyScanner.Code.volumeUndeclared,
                         "named volume \(name) is not listed in stack.yaml volumes", at: location)
            } else if let name = mount.source, !Manifest.isValidVolumeName(name) {
                critical(ComposePolicyScanner.Code.mount, "\(name) is not a valid volume name", at: location)
            }
            if let subpath = mount.options["volume"]?["subpath"]?.stringValue,
               subpath.split(separator: "/").contains("..") || subpath.hasPrefix("/") {
                critical(ComposePolicyScanner.Code.bindEscape,
                         "volume subpath \(subpath) leaves the volume", at: location)
            }
        case .tmpfs:
            break
        case .image:
            critical(ComposePolicyScanner.Code.mountType,
                     "image mounts are not supported", at: location)
        case .npipe:
            critical(ComposePolicyScanner.Code.hostPath,
                     "named pipe \(source) is a host object", at: location)
        case .cluster:
            critical(ComposePolicyScanner.Code.mountType,
                     "cluster volumes are not supported", at: location)
        }
    }

    /// A bind source must be a literal path inside the bundle that names an entry.
    mutating func scanBindSource(_ source: String, at location: String) {
        switch tree.resolve(source) {
        case .host:
            critical(ComposePolicyScanner.Code.hostPath,
                     "bind of host path \(source); only paths inside the bundle may be bound", at: location)
        case .escapes:
            critical(ComposePolicyScanner.Code.bindEscape,
                     "bind source \(source) climbs out of the bundle", at: location)
        case .inside(let path):
            if !tree.exists(path) {
                critical(ComposePolicyScanner.Code.bindMissing,
                         "bind source \(source) names nothing in the bundle (compose would create a directory)",
                         at: location)
            }
        }
    }

    /// Checks that `file` names a file of the bundle; records `code` otherwise.
    /// - Returns: Whether it does.
    @discardableResult
    mutating func requireBundleFile(_ file: String, code: String, what: String, at location: String) -> Bool {
        switch tree.resolve(file) {
        case .host:
            critical(code, "\(what) \(file) is a host path outside the bundle", at: location)
        case .escapes:
            critical(code, "\(what) \(file) climbs out of the bundle", at: location)
        case .inside(let path):
            if tree.isFile(path) { return true }
            critical(code, "\(what) \(file) is not a file in the bundle", at: location)
        }
        return false
    }
}
