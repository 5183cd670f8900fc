import Foundation
import FuzzSupport
import LoupeModels

/// The checkpoint readers take a file (they memory-map it, and zip archives are read by path):
/// each input is written to one file in shared memory first.
private let file = URL(fileURLWithPath: "/dev/shm/loupe-fuzz-checkpoint-\(getpid())")

/// One input: read as a checkpoint file; errors are expected, crashes are not.
private func fuzzCheckpoint(_ input: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    let bytes = UnsafeBufferPointer(start: input, count: count)
    guard (try? Data(buffer: bytes).write(to: file)) != nil else { return 0 }
    if let (tensors, _) = try? Checkpoint.loadWithMetadata(contentsOf: file) {
        for name in tensors.keys { _ = tensors[name]?.shape }
    }
    _ = Checkpoint.isTorchScriptArchive(at: file)
    return 0
}

@main
enum FuzzCheckpoint {
    static func main() { fuzzMain { fuzzCheckpoint($0, $1) } }
}
