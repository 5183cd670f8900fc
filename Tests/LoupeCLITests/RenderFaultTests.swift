import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Renders that share a cell cache and a model store with others, and renders killed with
/// SIGKILL part-way: every process succeeds or leaves what was there, the model is fetched once,
/// every cache entry stays readable and the reports equal those of quiet serial renders.
@Suite(.serialized) struct RenderFaultTests {
    static let sample = PredictCommandTests.root.appendingPathComponent("Notebooks/sample.md")

    /// A second notebook sharing the sample's model, with cells of its own.
    static let other = """
        ---
        title: Another look
        params:
          photo: images/eagle.jpg
        ---

        ```{model} net
        :name: efficientnet-lite0
        ```

        ```{image} photo
        :src: "{{ photo }}"
        ```

        ```{predict}
        :image: photo
        :model: net
        :top: 3
        ```

        ```{attribute}
        :image: photo
        :model: net
        :method: gradcam
        ```
        """

    /// Every cache entry in `home` parses as JSON with a version and outputs, and no temporary
    /// file is left among them.
    private func expectReadableCache(_ home: URL, _ context: String) throws {
        let cells = home.appendingPathComponent("cells")
        let names = (try? FileManager.default.contentsOfDirectory(atPath: cells.path)) ?? []
        for name in names where name.hasSuffix(".json") && !name.hasPrefix(".") {
            let data = try Data(contentsOf: cells.appendingPathComponent(name))
            let entry = try? JSONSerialization.jsonObject(with: data) as? [String: Any]
            #expect(entry?["version"] is String && entry?["outputs"] is [Any], "\(context): \(name) is torn (\(data.count) bytes)")
        }
    }

    @Test func concurrentRendersShareCacheAndStore() throws {
        let folder = try makeTemporaryFolder("loupe-faults")
        defer { try? FileManager.default.removeItem(at: folder) }
        let other = PredictCommandTests.root.appendingPathComponent("Notebooks/.loupe-test-other-\(UUID().uuidString).md")
        try Data(Self.other.utf8).write(to: other)
        defer { try? FileManager.default.removeItem(at: other) }
        let home = folder.appendingPathComponent("home")

        // At once, with a store that has no model yet and an empty cache: the sample twice into
        // one report, the other notebook twice into two.
        let jobs: [(URL, String)] = [(Self.sample, "sample"), (Self.sample, "sample"), (other, "other-1"), (other, "other-2")]
        let started = try jobs.map { notebook, name in
            try StartedLoupe(
                ["render", notebook.path, "-o", folder.appendingPathComponent("\(name).html").path, "--reproducible"], home: home)
        }
        let runs = try started.map { try $0.wait() }
        for run in runs { #expect(run.status == 0, "\(run.errors)") }
        let messages = runs.map { $0.output + $0.errors }.joined(separator: "\n")
        #expect(messages.components(separatedBy: "fetching efficientnet-lite0").count - 1 == 1, "\(messages)")
        try expectReadableCache(home, "after the concurrent renders")

        // One at a time, each with a cache of its own: the same bytes.
        for (notebook, name) in [(Self.sample, "sample"), (other, "other-1")] {
            let serial = folder.appendingPathComponent("serial-\(name).html")
            let run = try runLoupe(
                ["render", notebook.path, "-o", serial.path, "--reproducible"], home: home,
                environment: ["LOUPE_CELL_CACHE": folder.appendingPathComponent("cache-\(name)").path])
            #expect(run.status == 0, "\(run.errors)")
            #expect(try Data(contentsOf: serial) == Data(contentsOf: folder.appendingPathComponent("\(name).html")), "\(name)")
        }
        #expect(
            try Data(contentsOf: folder.appendingPathComponent("other-1.html"))
                == Data(contentsOf: folder.appendingPathComponent("other-2.html")))
    }

