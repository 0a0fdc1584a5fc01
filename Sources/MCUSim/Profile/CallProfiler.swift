/// Call stacks, tracked at the instruction boundaries where control flow changes: a BL/BLX
/// opens a frame for the function it reaches, arriving at the top frame's return address
/// closes it, a branch to another function's first instruction is a tail call, and an
/// exception entry opens a frame closed by the return to its stacked PC. It keeps a calling
/// context tree (for collapsed stacks and flame graphs), per-function calls and inclusive
/// cycles, and function spans for the trace. Cold path: it runs on calls and returns only.
final class CallProfiler {
    struct Frame {
        var returnAddress: UInt32
        var function: Int
        var start: UInt64
        var node: Int
    }

    struct Span {
        var function: Int
        var start: UInt64
        var end: UInt64
        var depth: Int
    }

    /// Function start addresses, in SymbolTable.functions order.
    let starts: [UInt32]
    private(set) var frames: [Frame] = []
    // Calling-context tree: node 0 is the root (no function).
    private(set) var nodeParent: [Int] = [-1]
    private(set) var nodeFunction: [Int] = [-1]
    private(set) var nodeCycles: [UInt64] = [0]
    /// (parent node, function) to child node, in one table: one hash per call.
    private var children: [Int: Int] = [:]
    private var lastSwitch: UInt64 = 0
    /// Per function (index + 1, so the unknown function -1 has slot 0).
    private var callCounts: [UInt64]
    private var inclusiveCycles: [UInt64]
    private var onStack: [Int32]
    /// Function spans for the Chrome trace, capped so a call-heavy run cannot exhaust memory.
    static let spanLimit = 1_000_000
    private(set) var spans: [Span] = []
    private(set) var droppedSpans: UInt64 = 0
    static let maxDepth = 4096

    init(starts: [UInt32]) {
        self.starts = starts
        callCounts = [UInt64](repeating: 0, count: starts.count + 1)
        inclusiveCycles = [UInt64](repeating: 0, count: starts.count + 1)
        onStack = [Int32](repeating: 0, count: starts.count + 1)
    }

    /// Calls per function index (the unknown function is not listed).
    var calls: [Int: UInt64] {
        var out: [Int: UInt64] = [:]
        for (i, c) in callCounts.enumerated() where i > 0 && c > 0 { out[i - 1] = c }
        return out
    }

    var inclusive: [Int: UInt64] {
        var out: [Int: UInt64] = [:]
        for (i, c) in inclusiveCycles.enumerated() where i > 0 && c > 0 { out[i - 1] = c }
        return out
    }

    private func slot(_ function: Int) -> Int { function >= 0 && function < starts.count ? function + 1 : 0 }

    private var currentNode: Int { frames.last?.node ?? 0 }

    private func child(of parent: Int, function: Int) -> Int {
        let key = parent << 24 | slot(function)
        if let existing = children[key] { return existing }
        let node = nodeParent.count
        nodeParent.append(parent)
        nodeFunction.append(function)
        nodeCycles.append(0)
        children[key] = node
        return node
    }

    /// Charges the cycles since the last switch to the context that was running.
    private func settle(_ now: UInt64) {
        nodeCycles[currentNode] &+= now &- lastSwitch
        lastSwitch = now
    }

    /// After a BL/BLX to `address`. A BL that lands inside its own function, not at its start,
    /// is a far jump (Thumb-1 GCC uses BL for jumps beyond B's range in large functions), not a call.
    func call(function: Int, at address: UInt32, from caller: Int, returnAddress: UInt32, now: UInt64) {
        if function >= 0, function == caller, function < starts.count, starts[function] != address { return }
        push(function: function, returnAddress: returnAddress, now: now)
    }

    func push(function: Int, returnAddress: UInt32, now: UInt64) {
        guard frames.count < CallProfiler.maxDepth else { return }
        settle(now)
        let node = child(of: currentNode, function: function)
        frames.append(Frame(returnAddress: returnAddress, function: function, start: now, node: node))
        callCounts[slot(function)] &+= 1
        onStack[slot(function)] += 1
    }

    private func pop(now: UInt64) {
        settle(now)
        guard let frame = frames.popLast() else { return }
        let s = slot(frame.function)
        onStack[s] -= 1
        // Recursion: only the outermost activation adds to the inclusive time.
        if onStack[s] == 0 { inclusiveCycles[s] &+= now &- frame.start }
        if spans.count < CallProfiler.spanLimit {
            spans.append(Span(function: frame.function, start: frame.start, end: now, depth: frames.count))
        } else {
            droppedSpans &+= 1
        }
    }

    /// After an instruction that wrote PC (not a call): a return, a tail call, or a jump.
    func flowChanged(to address: UInt32, function: Int, now: UInt64) {
        // Returns may skip frames (longjmp, an exception unwinding): look a few levels down.
        for depth in stride(from: frames.count - 1, through: max(0, frames.count - 8), by: -1)
        where frames[depth].returnAddress == address {
            while frames.count > depth { pop(now: now) }
            return
        }
        guard let top = frames.last, function != top.function, function >= 0, function < starts.count,
              starts[function] == address else { return }
        // A tail call: the callee replaces the caller's frame and returns to its caller.
        let returnAddress = top.returnAddress
        pop(now: now)
        push(function: function, returnAddress: returnAddress, now: now)
    }

    /// Closes every frame at the end of the run.
    func finish(now: UInt64) {
        while !frames.isEmpty { pop(now: now) }
        settle(now)
    }

    /// The stack of functions (outermost first) for each context-tree node with cycles.
    func collapsed() -> [(stack: [Int], cycles: UInt64)] {
        var out: [(stack: [Int], cycles: UInt64)] = []
        for node in 1..<nodeParent.count where nodeCycles[node] != 0 {
            var stack: [Int] = []
            var n = node
            while n > 0 { stack.append(nodeFunction[n]); n = nodeParent[n] }
            out.append((stack.reversed(), nodeCycles[node]))
        }
        return out
    }
}
