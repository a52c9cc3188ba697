// swift-tools-version:6.0
import PackageDescription

// Libraries in dependency order, each knowing only those below it:
//   RLHFEngine     tensors, autodiff, GPT-2, tokenizer, sampling, Adam, checkpoints
//   RLHFStages     data formats, SFT, reward model, PPO, the built-in world
//   RLHFSimulator  session state, the command interpreter, rendering, lessons
//   rlhf           the thin executable and the libedit front end
// Each target lists every module it imports.
let package = Package(
    name: "rlhf",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "rlhf", targets: ["rlhf"]),
        .library(name: "RLHFEngine", targets: ["RLHFEngine"]),
        .library(name: "RLHFStages", targets: ["RLHFStages"]),
        .library(name: "RLHFSimulator", targets: ["RLHFSimulator"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        // Matrix tiles for AVX2, AVX-512 and NEON, chosen at run time, and the two-thread worker pool.
        .target(name: "RLHFKernels"),
        .target(name: "RLHFEngine", dependencies: ["RLHFKernels"]),
        // The shipped world recipes (lessons/recipes, through a link), compiled into the library as bytes
        // (`PackageResources`), so that a binary copied out of the checkout still has them.
        .target(name: "RLHFStages", dependencies: ["RLHFEngine"],
                resources: [.embedInCode("World/Recipes/resort.json"),
                            .embedInCode("World/Recipes/arithmetic.json")]),
        .target(name: "RLHFSimulator", dependencies: ["RLHFStages", "RLHFEngine"]),
        // libedit, found through pkg-config; Debian's package is libedit-dev.
        .systemLibrary(
            name: "CLibEdit",
            pkgConfig: "libedit",
            providers: [.apt(["libedit-dev"]), .brew(["libedit"])]
        ),
        // Non-variadic C shims for the parts of libedit Swift cannot call directly
        // (C globals such as rl_attempted_completion_function, variadic functions).
        .target(name: "LineEditShims", dependencies: ["CLibEdit"]),
        .executableTarget(
            name: "rlhf",
            dependencies: [
                "RLHFSimulator",
                "RLHFStages",
                "RLHFEngine",
                "LineEditShims",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .testTarget(name: "RLHFEngineTests", dependencies: ["RLHFEngine"]),
        .testTarget(name: "RLHFStagesTests", dependencies: ["RLHFStages", "RLHFEngine"]),
        // Depends on the executable too, so that `swift test` builds `rlhf` for the
        // tests that run it as a process.
        .testTarget(
            name: "RLHFSimulatorTests",
            dependencies: ["RLHFSimulator", "RLHFStages", "RLHFEngine", "rlhf"]
        ),
    ],
    swiftLanguageModes: [.v6]
)
