import Foundation

/// ARM semihosting (BKPT 0xAB), enough for newlib's rdimon to run unchanged: the console,
/// `:semihosting-features`, exit codes, clocks from simulated time and HEAPINFO. Host files
/// are reachable only under an explicit root directory.
final class Semihosting {
    enum Operation: UInt32 {
        case open = 0x01, close = 0x02, writeC = 0x03, write0 = 0x04, write = 0x05, read = 0x06, readC = 0x07
        case isError = 0x08, isTTY = 0x09, seek = 0x0A, flen = 0x0C, tmpnam = 0x0D, remove = 0x0E, rename = 0x0F
        case clock = 0x10, time = 0x11, system = 0x12, errno = 0x13, getCmdline = 0x15, heapInfo = 0x16
        case exit = 0x18, exitExtended = 0x20, elapsed = 0x30, tickFreq = 0x31
    }

    /// ADP_Stopped_ApplicationExit: the one exit reason that means a normal exit.
    static let applicationExit: UInt32 = 0x20026
    /// Feature bits of `:semihosting-features`: EXIT_EXTENDED and STDOUT_STDERR.
    static let featureBytes: [UInt8] = [0x53, 0x48, 0x46, 0x42, 0x03]

    private enum Handle {
        case stdin, stdout, stderr
        case features(position: Int)
        case file(fd: Int32)
    }

    private let memory: GuestMemory
    private let console: ConsoleCapture
    private let root: String?
    private var stdinBytes: [UInt8]
    private var stdinPosition = 0
    private let commandLine: String
    private let clockHz: UInt64
    private let heapInfo: (heapBase: UInt32, heapLimit: UInt32, stackBase: UInt32, stackLimit: UInt32)
    private var handles: [UInt32: Handle] = [:]
    private var nextHandle: UInt32 = 1
    private var lastErrno: Int32 = 0

    /// Set when the firmware asks to exit.
    private(set) var exitCode: Int?

    init(memory: GuestMemory, console: ConsoleCapture, options: RunOptions, clockHz: UInt64,
         heapInfo: (UInt32, UInt32, UInt32, UInt32)) {
        self.memory = memory
        self.console = console
        self.root = options.semihostingRoot
        self.stdinBytes = options.stdinBytes
        self.commandLine = options.commandLine
        self.clockHz = clockHz
        self.heapInfo = heapInfo
    }

    deinit {
        for case let .file(fd) in handles.values { close(fd) }
    }

