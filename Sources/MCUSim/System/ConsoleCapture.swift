import Foundation

/// The firmware's console: captured for the report and, depending on routing, echoed live.
final class ConsoleCapture {
    /// Cap on what the report keeps, so a chatty firmware cannot exhaust memory.
    static let captureLimit = 1 << 20

    let routing: ConsoleRouting
    private(set) var stdout: [UInt8] = []
    private(set) var stderr: [UInt8] = []
    private(set) var truncated = false

    init(routing: ConsoleRouting) { self.routing = routing }

    func write(_ bytes: [UInt8], toStderr: Bool) {
        guard !bytes.isEmpty else { return }
        if toStderr { append(bytes, to: &stderr) } else { append(bytes, to: &stdout) }
        switch routing {
        case .silent: break
        case .passthrough: FileHandle(fileDescriptor: toStderr ? 2 : 1).write(Data(bytes))
        case .allToStderr: FileHandle.standardError.write(Data(bytes))
        }
    }

    private func append(_ bytes: [UInt8], to buffer: inout [UInt8]) {
        let room = ConsoleCapture.captureLimit - buffer.count
        if bytes.count > room { truncated = true }
        if room > 0 { buffer.append(contentsOf: bytes.prefix(room)) }
    }
}
