import Foundation
import MCUSim

/// Writes the generated C beside the project's kernels and runtime and builds the ELF.
public struct FirmwareBuilder: Sendable {
    public let toolchain: Toolchain

    public init(toolchain: Toolchain) { self.toolchain = toolchain }

    /// Generates and compiles `model` for `board` into `directory`, with `input` as the
    /// harness input (zeros when nil). Returns the ELF path and what was generated.
    /// `mainSource` replaces the generated harness (e.g. an accuracy loop over embedded data).
    public func build(model: Model, modelPath: String, board: Board, directory: String, input: [Int8]? = nil,
                      mainSource: String? = nil, placement: Placement = Placement(),
                      encodings: [Int: SparseEncoding] = [:]) throws -> (elf: String, firmware: GeneratedFirmware) {
        guard let fw = Toolchain.firmwareDirectory() else {
            throw GeneratorError.toolchainMissing("cannot find the firmware/ folder (kernels and runtime)")
        }
        let generated = try CodeGenerator.generate(model, file: modelPath, placement: placement, encodings: encodings)
        try placement.validate(board: board, weightBytes: generated.weightBytes, arenaBytes: generated.arenaBytes, file: modelPath)
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        func write(_ text: String, _ name: String) throws {
            do { try text.write(toFile: "\(directory)/\(name)", atomically: true, encoding: .utf8) } catch {
                throw GeneratorError.toolchainMissing("\(directory)/\(name): cannot write: \(error.localizedDescription)")
            }
        }
        try write(generated.modelC, "model.c")
        try write(generated.modelH, "model.h")
        try write(mainSource ?? generated.mainC, "main.c")
        try write(CodeGenerator.inputSource(input ?? [Int8](repeating: 0, count: generated.inputElements)), "input.c")
        let kernels = (try? FileManager.default.contentsOfDirectory(atPath: "\(fw)/kernels")) ?? []
        let sources = ["main.c", "model.c", "input.c"].map { "\(directory)/\($0)" }
            + kernels.filter { $0.hasSuffix(".c") }.sorted().map { "\(fw)/kernels/\($0)" }
        let elf = "\(directory)/firmware.elf"
        var linkerScript: String?
        if placement.usesDRAM, let script = Placement.linkerScript(board: board) {
            try write(script, "model.ld")
            linkerScript = "\(directory)/model.ld"
        }
        try toolchain.build(sources: sources, board: board, output: elf, linkerScript: linkerScript,
                            extraFlags: ["-std=c11", "-I", "\(fw)/kernels", "-I", "\(fw)/runtime", "-I", directory,
                                         // Only the sparse kernels this model calls are linked (nn_sparse.h).
                                         String(format: "-DNN_SPARSE_FORMATS=0x%Xu", generated.sparseFormats)])
        return (elf, generated)
    }
}

/// Runs generated firmware on the simulator with an input and compares its output with the
/// host reference: the `mcusim check` loop.
public enum ModelCheck {
    public struct Outcome: Sendable {
        public var seed: Int
        public var matches: Bool
        public var firstMismatch: Int?
        public var result: RunResult
        public var firmwareOutput: [Int8]
        public var referenceOutput: [Int8]
        public var generated: GeneratedFirmware
    }

    public static func randomInput(count: Int, seed: Int) -> [Int8] {
        var state = UInt64(truncatingIfNeeded: seed) &* 0x9E37_79B9_7F4A_7C15 | 1
        return (0..<count).map { _ in
            state ^= state << 13; state ^= state >> 7; state ^= state << 17
            return Int8(truncatingIfNeeded: state >> 24)
        }
    }

    /// `reference` is the model the host reference runs (default: `model`); another model with
    /// the same graph compares, say, a firmware against a variant's arithmetic.
    public static func run(model: Model, modelPath: String, board: Board, directory: String, seed: Int,
                           builder: FirmwareBuilder, options: RunOptions, placement: Placement = Placement(),
                           encodings: [Int: SparseEncoding] = [:], reference referenceModel: Model? = nil) throws -> Outcome {
        guard let inputTensor = model.inputs.first.flatMap(model.tensor) else {
            throw GeneratorError.invalidModel(file: modelPath, problem: "the model has no input")
        }
        let input = randomInput(count: inputTensor.elementCount, seed: seed)
        let (elf, generated) = try builder.build(model: model, modelPath: modelPath, board: board, directory: directory, input: input,
                                                     placement: placement, encodings: encodings)
        let image = try ELFLoader.load(path: elf)
        let machine = try Machine(board: board, image: image, options: options)
        let result = machine.run()
        guard let symbol = image.symbols.named("model_output") else {
            throw GeneratorError.invalidModel(file: modelPath, problem: "the firmware has no model_output symbol")
        }
        let output = machine.readMemory(symbol.address, count: generated.outputElements).map { Int8(bitPattern: $0) }
        let refModel = referenceModel ?? model
        let values = try ModelRunner.run(refModel, input: input, file: modelPath, encodings: encodings)
        let reference = refModel.operators.last?.outputs.first.flatMap { values[$0] } ?? []
        let mismatch = zip(output, reference).enumerated().first { $0.element.0 != $0.element.1 }?.offset
        return Outcome(seed: seed, matches: result.stop.reason == .exit && mismatch == nil && output.count == reference.count,
                       firstMismatch: mismatch, result: result, firmwareOutput: output, referenceOutput: reference,
                       generated: generated)
    }

    /// The first layer whose output differs between firmware and reference, found by bisecting
    /// over models cut after a layer (each cut is built and run with the same input). Assumes a
    /// difference, once there, persists downstream. nil when every cut matches.
    public static func firstDifferingLayer(model: Model, modelPath: String, board: Board, directory: String, seed: Int,
                                           builder: FirmwareBuilder, options: RunOptions, placement: Placement = Placement(),
                                           encodings: [Int: SparseEncoding] = [:], reference: Model? = nil) throws -> Int? {
        // RESHAPE outputs alias their input, so a cut must end at a layer that writes its output.
        let cuts = model.operators.indices.filter { model.operators[$0].kind != .reshape }
        var lo = 0, hi = cuts.count - 1
        var found: Int?
        while lo <= hi {
            let mid = (lo + hi) / 2
            func cutAfter(_ m: Model) -> Model {
                var cut = m
                cut.operators = Array(m.operators[...cuts[mid]])
                cut.outputs = Array(m.operators[cuts[mid]].outputs.prefix(1))
                return cut
            }
            let outcome = try run(model: cutAfter(model), modelPath: modelPath, board: board, directory: directory, seed: seed,
                                  builder: builder, options: options, placement: placement,
                                  encodings: encodings.filter { $0.key <= cuts[mid] }, reference: reference.map(cutAfter))
            if outcome.matches { lo = mid + 1 } else { found = cuts[mid]; hi = mid - 1 }
        }
        return found
    }
}
