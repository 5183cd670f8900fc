// swift-tools-version: 6.0
//
// Loupe: a literate notebook engine for looking inside neural networks.
// Dependencies point one way: C shims < LoupeTensor < {LoupeImage, LoupeModels} < LoupeInterp
// < LoupeNotebook < loupe. Only LoupeTensor imports CDNNL.
import PackageDescription

let package = Package(
    name: "Loupe",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "LoupeTensor", targets: ["LoupeTensor"]),
        .executable(name: "loupe", targets: ["loupe"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        // System libraries (Debian packages). oneDNN ships no pkg-config file.
        .systemLibrary(name: "CDNNL", providers: [.apt(["libdnnl-dev"])]),
        .systemLibrary(name: "CCMark", pkgConfig: "libcmark", providers: [.apt(["libcmark-dev"])]),
        .systemLibrary(name: "CPNG", pkgConfig: "libpng", providers: [.apt(["libpng-dev"])]),
        .systemLibrary(name: "CTurboJPEG", pkgConfig: "libturbojpeg", providers: [.apt(["libturbojpeg0-dev"])]),

        .target(name: "CPeakFLOPS"),

        .target(name: "LoupeTensor", dependencies: ["CDNNL"]),
        .target(name: "LoupeBench", dependencies: ["LoupeTensor", "CPeakFLOPS"]),
        .executableTarget(
            name: "loupe",
            dependencies: [
                "LoupeTensor",
                "LoupeBench",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),

        .target(name: "LoupeTestSupport", dependencies: ["LoupeTensor"], path: "Tests/LoupeTestSupport"),
        .testTarget(
            name: "LoupeTensorTests",
            dependencies: ["LoupeTensor", "LoupeTestSupport"],
            resources: [.copy("Fixtures")]
        ),
    ]
)
