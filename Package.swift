// swift-tools-version:6.0
//
// Stack Desktop: a layered library suite with pluggable adapters.
// No package dependencies: Foundation plus the system libraries OpenSSL 3, libarchive,
// libyaml and libcurl, each wrapped by exactly one Swift module.
import PackageDescription

let strict: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
]

let package = Package(
    name: "StackDesktop",
    platforms: [.macOS(.v14)],
    products: [
        .library(name: "StackCore", targets: ["StackCore"]),
        .library(name: "StackBundle", targets: ["StackBundle"]),
        .library(name: "StackSecurity", targets: ["StackSecurity"]),
        .library(name: "StackDocker", targets: ["StackDocker"]),
        .library(name: "StackAPI", targets: ["StackAPI"]),
        .library(name: "StackCLI", targets: ["StackCLI"]),
        .executable(name: "stackctl", targets: ["stackctl"]),
    ],
    targets: [
        // System libraries. Each is imported by exactly one Swift module.
        .systemLibrary(name: "COpenSSL", pkgConfig: "openssl",
                       providers: [.apt(["libssl-dev"])]),
        .systemLibrary(name: "CArchive", pkgConfig: "libarchive",
                       providers: [.apt(["libarchive-dev"])]),
        .systemLibrary(name: "CYAML", pkgConfig: "yaml-0.1",
                       providers: [.apt(["libyaml-dev"])]),
        .systemLibrary(name: "CCurl", pkgConfig: "libcurl",
                       providers: [.apt(["libcurl4-openssl-dev"])]),

        // Domain, ports and use cases. No C.
        .target(name: "StackCore", swiftSettings: strict),
        // Adapters.
        .target(name: "StackBundle", dependencies: ["StackCore", "CArchive", "CYAML"],
                swiftSettings: strict),
        .target(name: "StackSecurity", dependencies: ["StackCore", "COpenSSL"],
                swiftSettings: strict),
        .target(name: "StackAPI", dependencies: ["StackCore", "StackSecurity", "CCurl"],
                swiftSettings: strict),
        .target(name: "StackDocker", dependencies: ["StackCore"],
                swiftSettings: strict),
        // Composition root and the thin executable over it.
        .target(name: "StackCLI",
                dependencies: ["StackCore", "StackBundle", "StackSecurity", "StackDocker", "StackAPI"],
                swiftSettings: strict),
        .executableTarget(name: "stackctl", dependencies: ["StackCLI"], swiftSettings: strict),

        // Tests.
        .target(name: "StackTestSupport", dependencies: ["StackCore"],
                path: "Tests/StackTestSupport", swiftSettings: strict),
        .testTarget(name: "StackCoreTests", dependencies: ["StackCore", "StackTestSupport"],
                    swiftSettings: strict),
        .testTarget(name: "StackBundleTests",
                    dependencies: ["StackBundle", "StackCore", "StackDocker", "StackTestSupport"],
                    exclude: ["Corpus"],
                    swiftSettings: strict),
        .testTarget(name: "StackSecurityTests",
                    dependencies: ["StackSecurity", "StackBundle", "StackCore", "StackTestSupport"],
                    swiftSettings: strict),
        .testTarget(name: "StackDockerTests",
                    dependencies: ["StackDocker", "StackAPI", "StackBundle", "StackCore", "StackTestSupport"],
                    exclude: ["Golden"], swiftSettings: strict),
        .testTarget(name: "StackAPITests",
                    dependencies: ["StackAPI", "StackCore", "StackSecurity", "StackTestSupport"],
                    swiftSettings: strict),
        .testTarget(name: "StackCLITests",
                    dependencies: ["StackCLI", "StackCore", "StackSecurity", "StackTestSupport"],
                    swiftSettings: strict),
    ],
    swiftLanguageModes: [.v6]
)
