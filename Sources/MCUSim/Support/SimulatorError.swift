/// Every failure the simulator library reports, written for the person who ran the tool.
/// Each case names the file it concerns so a CI log line is enough to act on.
public enum SimulatorError: Error, Equatable, CustomStringConvertible {
    /// An ELF file that cannot be loaded (not ELF, wrong class or machine, truncated, ...).
    case badFirmware(path: String, reason: String)
    /// A board file with a mistake; `key` is the dotted path of the offending key.
    case badBoard(path: String, key: String, problem: String)
    /// A cost table (energy per event) with a mistake, or one that cannot be found or read;
    /// `key` is the dotted path of the offending key, empty for the whole file.
    case badCostTable(path: String, key: String, problem: String)
    /// A budget file with a mistake; `key` is the dotted path of the offending key.
    case badBudget(path: String, key: String, problem: String)
    /// A report file that is not an mcusim report.
    case badReport(path: String, reason: String)
    /// `--board NAME` matched no board file.
    case unknownBoard(name: String, known: [String])
    /// The image does not fit the board's memory map.
    case imageDoesNotFit(path: String, reason: String)
    /// A file could not be read or written.
    case io(path: String, reason: String)
    /// Unicorn refused a set-up call; this is a simulator bug or an unsupported board.
    case engine(String)

    public var description: String {
        switch self {
        case let .badFirmware(path, reason): return "\(path): \(reason)"
        case let .badBoard(path, key, problem):
            return key.isEmpty ? "\(path): \(problem)" : "\(path): \(key): \(problem)"
        case let .badCostTable(path, key, problem):
            return key.isEmpty ? "\(path): \(problem)" : "\(path): \(key): \(problem)"
        case let .badBudget(path, key, problem):
            return key.isEmpty ? "\(path): \(problem)" : "\(path): \(key): \(problem)"
        case let .badReport(path, reason): return "\(path): \(reason)"
        case let .unknownBoard(name, known):
            if known.isEmpty {
                return "unknown board '\(name)': no board library found (set MCUSIM_BOARDS to the boards/ folder, or give a path to a board file)"
            }
            return "unknown board '\(name)'; known boards: \(known.joined(separator: ", ")) (or give a path to a board file)"
        case let .imageDoesNotFit(path, reason): return "\(path): \(reason)"
        case let .io(path, reason): return "\(path): \(reason)"
        case let .engine(message): return "emulator: \(message)"
        }
    }
}
