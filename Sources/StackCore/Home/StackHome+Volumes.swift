import Foundation

extension StackHome {
    /// Creates (or opens) `volumes/<stack>/<volume>/` one component at a time from the
    /// home's own descriptor, never following a symbolic link (`O_NOFOLLOW`), so a link
    /// planted in the home cannot send a stack's data, or the ownership change below,
    /// anywhere else; then checks again that the resolved path is the expected one.
    /// - Parameters:
    ///   - stack: The stack name.
    ///   - volume: The volume's directory name (a validated volume name).
    ///   - owner: A numeric `uid`/`gid` to give the directory (as root only), if any.
    /// - Returns: The directory.
    /// - Throws: `home.unsafe` for a link or non-directory on the way, `io.failed` otherwise.
    public func prepareVolumeDirectory(stack: String, volume: String, owner: (uid: UInt32, gid: UInt32)?) throws -> URL {
        let expected = volumesDirectory(name: stack).appendingPathComponent(volume).standardizedFileURL
        var fd = open(root.path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw AtomicFile.ioError("open", root.path) }
        var walked = root.path
        for (component, mode) in [("volumes", mode_t(0o755)), (stack, 0o755), (volume, 0o755)] {
            walked += "/" + component
            if mkdirat(fd, component, mode) != 0, errno != EEXIST {
                let error = AtomicFile.ioError("create", walked)
                close(fd)
                throw error
            }
            let next = openat(fd, component, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
            let failure = errno
            close(fd)
            guard next >= 0 else {
                if failure == ELOOP || failure == ENOTDIR {
                    throw StackError(.homeUnsafe, "\(walked) is a symbolic link or not a directory; a stack's data must stay in the home",
                                     hint: "remove it (`rm \(walked)`); the next start creates a real directory")
                }
                throw StackError(.ioFailed, "cannot open \(walked): \(String(cString: strerror(failure)))")
            }
            fd = next
        }
        defer { close(fd) }
        // The home itself may sit behind a link (/tmp on some systems); what is below it may not.
        let real = expected.resolvingSymlinksInPath().path
        guard real == URL(fileURLWithPath: root.path).resolvingSymlinksInPath().path + "/volumes/\(stack)/\(volume)" else {
            throw StackError(.homeUnsafe, "\(expected.path) resolves to \(real), outside the home")
        }
        if let owner, geteuid() == 0 {
            _ = fchown(fd, owner.uid, owner.gid)
        }
        return expected
    }
}
