import Foundation

/// libFuzzer's entry for programs with a `main` of their own (SwiftPM gives every executable
/// one): it parses the libFuzzer flags in `argv` and calls `callback` with each input.
@_silgen_name("LLVMFuzzerRunDriver")
private func runDriver(
    _ argc: UnsafeMutablePointer<CInt>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt
) -> CInt

/// Runs libFuzzer on `harness` with the process's arguments and exits with its status.
///
/// - Parameter harness: what one input does; it returns 0, as libFuzzer asks.
public func fuzzMain(_ harness: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt) -> Never {
    var argc = CommandLine.argc
    var argv = CommandLine.unsafeArgv
    exit(runDriver(&argc, &argv, harness))
}
