import Foundation
import MCUGen
import MCUSim

/// One point of a sweep: a board, a pruning strategy at a sparsity, an encoding and a
/// quantization. `prune` "dense" means no pruning.
public struct SweepConfiguration: Sendable, Hashable, Comparable {
    public var board: String
    public var prune: String
    public var sparsity: Double?
    public var encoding: String
    public var quant: String
    /// Epochs of mask-preserving fine-tuning after a one-shot strategy (0: none).
    public var finetune: Int
    /// DEPTHWISE_CONV_2D layers left dense (`--dense-depthwise`).
    public var denseDepthwise: Bool

    public init(board: String, prune: String, sparsity: Double?, encoding: String, quant: String, finetune: Int = 0,
                denseDepthwise: Bool = false) {
        self.board = board
        self.prune = prune
        self.sparsity = sparsity
        self.encoding = encoding
        self.quant = quant
        self.finetune = finetune
        self.denseDepthwise = denseDepthwise
    }

    /// A stable, readable identity (also the sort order, which sharding relies on).
    public var id: String {
        "\(board)|\(prune)|\(sparsity.map { String(format: "%.4f", $0) } ?? "-")|\(encoding)|\(quant)" + (finetune > 0 ? "|ft\(finetune)" : "")
            + (denseDepthwise ? "|dense-dw" : "")
    }

    /// The strategy as tables and plots show it: with "+dense-depthwise" when asked.
    public var strategyLabel: String { denseDepthwise ? "\(prune)+dense-depthwise" : prune }

    public static func < (a: SweepConfiguration, b: SweepConfiguration) -> Bool { a.id < b.id }
}

/// What to sweep: the model, optional data, and every configuration, from the command line or
/// a sweep file (YAML with the same keys; docs/sweep.md).
public struct SweepPlan: Sendable {
    public var model: String
    public var data: String?
    public var configurations: [SweepConfiguration]

    /// The quantizations a sweep can ask for (float models; an int8 model is taken as it is).
    public static let quantizations = ["int8", "int8-per-tensor"]

    public init(model: String, data: String?, boards: [String], prune: [String], sparsity: [Double], encoding: [String],
                quant: [String], finetune: [Int] = [], denseDepthwise: Bool = false) throws {
        self.model = model
        self.data = data
        guard !boards.isEmpty else { throw SweepError.badPlan("give at least one board") }
        for q in quant where !Self.quantizations.contains(q) {
            throw SweepError.badPlan("--quant \(q): known quantizations are \(Self.quantizations.joined(separator: ", "))")
        }
        for s in sparsity where !(s >= 0 && s < 1) { throw SweepError.badPlan("--sparsity \(s): must be in [0, 1)") }
        for f in finetune where !(0...1000).contains(f) { throw SweepError.badPlan("--finetune \(f): must be 0 to 1000 epochs") }
        var configs = Set<SweepConfiguration>()
        for board in boards {
            for p in prune.isEmpty ? ["dense"] : prune {
                for q in quant.isEmpty ? ["int8"] : quant {
                    if p == "dense" {
                        configs.insert(SweepConfiguration(board: board, prune: "dense", sparsity: nil, encoding: "dense", quant: q))
                        continue
                    }
                    // Check the strategy string now: a typo should fail before hours of sweeping.
                    let fixed = p.lowercased().hasPrefix("nm:")
                    _ = try PruningSpec.parse(p, sparsity: fixed ? nil : (sparsity.first ?? 0.5))
                    for s in fixed ? [nil] : (sparsity.isEmpty ? [nil] : sparsity.map { Optional($0) }) {
                        guard fixed || s != nil else { throw SweepError.badPlan("--prune \(p) needs --sparsity") }
                        for e in encoding.isEmpty ? ["auto"] : encoding {
                            _ = try EncodingChoice.parse(e)
                            // Fine-tuning applies to one-shot strategies; the training ones train anyway.
                            let training = (try? PruningSpec.parse(p, sparsity: s ?? 0.5).strategy.needsTraining) ?? false
                            for f in training || finetune.isEmpty ? [0] : finetune {
                                configs.insert(SweepConfiguration(board: board, prune: p, sparsity: s, encoding: e, quant: q, finetune: f,
                                                                  denseDepthwise: denseDepthwise))
                            }
                        }
                    }
                }
            }
        }
        configurations = configs.sorted()
    }