    /// Services one call. `operation` is r0, `parameter` r1; returns the value for r0.
    /// `cycles` is the simulated time so far.
    func call(operation: UInt32, parameter: UInt32, cycles: UInt64) -> UInt32 {
        guard let op = Operation(rawValue: operation) else { return UInt32(bitPattern: -1) }
        func arg(_ i: UInt32) -> UInt32 { memory.read32(parameter &+ i * 4) }
        switch op {
        case .writeC:
            console.write([memory.read8(parameter)], toStderr: false)
            return 0
        case .write0:
            console.write(memory.readCString(parameter, limit: 1 << 16), toStderr: false)
            return 0
        case .open:
            return open(path: memory.readBytes(arg(0), count: Int(min(arg(2), 4096))), mode: arg(1))
        case .close:
            if case let .file(fd)? = handles.removeValue(forKey: arg(0)) { Foundation.close(fd) }
            return 0
        case .write:
            return write(handle: arg(0), address: arg(1), count: arg(2))
        case .read:
            return read(handle: arg(0), address: arg(1), count: arg(2))
        case .readC:
            guard stdinPosition < stdinBytes.count else { return UInt32(bitPattern: -1) }
            defer { stdinPosition += 1 }
            return UInt32(stdinBytes[stdinPosition])
        case .isError:
            return Int32(bitPattern: arg(0)) < 0 ? 1 : 0
        case .isTTY:
            switch handles[arg(0)] {
            case .stdin?, .stdout?, .stderr?: return 1
            default: return 0
            }
        case .seek:
            return seek(handle: arg(0), position: arg(1))
        case .flen:
            return length(handle: arg(0))
        case .remove:
            // Remove the name itself (a link, not what it points to).
            guard let path = hostPath(memory.readBytes(arg(0), count: Int(min(arg(1), 4096))), followLink: false) else { return fail(EACCES) }
            return unlink(path) == 0 ? 0 : fail(errno)
        case .rename:
            guard let from = hostPath(memory.readBytes(arg(0), count: Int(min(arg(1), 4096))), followLink: false),
                  let to = hostPath(memory.readBytes(arg(2), count: Int(min(arg(3), 4096))), followLink: false) else { return fail(EACCES) }
            return Foundation.rename(from, to) == 0 ? 0 : fail(errno)
        case .tmpnam, .system:
            // Never run host commands or hand out host paths.
            return fail(EACCES)
        case .clock:
            // Centiseconds of simulated time since reset.
            return UInt32(truncatingIfNeeded: cycles * 100 / max(clockHz, 1))
        case .time:
            // Seconds of simulated time: deterministic, unlike the host's calendar.
            return UInt32(truncatingIfNeeded: cycles / max(clockHz, 1))
        case .elapsed:
            memory.write32(parameter, UInt32(truncatingIfNeeded: cycles))
            memory.write32(parameter &+ 4, UInt32(truncatingIfNeeded: cycles >> 32))
            return 0
        case .tickFreq:
            return UInt32(truncatingIfNeeded: clockHz)
        case .errno:
            return UInt32(bitPattern: lastErrno)
        case .getCmdline:
            let bytes = Array(commandLine.utf8.prefix(Int(max(arg(1), 1)) - 1)) + [0]
            memory.writeBytes(arg(0), bytes)
            memory.write32(parameter &+ 4, UInt32(bytes.count - 1))
            return 0
        case .heapInfo:
            // r1 points to a word holding the address of the four-word block to fill.
            let block = memory.read32(parameter)
            memory.write32(block, heapInfo.heapBase)
            memory.write32(block &+ 4, heapInfo.heapLimit)
            memory.write32(block &+ 8, heapInfo.stackBase)
            memory.write32(block &+ 12, heapInfo.stackLimit)
            return 0
        case .exit:
            // On AArch32, r1 is the reason itself; only ApplicationExit means success.
            exitCode = parameter == Semihosting.applicationExit ? 0 : 1
            return 0
        case .exitExtended:
            exitCode = arg(0) == Semihosting.applicationExit ? Int(Int32(bitPattern: arg(1))) : 1
            return 0
        }
    }

    private func fail(_ code: Int32) -> UInt32 {
        lastErrno = code
        return UInt32(bitPattern: -1)
    }

    private func allocate(_ handle: Handle) -> UInt32 {
        let h = nextHandle
        nextHandle += 1
        handles[h] = handle
        return h
    }

    private func open(path bytes: [UInt8], mode: UInt32) -> UInt32 {
        let name = String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
        if name == ":tt" {
            // Modes 0-3 are the "r" family, 4-7 "w", 8-11 "a" (stderr by convention).
            return allocate(mode < 4 ? .stdin : mode < 8 ? .stdout : .stderr)
        }
        if name == ":semihosting-features" {
            return mode < 4 ? allocate(.features(position: 0)) : fail(EACCES)
        }
        guard let path = hostPath(Array(name.utf8)) else { return fail(EACCES) }
        // Modes follow fopen: r, rb, r+, r+b, w, wb, w+, w+b, a, ab, a+, a+b.
        let flags: Int32
        switch mode / 2 {
        case 0: flags = O_RDONLY
        case 1: flags = O_RDWR
        case 2: flags = O_WRONLY | O_CREAT | O_TRUNC
        case 3: flags = O_RDWR | O_CREAT | O_TRUNC
        case 4: flags = O_WRONLY | O_CREAT | O_APPEND
        default: flags = O_RDWR | O_CREAT | O_APPEND
        }
        let fd = Foundation.open(path, flags | O_NOFOLLOW, 0o644)
        return fd < 0 ? fail(errno) : allocate(.file(fd: fd))
    }

