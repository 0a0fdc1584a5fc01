import MCUSim

/// Failures of the command layer, each with the exit code it maps to.
public enum CommandError: Error, CustomStringConvertible {
    case usage(String)
    case badInput(String)
    case io(String)

    public var description: String {
        switch self {
        case let .usage(m), let .badInput(m), let .io(m): return m
        }
    }

    public var exitStatus: ExitStatus {
        switch self {
        case .usage: return .usage
        case .badInput, .io: return .badInput
        }
    }
}

extension SimulatorError {
    var exitStatus: ExitStatus {
        switch self {
        case .engine: return .internalError
        default: return .badInput
        }
    }
}
