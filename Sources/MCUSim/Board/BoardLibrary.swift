import Foundation

/// Finds board files. `--board` takes a path (anything with a slash or a .yaml suffix)
/// or a name looked up in the boards directory.
public struct BoardLibrary: Sendable {
    public let directory: String

    public init(directory: String) { self.directory = directory }

    /// The boards directory: $MCUSIM_BOARDS, else `boards/` found by walking up from the
    /// executable (a build inside the checkout), else from the working directory.
    public static func locate() -> BoardLibrary? {
        if let env = ProcessInfo.processInfo.environment["MCUSIM_BOARDS"], !env.isEmpty {
            var isDir: ObjCBool = false
            guard FileManager.default.fileExists(atPath: env, isDirectory: &isDir), isDir.boolValue else { return nil }
            return BoardLibrary(directory: env)
        }
        if let found = ProjectLayout.findUpward("boards") { return BoardLibrary(directory: found) }
        return nil
    }

    public func names() -> [String] {
        let files = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        return files.filter { $0.hasSuffix(".yaml") }.map { String($0.dropLast(5)) }.sorted()
    }

    public func path(for name: String) -> String { directory + "/" + name + ".yaml" }

    public func load(name: String) throws -> Board {
        guard names().contains(name) else { throw SimulatorError.unknownBoard(name: name, known: names()) }
        return try BoardLoader.load(path: path(for: name))
    }

    /// Whether `--board`, `--costs` or a board's `costs:` names a file rather than a library entry:
    /// anything with a slash or a .yaml/.yml suffix.
    public static func isPath(_ nameOrPath: String) -> Bool {
        nameOrPath.contains("/") || nameOrPath.hasSuffix(".yaml") || nameOrPath.hasSuffix(".yml")
    }

    /// Cost tables (energy per event) live in `<boards>/costs`, one `<name>.yaml` each.
    public var costsDirectory: String { directory + "/costs" }

    public func costTableNames() -> [String] {
        let files = (try? FileManager.default.contentsOfDirectory(atPath: costsDirectory)) ?? []
        return files.filter { $0.hasSuffix(".yaml") }.map { String($0.dropLast(5)) }.sorted()
    }

    public func costTablePath(for name: String) -> String { costsDirectory + "/" + name + ".yaml" }

    /// A cost table by name from `<boards>/costs`.
    public func loadCostTable(name: String) throws -> CostTable {
        let known = costTableNames()
        guard known.contains(name) else {
            let list = known.isEmpty ? "none found in \(costsDirectory)" : known.joined(separator: ", ")
            throw SimulatorError.badCostTable(path: costTablePath(for: name), key: "",
                                              problem: "unknown cost table '\(name)'; known cost tables: \(list) (or give a path to a cost table file)")
        }
        return try CostTable.load(path: costTablePath(for: name))
    }

    /// Resolves `--board`: a file path, or a name from the library.
    public static func resolve(_ nameOrPath: String, library: BoardLibrary?) throws -> Board {
        if isPath(nameOrPath) {
            return try BoardLoader.load(path: nameOrPath)
        }
        guard let library else {
            throw SimulatorError.unknownBoard(name: nameOrPath, known: [])
        }
        return try library.load(name: nameOrPath)
    }
}

/// Locates the project's data folders (boards/, firmware/) from an installed or built binary.
public enum ProjectLayout {
    public static func findUpward(_ folder: String) -> String? {
        var starts: [URL] = []
        // The running binary's real location (/proc/self/exe on Linux), not argv[0], which is
        // a bare name when mcusim is found through $PATH.
        let exe = (Bundle.main.executableURL ?? URL(fileURLWithPath: CommandLine.arguments.first ?? "")).resolvingSymlinksInPath()
        starts.append(exe.deletingLastPathComponent())
        starts.append(URL(fileURLWithPath: FileManager.default.currentDirectoryPath))
        for start in starts {
            var dir = start.standardizedFileURL
            for _ in 0..<8 {
                let candidate = dir.appendingPathComponent(folder)
                var isDir: ObjCBool = false
                if FileManager.default.fileExists(atPath: candidate.path, isDirectory: &isDir), isDir.boolValue,
                   FileManager.default.fileExists(atPath: dir.appendingPathComponent("Package.swift").path) {
                    return candidate.path
                }
                let parent = dir.deletingLastPathComponent()
                if parent.path == dir.path { break }
                dir = parent
            }
        }
        return nil
    }
}