    @Test func killedRendersLeaveTheReportAndCacheReadable() throws {
        let folder = try makeTemporaryFolder("loupe-faults")
        defer { try? FileManager.default.removeItem(at: folder) }
        let home = folder.appendingPathComponent("home")
        let report = folder.appendingPathComponent("report.html")
        let first = try runLoupe(["render", Self.sample.path, "-o", report.path, "--reproducible"], home: home)
        try #require(first.status == 0, "\(first.errors)")
        var previous = try Data(contentsOf: report)

        // Each render is of another photo, so each computes and caches new cells; the kills fall
        // from process start-up to the report's writing (most in the last part, where outputs
        // are cached and the report is written).
        let photos = ["chelsea.png", "coffee.png", "eagle.jpg", "giraffe.jpg", "horses.jpg", "person.jpg", "astronaut.png"]
        // Each kill falls once the render has reported `stage` of its 9 cells finished (0: at
        // once; 9: while the report is written), so where it lands does not depend on the load.
        let stages = Array(0...9)
        var killed = 0
        for (index, stage) in stages.enumerated() {
            let photo = "photo=images/\(photos[index % photos.count])"
            let render = try StartedLoupe(["render", Self.sample.path, "-o", report.path, "--reproducible", "--set", photo], home: home)
            let deadline = Date().addingTimeInterval(120)
            while render.process.isRunning, Date() < deadline, render.errorsSoFar.components(separatedBy: "/9] ").count - 1 < stage {
                Thread.sleep(forTimeInterval: 0.002)
            }
            if render.process.isRunning {
                kill(render.process.processIdentifier, SIGKILL)
                killed += 1
            }
            let run = try render.wait(crashExpected: true)
            let now = try Data(contentsOf: report)
            if now != previous {
                // The killed render got as far as writing its report: it is the whole report.
                let check = folder.appendingPathComponent("check.html")
                #expect(
                    try runLoupe(["render", Self.sample.path, "-o", check.path, "--reproducible", "--set", photo], home: home).status == 0)
                #expect(
                    try now == Data(contentsOf: check),
                    "kill \(index) after cell \(stage) left a report that is not whole (status \(run.status))")
                previous = now
            }
            try expectReadableCache(home, "kill \(index) after cell \(stage)")
        }
        #expect(killed >= stages.count / 2, "only \(killed) of \(stages.count) renders were still running when killed")
        print("RenderFaultTests: \(killed) of \(stages.count) renders killed")

        // What the killed renders cached is right: a render from the cache equals one without it.
        for photo in photos.prefix(3) {
            let cached = folder.appendingPathComponent("cached.html"), fresh = folder.appendingPathComponent("fresh.html")
            let arguments = ["render", Self.sample.path, "--reproducible", "--set", "photo=images/\(photo)"]
            #expect(try runLoupe(arguments + ["-o", cached.path], home: home).status == 0)
            #expect(try runLoupe(arguments + ["-o", fresh.path, "--no-cache"], home: home).status == 0)
            #expect(try Data(contentsOf: cached) == Data(contentsOf: fresh), "\(photo)")
        }
    }

    /// Runs `mount` or `umount` with `arguments`; whether it succeeded.
    @discardableResult
    private static func mount(_ command: String, _ arguments: [String]) -> Bool {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/\(command)")
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        guard (try? process.run()) != nil else { return false }
        process.waitUntilExit()
        return process.terminationStatus == 0
    }

    /// A full disk and then a read-only one (a small tmpfs, so root only): the render fails
    /// saying so, the report there before is unchanged, nothing is left beside it, and a cell
    /// cache on the full disk only costs warnings.
    @Test(.enabled(if: getuid() == 0, "mounting a tmpfs needs root")) func fullAndReadOnlyDisksKeepThePreviousReport() throws {
        let folder = try makeTemporaryFolder("loupe-faults")
        defer { try? FileManager.default.removeItem(at: folder) }
        let home = folder.appendingPathComponent("home")
        let previous = folder.appendingPathComponent("previous.html")
        try #require(try runLoupe(["render", Self.sample.path, "-o", previous.path, "--reproducible"], home: home).status == 0)
        let old = try Data(contentsOf: previous)

        let disk = folder.appendingPathComponent("disk")
        try FileManager.default.createDirectory(at: disk, withIntermediateDirectories: true)
        // Room for the old report and a tenth of another.
        try #require(Self.mount("mount", ["-t", "tmpfs", "-o", "size=\(old.count + old.count / 10)", "tmpfs", disk.path]))
        defer { Self.mount("umount", [disk.path]) }
        let report = disk.appendingPathComponent("report.html")
        try old.write(to: report)

        let full = try runLoupe(
            ["render", Self.sample.path, "-o", report.path, "--set", "photo=images/eagle.jpg"], home: home,
            environment: ["LOUPE_CELL_CACHE": disk.appendingPathComponent("cells").path])
        #expect(full.status != 0)
        #expect(
            full.errors.contains("could not write \(report.path): no space left on device (the file there before is unchanged)"),
            "\(full.errors)")
        #expect(full.errors.contains("warning: could not cache cell"), "\(full.errors)")
        #expect(try Data(contentsOf: report) == old)
        #expect(try FileManager.default.contentsOfDirectory(atPath: disk.path).sorted() == ["cells", "report.html"])
        // Cells small enough were cached whole; nothing half-written is left.
        let cells = try FileManager.default.contentsOfDirectory(atPath: disk.appendingPathComponent("cells").path)
        #expect(cells.allSatisfy { !$0.hasPrefix(".") }, "\(cells)")
        try expectReadableCache(disk, "a full disk")

        try #require(Self.mount("mount", ["-o", "remount,ro", disk.path]))
        let readOnly = try runLoupe(["render", Self.sample.path, "-o", report.path, "--set", "photo=images/eagle.jpg"], home: home)
        #expect(readOnly.status != 0)
        #expect(
            readOnly.errors.contains("could not write \(report.path): cannot create a file in \(disk.path): read-only file system"),
            "\(readOnly.errors)")
        #expect(try Data(contentsOf: report) == old)
    }
}
