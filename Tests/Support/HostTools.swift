import Foundation

/// A host tool (gcc, readelf, python) that could not be run or exited non-zero.
public struct ToolFailure: Error, CustomStringConvertible {
    public let description: String
    public init(description: String) { self.description = description }
}

/// Runs a host tool from PATH and returns its stdout. Its stderr goes to a file rather than
/// a second pipe, so a chatty tool cannot deadlock the read.
public func runTool(_ arguments: [String]) throws -> String {
    let errPath = FileManager.default.temporaryDirectory.appendingPathComponent("mcusim-tool-\(UUID().uuidString)").path
    guard FileManager.default.createFile(atPath: errPath, contents: nil) else {
        throw ToolFailure(description: "cannot create \(errPath)")
    }
    defer { unlink(errPath) }
    let errHandle = try FileHandle(forWritingTo: URL(fileURLWithPath: errPath))
    defer { try? errHandle.close() }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = arguments
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = errHandle
    try process.run()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else {
        let err = (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? ""
        throw ToolFailure(description: "\(arguments.joined(separator: " ")) exited \(process.terminationStatus): \(err.prefix(2000))")
    }
    return String(decoding: data, as: UTF8.self)
}

/// A fresh directory per test, so parallel tests never share files.
public func makeScratchDirectory() throws -> String {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("mcusim-test-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    return dir
}

extension String {
    /// This text with one exact line replaced; an empty replacement deletes the line. Used to
    /// derive a malformed file from a valid one, one mistake at a time.
    public func replacingLine(_ line: String, with replacement: String) -> String {
        precondition(contains(line + "\n"), "the text has no line '\(line)'")
        return replacingOccurrences(of: line + "\n", with: replacement.isEmpty ? "" : replacement + "\n")
    }
}
