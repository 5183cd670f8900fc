import Foundation

/// How large a notebook Loupe agrees to plan: checked before the text is read or any cell
/// planned, so a notebook built to exhaust memory (a 100 MB line, 10⁵ cells) is refused with
/// its size and the variable that raises the limit.
///
/// The defaults are far beyond a real notebook (the lecture is 40 kB with 24 cells); like
/// ``RGBImage/maximumPixelCount`` they can be raised for an unusual one, or lowered for a
/// server rendering notebooks it did not write.
public enum NotebookLimits {
    /// The environment variable that sets ``maximumBytes``.
    public static let bytesVariable = "LOUPE_MAX_NOTEBOOK_BYTES"
    /// The environment variable that sets ``maximumCells``.
    public static let cellsVariable = "LOUPE_MAX_CELLS"

    /// The largest notebook file, in bytes: 16 MiB, or ``bytesVariable`` when it is a whole
    /// number from 1 to 1 GiB.
    public static let maximumBytes = limit(ProcessInfo.processInfo.environment[bytesVariable], default: 16 << 20, ceiling: 1 << 30)
    /// The most directive cells: 2,000, or ``cellsVariable`` when it is a whole number from 1 to
    /// 1,000,000.
    public static let maximumCells = limit(ProcessInfo.processInfo.environment[cellsVariable], default: 2_000, ceiling: 1_000_000)

    /// The limit `value` asks for, or `fallback` when it is unset or not a whole number from 1 to
    /// `ceiling`.
    static func limit(_ value: String?, default fallback: Int, ceiling: Int) -> Int {
        guard let value, let limit = Int(value.trimmingCharacters(in: .whitespaces)), (1...ceiling).contains(limit) else { return fallback }
        return limit
    }

    /// Throws when a notebook of `bytes` bytes is over ``maximumBytes``.
    ///
    /// - Throws: ``NotebookError/tooLarge(file:size:limit:)``.
    static func check(bytes: Int, file: String) throws {
        guard bytes <= maximumBytes else {
            throw NotebookError.tooLarge(file: file, size: "is \(bytes) bytes", limit: "\(maximumBytes) bytes (\(bytesVariable) sets it)")
        }
    }

    /// How many lines of `text` open a fence whose info string starts with `{` (up to three
    /// spaces, three or more backticks or tildes, then `{`): at least the directive cells, found
    /// without parsing, so that a notebook far over the limit is refused before it is.
    static func fenceCount(_ text: String) -> Int {
        var count = 0
        var atLineStart = true, spaces = 0, fence: UInt8 = 0, run = 0
        for byte in text.utf8 {
            if byte == UInt8(ascii: "\n") {
                atLineStart = true
                spaces = 0
                fence = 0
                run = 0
                continue
            }
            guard atLineStart else { continue }
            if fence == 0, run == 0, byte == UInt8(ascii: " "), spaces < 3 {
                spaces += 1
            } else if byte == UInt8(ascii: "`") || byte == UInt8(ascii: "~"), fence == 0 || fence == byte {
                fence = byte
                run += 1
            } else {
                if byte == UInt8(ascii: "{"), run >= 3 { count += 1 }
                atLineStart = false
            }
        }
        return count
    }

    /// Throws when a notebook holds more than ``maximumCells`` directive cells.
    ///
    /// - Throws: ``NotebookError/tooLarge(file:size:limit:)``.
    static func check(cells: Int, file: String) throws {
        guard cells <= maximumCells else {
            throw NotebookError.tooLarge(
                file: file, size: "has \(cells) directive cells", limit: "\(maximumCells) (\(cellsVariable) sets it)")
        }
    }
}
