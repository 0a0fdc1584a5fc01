import Foundation

/// Captures what the process writes to fd 1 and fd 2 while `body` runs.
///
/// The descriptors are process-wide and Swift Testing runs tests in parallel, so every test
/// that writes to stdout (a command run in-process, a printed measurement) must go through
/// this lock: otherwise its lines land in another test's capture and break that test's
/// assertions on exact output (seen in CI: a gate report inside a JSON capture).
public enum OutputCapture {
    private static let lock = NSLock()

    /// Runs `body` with fd 1 and fd 2 redirected to temporary files and returns what it wrote.
    /// Anything else written to stderr meanwhile (the test runner's progress lines) is copied
    /// back to the real stderr afterwards, so nothing is lost from the log.
    public static func capture(_ body: () -> Int32) -> (status: Int32, stdout: String, stderr: String) {
        lock.lock()
        defer { lock.unlock() }
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("mcusim-cli-\(UUID().uuidString)").path
        let outPath = base + ".out", errPath = base + ".err"
        defer {
            unlink(outPath)
            unlink(errPath)
        }
        let outFD = open(outPath, O_CREAT | O_TRUNC | O_WRONLY, 0o600)
        let errFD = open(errPath, O_CREAT | O_TRUNC | O_WRONLY, 0o600)
        guard outFD >= 0, errFD >= 0 else {
            if outFD >= 0 { close(outFD) }
            if errFD >= 0 { close(errFD) }
            return (body(), "", "(capture unavailable)")
        }
        fflush(nil)
        let savedOut = dup(1), savedErr = dup(2)
        dup2(outFD, 1)
        dup2(errFD, 2)
        close(outFD)
        close(errFD)
        let status = body()
        fflush(nil)
        dup2(savedOut, 1)
        dup2(savedErr, 2)
        close(savedOut)
        close(savedErr)
        let out = FileManager.default.contents(atPath: outPath) ?? Data()
        let err = FileManager.default.contents(atPath: errPath) ?? Data()
        if !err.isEmpty { FileHandle.standardError.write(err) }
        return (status, String(decoding: out, as: UTF8.self), String(decoding: err, as: UTF8.self))
    }

    /// Prints a measurement to the test log without landing in another test's capture.
    public static func log(_ text: String) {
        lock.lock()
        defer { lock.unlock() }
        print(text)
        fflush(nil)
    }
}
