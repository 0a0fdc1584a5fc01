import Foundation
import MCUSim

/// Failures of the generator and its toolchain.
public enum GeneratorError: Error, CustomStringConvertible {
    case toolchainMissing(String)
    case compileFailed(command: String, output: String)
    /// A model file that cannot be read or is structurally broken (truncated, bad offsets, wrong format).
    case malformedModel(file: String, problem: String)
    /// A well-formed model that breaks a rule of the IR (bad tensor index, unsupported type, bad shape).
    case invalidModel(file: String, problem: String)
    /// A data file (`--data`, `--calibration`) that cannot be read or does not fit the model.
    case malformedData(file: String, problem: String)
    /// A layer whose operator the generator does not implement.
    case unsupportedOperator(file: String, op: String, layer: Int, output: String)
    /// Other input the generator cannot use: calibration data, a placement the board cannot hold.
    case badInput(file: String, problem: String)

    public var description: String {
        switch self {
        case let .toolchainMissing(m): return m
        case let .compileFailed(command, output):
            let lines = output.split(separator: "\n").map(String.init)
            // One line for the user: the linker's overflow, else the first error.
            if let overflow = lines.first(where: { $0.contains("overflowed by") }) {
                let what = overflow.components(separatedBy: ": ").last ?? overflow
                return "the firmware does not fit the board: \(what)"
            }
            // The compiler's or linker's own message, not collect2's summary of it.
            let first = lines.first(where: { $0.contains("undefined reference") || $0.contains(": Error:")
                    || $0.contains(": error:") && !$0.hasPrefix("collect2") })
                ?? lines.first(where: { $0.contains("error") }) ?? lines.first ?? "no output"
            return "arm-none-eabi-gcc failed: \(first) (command: \(command.prefix(200))...)"
        case let .malformedModel(file, problem):
            return "\(file): malformed model: \(problem)"
        case let .invalidModel(file, problem):
            return "\(file): invalid model: \(problem)"
        case let .malformedData(file, problem):
            return "\(file): malformed data: \(problem)"
        case let .unsupportedOperator(file, op, layer, output):
            return "\(file): unsupported operator \(op) at layer \(layer) (output tensor '\(output)')"
        case let .badInput(file, problem):
            return "\(file): \(problem)"
        }
    }
}

/// How floating point is compiled: hardware FPU with the hard-float ABI, or software.
public enum FloatABI: String, Sendable, CaseIterable {
    case hard, soft
}

/// The Arm GCC + newlib toolchain that builds firmware for a board.
public struct Toolchain: Sendable {
    public let gcc: String

    public init(gcc: String) { self.gcc = gcc }

    /// Finds arm-none-eabi-gcc on PATH.
    public static func locate() throws -> Toolchain {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        for dir in path.split(separator: ":") {
            let candidate = "\(dir)/arm-none-eabi-gcc"
            if FileManager.default.isExecutableFile(atPath: candidate) { return Toolchain(gcc: candidate) }
        }
        throw GeneratorError.toolchainMissing("arm-none-eabi-gcc not found on PATH; run scripts/setup.sh (apt: gcc-arm-none-eabi libnewlib-arm-none-eabi)")
    }

    /// The GCC flags that select a board's core (kept in step with firmware/runtime/boards.mk).
    public static func cpuFlags(core: CoreKind, float: FloatABI = .hard) -> [String] {
        switch core {
        case .cortexM0: return ["-mcpu=cortex-m0", "-mthumb"]
        case .cortexM0Plus: return ["-mcpu=cortex-m0plus", "-mthumb"]
        case .cortexM3: return ["-mcpu=cortex-m3", "-mthumb"]
        case .cortexM4: return ["-mcpu=cortex-m4", "-mthumb", "-mfloat-abi=soft"]
        case .cortexM4F:
            return float == .hard ? ["-mcpu=cortex-m4", "-mthumb", "-mfloat-abi=hard", "-mfpu=fpv4-sp-d16"]
                                  : ["-mcpu=cortex-m4", "-mthumb", "-mfloat-abi=soft"]
        case .cortexM7:
            return float == .hard ? ["-mcpu=cortex-m7", "-mthumb", "-mfloat-abi=hard", "-mfpu=fpv5-d16"]
                                  : ["-mcpu=cortex-m7", "-mthumb", "-mfloat-abi=soft"]
        case .cortexM33:
            return float == .hard ? ["-mcpu=cortex-m33", "-mthumb", "-mfloat-abi=hard", "-mfpu=fpv5-sp-d16"]
                                  : ["-mcpu=cortex-m33", "-mthumb", "-mfloat-abi=soft"]
        }
    }

    /// The project's firmware/ folder (runtime startup, linker scripts, kernels).
    public static func firmwareDirectory() -> String? { ProjectLayout.findUpward("firmware") }

    /// Compiles and links `sources` into `output`. With `runtime: true` the project's startup
    /// and the board's linker script (firmware/runtime/<board>.ld) are used, and newlib's
    /// rdimon provides semihosting stdio.
    public func build(sources: [String], board: Board, output: String, float: FloatABI = .hard,
                      optimization: String = "-O2", runtime: Bool = true, linkerScript: String? = nil,
                      extraFlags: [String] = []) throws {
        var args = Toolchain.cpuFlags(core: board.core, float: float)
        args += [optimization, "-g", "-Wall", "-ffunction-sections", "-fdata-sections"]
        var inputs = sources
        if runtime {
            guard let fw = Toolchain.firmwareDirectory() else {
                throw GeneratorError.toolchainMissing("cannot find the firmware/ runtime folder")
            }
            inputs.insert("\(fw)/runtime/startup.c", at: 0)
            args += ["--specs=rdimon.specs", "-L", "\(fw)/runtime", "-T", linkerScript ?? "\(fw)/runtime/\(board.name).ld"]
        } else if let linkerScript {
            args += ["-T", linkerScript]
        }
        args += ["-Wl,--gc-sections"] + extraFlags + inputs + ["-o", output]
        try run(args)
    }

    /// Runs gcc; its diagnostics become the error on failure.
    public func run(_ arguments: [String]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: gcc)
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw GeneratorError.compileFailed(command: ([gcc] + arguments).joined(separator: " "),
                                               output: String(decoding: output, as: UTF8.self))
        }
    }
}
