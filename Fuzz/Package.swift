// swift-tools-version: 6.0
//
// libFuzzer harnesses for Loupe's parsers of untrusted input. Not part of the main build: each
// target's `main` hands its harness to libFuzzer's driver (LLVMFuzzerRunDriver), so it links only
// with libFuzzer's runtime. Run one with
// `Scripts/fuzz.sh TARGET SECONDS` (which builds with AddressSanitizer and seeds the corpus
// from the test fixtures).
import PackageDescription

let package = Package(
    name: "LoupeFuzz",
    platforms: [.macOS(.v15)],
    dependencies: [.package(name: "Loupe", path: "..")],
    targets: [
        // libFuzzer's driver called from a Swift `main`.
        .target(name: "FuzzSupport"),
        // PNG and JPEG decoding (libpng, TurboJPEG, EXIF orientation) through RGBImage(data:name:).
        .executableTarget(name: "FuzzImage", dependencies: ["FuzzSupport", .product(name: "LoupeImage", package: "Loupe")]),
        // Checkpoints: torch zip (with TorchScript archives), legacy pickles, safetensors.
        .executableTarget(name: "FuzzCheckpoint", dependencies: ["FuzzSupport", .product(name: "LoupeModels", package: "Loupe")]),
        // Notebooks: front matter, directive blocks, options, {{ param }} substitution, planning.
        .executableTarget(name: "FuzzNotebook", dependencies: ["FuzzSupport", .product(name: "LoupeNotebook", package: "Loupe")]),
        // The WordPiece and CLIP BPE tokenizers with their real vocabularies, and their file parsers.
        .executableTarget(
            name: "FuzzTokenizers",
            dependencies: ["FuzzSupport", .product(name: "LoupeText", package: "Loupe"), .product(name: "LoupeModels", package: "Loupe")]),
    ]
)
