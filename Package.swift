// swift-tools-version: 6.0
//
// Loupe: a literate notebook engine for looking inside neural networks.
// Dependencies point one way: C shims < LoupeTensor < {LoupeImage, LoupeModels} < LoupeInterp
// < LoupeNotebook < loupe. Only LoupeTensor imports CDNNL; only LoupeImage imports CPNG, CTurboJPEG and CFreeType.
import PackageDescription

let package = Package(
    name: "Loupe",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "LoupeTensor", targets: ["LoupeTensor"]),
        .library(name: "LoupeImage", targets: ["LoupeImage"]),
        .library(name: "LoupeModels", targets: ["LoupeModels"]),
        .library(name: "LoupeInterp", targets: ["LoupeInterp"]),
        .library(name: "LoupeNotebook", targets: ["LoupeNotebook"]),
        .library(name: "LoupeText", targets: ["LoupeText"]),
        .executable(name: "loupe", targets: ["loupe"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.0"),
        .package(url: "https://github.com/weichsel/ZIPFoundation", from: "0.9.19"),
        .package(url: "https://github.com/jpsim/Yams", from: "5.0.1"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        .package(url: "https://github.com/swhitty/FlyingFox", from: "0.27.1"),
    ],
    targets: [
        // System libraries (Debian packages). oneDNN ships no pkg-config file.
        .systemLibrary(name: "CDNNL", providers: [.apt(["libdnnl-dev"])]),
        .systemLibrary(name: "CCMark", pkgConfig: "libcmark", providers: [.apt(["libcmark-dev"])]),
        .systemLibrary(name: "CPNG", pkgConfig: "libpng", providers: [.apt(["libpng-dev"])]),
        .systemLibrary(name: "CTurboJPEG", pkgConfig: "libturbojpeg", providers: [.apt(["libturbojpeg0-dev"])]),
        .systemLibrary(name: "CFreeType", pkgConfig: "freetype2", providers: [.apt(["libfreetype-dev"])]),
        .systemLibrary(name: "CZlibGzip", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        .systemLibrary(name: "CLAPACK", providers: [.apt(["liblapacke-dev", "libopenblas-dev"])]),

        .target(name: "CPeakFLOPS"),

        .target(name: "LoupeTensor", dependencies: ["CDNNL", .product(name: "Logging", package: "swift-log")]),
        .target(name: "LoupeImage", dependencies: ["LoupeTensor", "CPNG", "CTurboJPEG", "CFreeType"]),
        .target(
            name: "LoupeModels",
            dependencies: [
                "LoupeTensor", "LoupeImage", "LoupeText", "ZIPFoundation", "CZlibGzip",
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            resources: [.copy("Resources")]
        ),
        .target(name: "LoupeInterp", dependencies: ["LoupeTensor", "LoupeImage", "LoupeModels", "CLAPACK"]),
        .target(
            name: "LoupeNotebook",
            dependencies: [
                "LoupeTensor", "LoupeImage", "LoupeModels", "LoupeInterp", "CCMark",
                .product(name: "Yams", package: "Yams"), .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        .target(name: "LoupeText"),
        .target(name: "LoupeBench", dependencies: ["LoupeTensor", "LoupeImage", "LoupeModels", "LoupeInterp", "CPeakFLOPS"]),
        .executableTarget(
            name: "loupe",
            dependencies: [
                "LoupeTensor",
                "LoupeImage",
                "LoupeModels",
                "LoupeInterp",
                "LoupeNotebook",
                "LoupeBench",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "FlyingFox", package: "FlyingFox"),
                .product(name: "FlyingSocks", package: "FlyingFox"),
            ]
        ),

        .target(name: "LoupeTestSupport", dependencies: ["LoupeTensor"], path: "Tests/LoupeTestSupport"),
        .testTarget(
            name: "LoupeImageTests",
            dependencies: ["LoupeImage", "LoupeTestSupport"],
            resources: [.copy("Fixtures")]
        ),
        .testTarget(name: "LoupeCLITests", dependencies: ["loupe"]),
        .testTarget(name: "LoupeInterpTests", dependencies: ["LoupeInterp", "LoupeTestSupport"], resources: [.copy("Fixtures")]),
        .testTarget(
            name: "LoupeNotebookTests",
            dependencies: ["LoupeNotebook", "LoupeTestSupport"],
            resources: [.copy("Fixtures")]
        ),
        .testTarget(
            name: "LoupeModelsTests",
            dependencies: ["LoupeModels", "LoupeTestSupport"],
            resources: [.copy("Fixtures")]
        ),
        .testTarget(name: "LoupeTextTests", dependencies: ["LoupeText", "LoupeModels"], resources: [.copy("Fixtures")]),
        .testTarget(
            name: "LoupeTensorTests",
            dependencies: ["LoupeTensor", "LoupeTestSupport"],
            resources: [.copy("Fixtures")]
        ),
    ]
)
