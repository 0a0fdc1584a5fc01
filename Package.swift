// swift-tools-version: 6.2
import PackageDescription

// Warnings are errors for the project's own targets; dependencies keep their defaults.
let strict: [SwiftSetting] = [.treatAllWarnings(as: .error)]

let package = Package(
    name: "mcusim",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "mcusim", targets: ["mcusim"]),
        .library(name: "MCUSim", targets: ["MCUSim"]),
        .library(name: "MCUSimCommands", targets: ["MCUSimCommands"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
    ],
    targets: [
        // C bridges: a module map plus a shim.h of typed, non-variadic wrappers.
        .systemLibrary(name: "CUnicorn", pkgConfig: "unicorn",
                       providers: [.apt(["libunicorn-dev"])]),
        .systemLibrary(name: "CLibElf", pkgConfig: "libelf",
                       providers: [.apt(["libelf-dev"])]),
        .systemLibrary(name: "CCapstone", pkgConfig: "capstone",
                       providers: [.apt(["libcapstone-dev"])]),

        .target(
            name: "MCUSim",
            dependencies: ["CUnicorn", "CLibElf", "CCapstone", .product(name: "Yams", package: "Yams")],
            swiftSettings: strict
        ),
        .target(
            name: "MCUGen",
            dependencies: ["MCUSim"],
            swiftSettings: strict
        ),
        .target(
            name: "MCUSweep",
            dependencies: ["MCUSim", "MCUGen"],
            swiftSettings: strict
        ),
        .target(
            name: "MCUSimCommands",
            dependencies: ["MCUSim", "MCUGen", "MCUSweep", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            swiftSettings: strict
        ),
        .executableTarget(name: "mcusim", dependencies: ["MCUSimCommands"], swiftSettings: strict),

        // Shared by the test targets: builds fixture firmware with the real toolchain.
        .target(name: "MCUTestSupport", dependencies: ["MCUSim", "MCUGen"], path: "Tests/Support", swiftSettings: strict),
        .testTarget(name: "MCUSimTests", dependencies: ["MCUSim", "MCUGen", "MCUTestSupport"],
                    exclude: ["Fixtures"], swiftSettings: strict),
        .testTarget(name: "MCUSimCommandsTests", dependencies: ["MCUSimCommands", "MCUSim", "MCUGen", "MCUSweep", "MCUTestSupport"],
                    swiftSettings: strict),
    ]
)
