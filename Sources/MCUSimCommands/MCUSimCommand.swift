import ArgumentParser
import Foundation
import MCUGen
import MCUSim

/// The `mcusim` command tree.
public struct MCUSimCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "mcusim",
        abstract: "Run Cortex-M firmware on an instruction-level emulator and report what the chip would spend.",
        discussion: """
        Exit codes: the firmware's own exit code (0-63) passes through; 64 usage error, 65 bad input \
        (ELF, board, model, budget), 66 budget exceeded, 67 firmware fault, 68 limit reached, \
        69 idle or deadlock with nothing to wake it, 70 breakpoint, 71 internal error, 72 system reset, 73 check mismatch. See docs/exit-codes.md.
        """,
        version: "0.1.0",
        subcommands: [RunCommand.self, BuildCommand.self, CheckCommand.self, SweepCommand.self, GateCommand.self, BoardsCommand.self, BenchCommand.self]
    )

    public init() {}

    /// Parses, runs, prints errors as one line on stderr and exits with the documented code.
    public static func entry(_ arguments: [String]? = nil) -> Never {
        let status = execute(arguments)
        Foundation.exit(status)
    }

    /// The same as `entry` without exiting, for tests.
    /// `--profile` may stand alone (`--profile [N]`): supply the default count then.
    static func normalize(_ arguments: [String]) -> [String] {
        var out: [String] = []
        for (i, a) in arguments.enumerated() {
            out.append(a)
            if a == "--profile", i + 1 >= arguments.count || Int(arguments[i + 1]) == nil { out.append("15") }
        }
        return out
    }

    public static func execute(_ arguments: [String]?) -> Int32 {
        let arguments = normalize(arguments ?? Array(CommandLine.arguments.dropFirst()))
        do {
            var command = try parseAsRoot(arguments)
            do {
                try command.run()
                return 0
            } catch let exit as ExitCode {
                return exit.rawValue
            } catch let error as SimulatorError {
                printError(oneLine(error.description))
                return error.exitStatus.rawValue
            } catch let error as CommandError {
                printError(oneLine(error.description))
                return error.exitStatus.rawValue
            } catch let error as PruningError {
                printError(oneLine(error.description))
                if case .notApplicable = error { return ExitStatus.badInput.rawValue }
                return ExitStatus.usage.rawValue
            } catch let error as ValidationError {
                // Option combinations checked while running: one line, as the other errors.
                printError(oneLine(error.message))
                return ExitStatus.usage.rawValue
            } catch let error as GeneratorError {
                printError(oneLine(error.description))
                // A model or toolchain problem is bad input (a model too large for the board fails at link).
                return ExitStatus.badInput.rawValue
            } catch {
                // ArgumentParser's own errors (validation, help) keep their formatting and codes.
                let code = exitCode(for: error).rawValue
                if code != 0 { printError(fullMessage(for: error)) } else { print(fullMessage(for: error)) }
                return code
            }
        } catch {
            let code = exitCode(for: error).rawValue
            let message = fullMessage(for: error)
            if code == 0 { print(message) } else { FileHandle.standardError.write(Data((message + "\n").utf8)) }
            return code
        }
    }

    static func printError(_ message: String) {
        FileHandle.standardError.write(Data("mcusim: error: \(message)\n".utf8))
    }

    /// mcusim's own errors are one line (docs/exit-codes.md), but their text quotes inputs: a
    /// YAML block scalar (`key: |`) or a file name can hold line breaks. Control characters and
    /// line separators are shown escaped (`\n`), so a script reading stderr gets one line.
    static func oneLine(_ text: String) -> String {
        var out = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            switch scalar.properties.generalCategory {
            case .control, .lineSeparator, .paragraphSeparator: out.append(contentsOf: scalar.escaped(asASCII: true).unicodeScalars)
            default: out.append(scalar)
            }
        }
        return String(out)
    }
}
