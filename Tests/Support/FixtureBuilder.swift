import Foundation
import MCUGen
import MCUSim

/// Builds test firmware with the real arm-none-eabi-gcc and newlib, once per distinct
/// configuration per test process, into a private temporary directory.
public enum FixtureBuilder {
    nonisolated(unsafe) private static var cache: [String: String] = [:]
    private static let lock = NSLock()

    public static let repositoryRoot: String = {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().path
    }()

    public static var buildRoot: String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("mcusim-tests-\(getpid())").path
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    public static func board(_ name: String) throws -> Board {
        try BoardLoader.load(path: "\(repositoryRoot)/boards/\(name).yaml")
    }

    /// Path of a fixture source under Tests/<target>/Fixtures.
    public static func fixture(_ target: String, _ file: String) -> String {
        "\(repositoryRoot)/Tests/\(target)/Fixtures/\(file)"
    }

    /// Compiles `sources` for `board` and returns the ELF path.
    public static func build(name: String, sources: [String], board: Board, float: FloatABI = .hard,
                             runtime: Bool = true, linkerScript: String? = nil, flags: [String] = []) throws -> String {
        let key = ([name, board.name, float.rawValue, String(runtime), linkerScript ?? ""] + sources + flags).joined(separator: "|")
        lock.lock()
        defer { lock.unlock() }
        if let hit = cache[key] { return hit }
        let output = "\(buildRoot)/\(name)-\(board.name)-\(float.rawValue)-\(abs(key.hashValue)).elf"
        try Toolchain.locate().build(sources: sources, board: board, output: output, float: float,
                                     runtime: runtime, linkerScript: linkerScript, extraFlags: flags)
        cache[key] = output
        return output
    }

    /// Loads and runs an ELF, console captured silently.
    public static func run(_ elf: String, board: Board, options: RunOptions = RunOptions()) throws -> RunResult {
        let image = try ELFLoader.load(path: elf)
        let machine = try Machine(board: board, image: image, options: options)
        return machine.run()
    }
}

extension RunResult {
    public var stdoutText: String { String(decoding: stdout, as: UTF8.self) }
    public var stderrText: String { String(decoding: stderr, as: UTF8.self) }
}
