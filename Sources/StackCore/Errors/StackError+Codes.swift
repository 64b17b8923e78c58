/// The codes Stack Desktop raises. Adapters and users may define more with
/// ``StackError/Code/init(_:exit:)``; the strings of these never change.
extension StackError.Code {
    // MARK: General
    /// An unexpected internal failure.
    public static let internalError = Self("internal.error", exit: .failure)
    /// Reading or writing a file failed.
    public static let ioFailed = Self("io.failed", exit: .failure)
    /// A file that must exist does not.
    public static let fileNotFound = Self("io.not_found", exit: .failure)
    /// The destination of an output already exists.
    public static let destinationExists = Self("io.destination_exists", exit: .failure)
    /// The command line is malformed.
    public static let usage = Self("usage.invalid", exit: .usage)

    // MARK: Home
    /// The home directory is missing or unusable.
    public static let homeInvalid = Self("home.invalid", exit: .failure)
    /// The home, its keys, secrets, trust rules or settings can be changed by another user.
    public static let homeUnsafe = Self("home.unsafe", exit: .failure)
    /// Another process holds the home lock for too long.
    public static let homeLocked = Self("home.locked", exit: .failure)
    /// The disk that holds the home is full (or the user's quota is used up).
    public static let ioNoSpace = Self("io.no_space", exit: .failure)
    /// The home has not been initialised.
    public static let homeNotInitialized = Self("home.not_initialized", exit: .failure)
    /// A setting is unknown or has the wrong type.
    public static let configInvalid = Self("config.invalid", exit: .failure)

    // MARK: Bundle entry policy (DESIGN §4.2)
    /// The file is not a bundle at all (not a compressed tar by its first bytes, a directory).
    public static let bundleNotABundle = Self("bundle.not_a_bundle", exit: .policy)
    /// The file is not a readable archive (random bytes, unsupported format).
    public static let bundleUnreadable = Self("bundle.unreadable", exit: .policy)
    /// The archive ends early or its compression stream is corrupt.
    public static let bundleTruncated = Self("bundle.truncated", exit: .policy)
    /// An entry is a symbolic link.
    public static let bundleSymlink = Self("bundle.symlink", exit: .policy)
    /// An entry is a hard link.
    public static let bundleHardlink = Self("bundle.hardlink", exit: .policy)
    /// An entry is a device, FIFO or socket.
    public static let bundleSpecialFile = Self("bundle.special_file", exit: .policy)
    /// An entry's path is absolute (or names a drive).
    public static let bundleAbsolutePath = Self("bundle.absolute_path", exit: .policy)
    /// An entry's path has a `..` component.
    public static let bundlePathTraversal = Self("bundle.path_traversal", exit: .policy)
    /// An entry's path has a backslash.
    public static let bundleBackslash = Self("bundle.backslash", exit: .policy)
    /// An entry's path has a NUL or control character.
    public static let bundleControlCharacter = Self("bundle.control_character", exit: .policy)
    /// An entry's path is empty, `.`-only, or not valid UTF-8.
    public static let bundleInvalidPath = Self("bundle.invalid_path", exit: .policy)
    /// A path component is longer than the limit.
    public static let bundleComponentTooLong = Self("bundle.component_too_long", exit: .policy)
    /// A path is longer than the limit.
    public static let bundlePathTooLong = Self("bundle.path_too_long", exit: .policy)
    /// Two entries have the same name.
    public static let bundleDuplicateEntry = Self("bundle.duplicate_entry", exit: .policy)
    /// Two entries' names are equal after case folding or Unicode NFC normalisation.
    public static let bundleNameCollision = Self("bundle.name_collision", exit: .policy)
    /// An entry needs a parent that is a file, or replaces a directory with a file.
    public static let bundleTypeConflict = Self("bundle.type_conflict", exit: .policy)
    /// The archive has more entries than the limit.
    public static let bundleTooManyEntries = Self("bundle.too_many_entries", exit: .policy)
    /// The expanded size exceeds the limit.
    public static let bundleTooLarge = Self("bundle.too_large", exit: .policy)
    /// The expanded/compressed ratio exceeds the limit (a compression bomb).
    public static let bundleCompressionRatio = Self("bundle.compression_ratio", exit: .policy)
    /// `stack.yaml` is missing at the root.
    public static let bundleManifestMissing = Self("bundle.manifest_missing", exit: .policy)

    // MARK: YAML, manifest and compose
    /// The YAML text is malformed.
    public static let yamlSyntax = Self("yaml.syntax", exit: .policy)
    /// A mapping has the same key twice.
    public static let yamlDuplicateKey = Self("yaml.duplicate_key", exit: .policy)
    /// Aliases expand past the limit (billion laughs).
    public static let yamlAliasLimit = Self("yaml.alias_limit", exit: .policy)
    /// The document nests deeper than the limit.
    public static let yamlTooDeep = Self("yaml.too_deep", exit: .policy)
    /// An alias names an anchor that is not defined, or YAML uses an unsupported feature.
    public static let yamlUnsupported = Self("yaml.unsupported", exit: .policy)
    /// `stack.yaml` has a key the format does not define.
    public static let manifestUnknownKey = Self("manifest.unknown_key", exit: .policy)
    /// A required `stack.yaml` field is missing.
    public static let manifestMissingField = Self("manifest.missing_field", exit: .policy)
    /// A `stack.yaml` field has a wrong type or value.
    public static let manifestInvalidField = Self("manifest.invalid_field", exit: .policy)
    /// The compose file is not a valid compose document.
    public static let composeInvalid = Self("compose.invalid", exit: .policy)
    /// The compose file named by the manifest is not in the bundle.
    public static let composeMissing = Self("compose.missing", exit: .policy)
}

extension StackError.Code {
    // MARK: Isolation policy (renderer, defence in depth behind the scan)
    /// A string refers to a variable that is not one of the stack's parameters.
    public static let policyInterpolation = Self("policy.interpolation", exit: .policy)
    /// A bind mount resolves outside the bundle or the stack's volumes directory.
    public static let policyBindEscape = Self("policy.bind_escape", exit: .policy)
    /// A bind mount's source does not exist in the bundle.
    public static let policyBindMissing = Self("policy.bind_missing", exit: .policy)
    /// A mount or port cannot be expressed safely (e.g. a `:` in a path).
    public static let policyMount = Self("policy.mount", exit: .policy)
    /// A resource request is above the configured ceiling.
    public static let policyResources = Self("policy.resources", exit: .policy)
}

extension StackError.Code {
    // MARK: Runtime
    /// No runtime is registered for the manifest's flavor.
    public static let runtimeUnknownFlavor = Self("runtime.unknown_flavor", exit: .runtime)
    /// Compose (v1 or v2) is not installed.
    public static let composeNotFound = Self("docker.compose_not_found", exit: .runtime)
    /// A compose command failed.
    public static let composeFailed = Self("docker.compose_failed", exit: .runtime)
    /// The host firewall guard that keeps stacks apart cannot be read or installed.
    public static let networkGuardUnavailable = Self("runtime.network_guard_unavailable", exit: .runtime)
}

extension StackError.Code {
    // MARK: Stacks and approval
    /// No stack of that name is installed.
    public static let stackNotFound = Self("stack.not_found", exit: .failure)
    /// A stack of that name is already installed.
    public static let stackExists = Self("stack.exists", exit: .failure)
    /// The user declined, or no one could be asked.
    public static let approvalDeclined = Self("approval.declined", exit: .declined)
}
