import Foundation
import MCUSim

/// A one-line progress display on stderr for long runs, shown only when stderr is a
/// terminal and the run has lasted more than a second. It samples the machine's counters
/// from a background thread twice a second and erases itself when the run ends.
final class ProgressLine: @unchecked Sendable {
    private let machine: Machine
    private let lock = NSLock()
    private var finished = false
    private var shown = false
    private let start = DispatchTime.now()

    init(machine: Machine) { self.machine = machine }

    static var enabled: Bool { isatty(STDERR_FILENO) != 0 && ProcessInfo.processInfo.environment["CI"] == nil }

    func start(label: String) {
        guard ProgressLine.enabled else { return }
        let thread = Thread { [self] in
            Thread.sleep(forTimeInterval: 1.0)
            while true {
                lock.lock()
                if finished { lock.unlock(); return }
                let (instructions, cycles) = machine.liveCounters
                let seconds = Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9
                let clock = Double(machine.board.clockHz)
                let line = String(format: "\r%@: %.1f M instructions, %.3f s simulated, %.0f MIPS ",
                                  label, Double(instructions) / 1e6, Double(cycles) / clock, Double(instructions) / seconds / 1e6)
                FileHandle.standardError.write(Data(line.utf8))
                shown = true
                lock.unlock()
                Thread.sleep(forTimeInterval: 0.5)
            }
        }
        thread.start()
    }

    func finish() {
        lock.lock()
        finished = true
        if shown { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
        lock.unlock()
    }
}
