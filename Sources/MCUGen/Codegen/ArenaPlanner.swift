/// Places activation tensors in one arena by liveness: a tensor occupies its bytes from the
/// layer that produces it to the last layer that reads it, and tensors whose lifetimes do not
/// overlap share space (greedy first fit, largest first). RESHAPE outputs alias their input.
struct ArenaPlan {
    /// Byte offset in the arena per tensor index (aliases resolved).
    var offsets: [Int: Int]
    var size: Int
}

enum ArenaPlanner {
    static func plan(model: Model, inArena: Set<Int>, alias: [Int: Int]) -> ArenaPlan {
        func root(_ t: Int) -> Int { var t = t; while let a = alias[t] { t = a }; return t }
        var first: [Int: Int] = [:], last: [Int: Int] = [:]
        for (layer, op) in model.operators.enumerated() {
            for t in op.outputs.map(root) where inArena.contains(t) { first[t] = min(first[t] ?? layer, layer); last[t] = max(last[t] ?? layer, layer) }
            for t in op.inputs where t >= 0 {
                let r = root(t)
                if inArena.contains(r) { last[r] = max(last[r] ?? layer, layer) }
            }
        }
        let tensors = inArena.filter { first[$0] != nil }.sorted {
            let a = model.tensor($0)?.elementCount ?? 0, b = model.tensor($1)?.elementCount ?? 0
            return (a, $1) > (b, $0)
        }
        var placed: [(offset: Int, size: Int, from: Int, to: Int)] = []
        var offsets: [Int: Int] = [:]
        var size = 0
        for t in tensors {
            let bytes = ((model.tensor(t)?.elementCount ?? 0) + 3) & ~3
            let from = first[t] ?? 0, to = last[t] ?? 0
            // Lowest offset that overlaps no live tensor.
            var offset = 0
            for p in placed.sorted(by: { $0.offset < $1.offset }) where p.from <= to && from <= p.to {
                if offset + bytes > p.offset && p.offset + p.size > offset { offset = p.offset + p.size }
            }
            placed.append((offset, bytes, from, to))
            offsets[t] = offset
            size = max(size, offset + bytes)
        }
        for (t, _) in alias { offsets[t] = offsets[root(t)] }
        return ArenaPlan(offsets: offsets, size: size)
    }
}