    /// Resolves a firmware path under the semihosting root, refusing anything that escapes it,
    /// by `..` or through a symbolic link: the real path of the file (or of its folder, for a
    /// file about to be created) must lie inside the real path of the root.
    private func hostPath(_ bytes: [UInt8], followLink: Bool = true) -> String? {
        guard let root else { return nil }
        let name = String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
        guard !name.isEmpty, !name.contains("\0") else { return nil }
        guard let base = Semihosting.realPath(root) else { return nil }
        let full = URL(fileURLWithPath: name, relativeTo: URL(fileURLWithPath: base + "/")).standardizedFileURL
        let resolved: String
        if followLink, let existing = Semihosting.realPath(full.path) {
            resolved = existing
        } else if let folder = Semihosting.realPath(full.deletingLastPathComponent().path) {
            resolved = folder + "/" + full.lastPathComponent
        } else {
            return nil
        }
        guard resolved.hasPrefix(base + "/") else { return nil }
        return resolved
    }

    static func realPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    private func write(handle: UInt32, address: UInt32, count: UInt32) -> UInt32 {
        let n = Int(min(count, 1 << 20))
        switch handles[handle] {
        case .stdout?, .stdin?: console.write(memory.readBytes(address, count: n), toStderr: false)
        case .stderr?: console.write(memory.readBytes(address, count: n), toStderr: true)
        case let .file(fd)?:
            let bytes = memory.readBytes(address, count: n)
            let written = bytes.withUnsafeBytes { Foundation.write(fd, $0.baseAddress, $0.count) }
            return written < 0 ? count : count - UInt32(written)
        default: return count
        }
        return count - UInt32(n)
    }

    /// Returns the number of bytes NOT read, as the semihosting spec defines.
    private func read(handle: UInt32, address: UInt32, count: UInt32) -> UInt32 {
        let n = Int(min(count, 1 << 20))
        switch handles[handle] {
        case .stdin?:
            let available = min(n, stdinBytes.count - stdinPosition)
            memory.writeBytes(address, Array(stdinBytes[stdinPosition..<(stdinPosition + available)]))
            stdinPosition += available
            return count - UInt32(available)
        case let .features(seekPosition)?:
            // A seek may point past the end; reads there return nothing.
            let position = min(max(seekPosition, 0), Semihosting.featureBytes.count)
            let available = min(n, Semihosting.featureBytes.count - position)
            memory.writeBytes(address, Array(Semihosting.featureBytes[position..<(position + available)]))
            handles[handle] = .features(position: position + available)
            return count - UInt32(available)
        case let .file(fd)?:
            var buffer = [UInt8](repeating: 0, count: n)
            let got = buffer.withUnsafeMutableBytes { Foundation.read(fd, $0.baseAddress, n) }
            guard got >= 0 else { return count }
            memory.writeBytes(address, Array(buffer.prefix(got)))
            return count - UInt32(got)
        default:
            return count
        }
    }

    private func seek(handle: UInt32, position: UInt32) -> UInt32 {
        switch handles[handle] {
        case .features?:
            handles[handle] = .features(position: Int(position))
            return 0
        case let .file(fd)?:
            return lseek(fd, off_t(position), SEEK_SET) < 0 ? fail(errno) : 0
        default:
            return 0
        }
    }

    private func length(handle: UInt32) -> UInt32 {
        switch handles[handle] {
        case .features?: return UInt32(Semihosting.featureBytes.count)
        case let .file(fd)?:
            var st = stat()
            return fstat(fd, &st) == 0 ? UInt32(truncatingIfNeeded: st.st_size) : fail(errno)
        default: return 0
        }
    }
}