    /// A sweep file: model, boards, prune, sparsity, encoding, quant, finetune, dense_depthwise,
    /// data (paths relative to the file). Unknown keys are errors.
    public static func load(file: String) throws -> (plan: SweepPlan, jobs: Int?, out: String?) {
        guard let data = FileManager.default.contents(atPath: file), let text = String(data: data, encoding: .utf8) else {
            throw SweepError.badFile(file, "", "cannot read the file")
        }
        var root = try DataFileNode.parse(text: text, file: file) { SweepError.badFile($0, $1, $2) }
        let base = (file as NSString).deletingLastPathComponent
        func path(_ p: String) -> String { p.hasPrefix("/") || base.isEmpty ? p : base + "/" + p }
        func strings(_ key: String) throws -> [String] {
            guard root.has(key) else { return [] }
            if let items = try? root.list(key) {
                return try items.map { node in
                    guard let s = node.scalarText else { throw SweepError.badFile(file, key, "expected a list of strings") }
                    return s
                }
            }
            guard let s = try root.string(key) else { return [] }
            return [s]
        }
        func doubles(_ key: String) throws -> [Double] {
            try strings(key).map { s in
                guard let v = Double(s) else { throw SweepError.badFile(file, key, "'\(s)' is not a number") }
                return v
            }
        }
        func wholeNumbers(_ key: String) throws -> [Int] {
            try strings(key).map { s in
                guard let v = Int(s) else { throw SweepError.badFile(file, key, "'\(s)' is not a whole number") }
                return v
            }
        }
        let model = try root.requiredString("model")
        let dataPath = try root.string("data").map(path)
        let boards = try strings("boards") + strings("board")
        let plan: SweepPlan
        do {
            plan = try SweepPlan(model: path(model), data: dataPath, boards: boards, prune: strings("prune"),
                                 sparsity: doubles("sparsity"), encoding: strings("encoding"), quant: strings("quant"),
                                 finetune: wholeNumbers("finetune"), denseDepthwise: try root.bool("dense_depthwise") ?? false)
        } catch let error as SweepError {
            guard case let .badPlan(why) = error else { throw error }
            throw SweepError.badFile(file, "", Self.asKey(why))
        } catch let error as PruningError {
            throw SweepError.badFile(file, "", Self.asKey(error.description))
        }
        let jobs = try root.unsigned("jobs").map { n in
            guard (1...1024).contains(n) else { throw SweepError.badFile(file, "jobs", "\(n) is not from 1 to 1024") }
            return Int(n)
        }
        let out = try root.string("out").map(path)
        try root.finish()
        return (plan, jobs, out)
    }

    /// A plan error as a sweep file's: the rules speak of options (`--sparsity nan: must be in
    /// [0, 1)`); from a file they name its key instead (`sparsity nan: ...`), after the file.
    static func asKey(_ message: String) -> String {
        message.hasPrefix("--") ? String(message.dropFirst(2)) : message
    }

    /// The configurations of shard `index` of `count` (1-based): every count-th, in id order,
    /// so that shards are disjoint, cover the plan, and do not depend on the machine.
    public func shard(_ index: Int, of count: Int) -> [SweepConfiguration] {
        configurations.enumerated().filter { $0.offset % count == index - 1 }.map(\.element)
    }
}

/// Errors of planning, running and merging sweeps, written for the user.
public enum SweepError: Error, CustomStringConvertible {
    case badPlan(String)
    case badFile(String, String, String)
    case badResults(String, String)

    public var description: String {
        switch self {
        case let .badPlan(why): return why
        case let .badFile(file, key, why): return key.isEmpty ? "\(file): \(why)" : "\(file): \(key): \(why)"
        case let .badResults(file, why): return "\(file): \(why)"
        }
    }
}
