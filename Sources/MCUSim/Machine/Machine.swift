import CUnicorn
import Foundation

/// What a run produced, before it is rendered as a report.
public struct RunResult: Sendable {
    public var board: Board
    public var firmwarePath: String
    public var firmwareSHA256: String
    public var flashBytes: UInt64
    public var sramStaticBytes: UInt64
    public var boot: BootInfo
    public var stop: StopInfo
    public var instructions: UInt64
    public var timing: TimingSummary
    public var stdout: [UInt8]
    public var stderr: [UInt8]
    public var consoleTruncated: Bool
    public var wallSeconds: Double
    /// MMIO accesses that no peripheral model answered (reads returned zero).
    public var unmodeledMMIOAccesses: UInt64
    /// Each distinct unmodelled MMIO address with its read and write counts, by address.
    public var unknownMMIO: [UnknownMMIOAccess]
    /// Cycles spent asleep in WFI/WFE (included in `timing.cycles`).
    public var sleepCycles: UInt64
    /// Exceptions taken (interrupts, SVC, PendSV, SysTick, faults), and by exception number.
    public var exceptionsTaken: UInt64
    public var exceptionsByNumber: [Int: UInt64]
    public var memory: MemoryReport
    /// Per-operation energy from the cost table (nil without one).
    public var energy: EnergyReport?
    /// Functions that ran, most self cycles first.
    public var functions: [FunctionProfile]
    /// Calling contexts with their self cycles (and energy), for collapsed stacks.
    public var stacks: [StackSample]
    /// Closed calls in completion order, for the trace (capped; `droppedSpans` beyond).
    public var spans: [CallSpan]
    public var droppedSpans: UInt64
    /// Regions the firmware bracketed with mcusim_roi_begin/end, by name.
    public var regionsOfInterest: [RegionOfInterest]
}

/// One unmodelled MMIO address and how often firmware touched it.
public struct UnknownMMIOAccess: Sendable, Equatable {
    public var address: UInt32
    public var reads: UInt64
    public var writes: UInt64
    /// The board region (mmio window) it belongs to.
    public var region: String
}

/// A Cortex-M board in Unicorn: memory mapped per region from host buffers the simulator
/// owns, the image placed at its load addresses, MMIO windows for peripherals, and hooks.
public final class Machine {
    public let board: Board
    public let image: FirmwareImage
    public let options: RunOptions
    public private(set) var boot: BootInfo

    let uc: OpaquePointer
    let hot: UnsafeMutablePointer<HotState>
    let context: MachineContext
    private var buffers: [(region: MemoryRegion, host: UnsafeMutableRawPointer, mappedSize: Int)] = []
    private var decodeTables: [UnsafeMutablePointer<DecodedInstruction>] = []
    private var codePageMaps: [UnsafeMutablePointer<UInt8>] = []
    private let pageMap: UnsafeMutablePointer<UInt8>
    let regionStates: UnsafeMutablePointer<RegionState>
    public let timing: CoreTiming
    var windows: [MMIOWindow] = []
    let codeWindows: UnsafeMutablePointer<CodeWindow>
    private var hooks: [uc_hook] = []
    /// The per-instruction hook while it is installed (block charging removes it).
    private var codeHookHandle: uc_hook?
    private var summaryTables: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<BlockSummary>?>>?

    public init(board: Board, image: FirmwareImage, options: RunOptions = RunOptions()) throws {
        self.board = board
        self.image = image
        self.options = options
        try Machine.checkFits(image: image, board: board)

        var engine: OpaquePointer?
        let mode = uc_mode(UC_MODE_THUMB.rawValue | UC_MODE_MCLASS.rawValue)
        guard uc_open(UC_ARCH_ARM, mode, &engine) == UC_ERR_OK, let engine else {
            throw SimulatorError.engine("cannot open an ARM M-profile engine")
        }
        uc = engine
        let model = Machine.unicornModel(board.core)
        guard mcusim_set_cpu_model(uc, Int32(model.rawValue)) == UC_ERR_OK else {
            uc_close(uc)
            throw SimulatorError.engine("cannot select the CPU model for \(board.core.rawValue)")
        }

        timing = CoreTiming.forCore(board.core, multiplier: board.multiplier)
        let decoder: InstructionDecoder
        do { decoder = try InstructionDecoder(timing: timing) } catch { uc_close(uc); throw error }

        hot = .allocate(capacity: 1)
        let noInstruction = UnsafeMutablePointer<DecodedInstruction>.allocate(capacity: 1)
        noInstruction.initialize(to: DecodedInstruction())
        hot.initialize(to: HotState(noInstruction: noInstruction))
        hot.pointee.instructionLimit = options.maxInstructions == 0 ? .max : options.maxInstructions
        hot.pointee.uc = uc
        hot.pointee.cycleModel = options.cycleModel
        hot.pointee.profiling = options.profiling
        hot.pointee.pipelinesLoads = timing.pipelinesLoads
        hot.pointee.addressDependencyStall = UInt32(timing.addressDependencyStall)
        hot.pointee.loadUseStall = UInt32(timing.loadUseStall)
        hot.pointee.dualIssue = timing.dualIssue
        hot.pointee.pairsNarrowBranch = timing.pairsNarrowBranch
        hot.pointee.fpResultStall = UInt32(timing.fpResultStall)
        hot.pointee.chainsIndexedLoadsOnDifferentBases = timing.chainsIndexedLoadsOnDifferentBases
        codeWindows = .allocate(capacity: max(board.regions.count, 1))
        // One byte per 4 KiB page of the 32-bit space: region index + 1, 0 when unmapped.
        pageMap = .allocate(capacity: 1 << 20)
        pageMap.initialize(repeating: 0, count: 1 << 20)
        regionStates = .allocate(capacity: max(board.regions.count, 1))
        regionStates.initialize(repeating: RegionState(), count: max(board.regions.count, 1))
        hot.pointee.pageMap = pageMap
        hot.pointee.regions = regionStates
        if let spec = board.instructionCache {
            let cache = UnsafeMutablePointer<InstructionCache>.allocate(capacity: 1)
            cache.initialize(to: InstructionCache(spec: spec))
            hot.pointee.cache = cache
        }
        // The M7 fetches 64 bits at a time; the others 32 (TRMs, "instruction fetch").
        hot.pointee.fetchShift = board.core == .cortexM7 ? 3 : 2
        if let spec = board.instructionCache {
            hot.pointee.cacheLineWordShift = UInt32(max(0, spec.lineBytes.trailingZeroBitCount - Int(hot.pointee.fetchShift)))
        }

        let console = ConsoleCapture(routing: options.console)
        context = MachineContext(uc: uc, board: board, image: image, hot: hot, console: console, decoder: decoder)
        hot.pointee.context = Unmanaged.passUnretained(context).toOpaque()
        context.costTable = options.costTable
        boot = BootInfo(path: .elfEntry, initialSP: 0, resetPC: 0, note: "")

        do {
            try mapMemory()
            loadImage()
            try mapPeripherals(console: console)
            try installHooks()
        } catch {
            release()
            throw error
        }
        boot = chooseBoot()
        let heap = heapInfo()
        hot.pointee.heapBase = heap.0
        hot.pointee.stackTop = boot.initialSP
        // Stores between the heap base and the initial SP are stack or heap; the stack grows down.
        hot.pointee.stackLow = heap.0
        hot.pointee.highestHeapWrite = heap.0
        context.semihosting = Semihosting(memory: context.memory, console: console, options: options,
                                          clockHz: board.clockHz, heapInfo: heap)
    }

    deinit { release() }

    private var released = false
    private func release() {
        guard !released else { return }
        released = true
        for h in hooks { uc_hook_del(uc, h) }
        if let h = codeHookHandle { uc_hook_del(uc, h) }
        uc_close(uc)
        for summary in context.summaries { releaseBlockSummary(summary) }
        context.summaries.removeAll()
        if let tables = summaryTables {
            for i in 0..<hot.pointee.windowCount { free(tables[i]) }
            tables.deallocate()
        }
        for b in buffers { free(b.host) }
        buffers.removeAll()
        for t in decodeTables { free(t) }
        decodeTables.removeAll()
        for p in codePageMaps { free(p) }
        codePageMaps.removeAll()
        if let cache = hot.pointee.cache {
            cache.pointee.release()
            cache.deinitialize(count: 1)
            cache.deallocate()
        }
        pageMap.deallocate()
        regionStates.deallocate()
        hot.pointee.noInstruction.deallocate()
        hot.deinitialize(count: 1)
        hot.deallocate()
        codeWindows.deallocate()
    }

    /// Unicorn has no M0+ model; the M0 is the same ISA (ARMv6-M). The M4 model carries the
    /// FPU either way; a core without one reads CPACR as zero, so FP use still stops.
    static func unicornModel(_ core: CoreKind) -> uc_cpu_arm {
        switch core {
        case .cortexM0, .cortexM0Plus: return UC_CPU_ARM_CORTEX_M0
        case .cortexM3: return UC_CPU_ARM_CORTEX_M3
        case .cortexM4, .cortexM4F: return UC_CPU_ARM_CORTEX_M4
        case .cortexM7: return UC_CPU_ARM_CORTEX_M7
        case .cortexM33: return UC_CPU_ARM_CORTEX_M33
        }
    }

    /// Every byte the image places must land in one memory region of the board.
    static func checkFits(image: FirmwareImage, board: Board) throws {
        for segment in image.segments {
            // A segment without file bytes (.bss) is never placed at its load address.
            var checks: [(UInt32, String)] = [(segment.virtualAddress, "run")]
            if segment.fileSize > 0 { checks.insert((segment.loadAddress, "load"), at: 0) }
            for (address, label) in checks {
                let size = UInt64(label == "load" ? segment.fileSize : segment.memorySize)
                guard board.regions.contains(where: { $0.kind.isMemory && $0.contains(start: UInt64(address), length: size) }) else {
                    throw SimulatorError.imageDoesNotFit(
                        path: image.path,
                        reason: "segment at \(label) address \(hex(address)) (\(size) bytes) is outside the memory of board \(board.name)")
                }
            }
        }
    }

    private static let pageSize = 4096

    private func mapMemory() throws {
        var windowCount = 0
        for region in board.regions where region.kind.isMemory {
            guard Int(region.base) % Machine.pageSize == 0 else {
                throw SimulatorError.badBoard(path: board.sourcePath, key: "memory.\(region.name).base",
                                              problem: "must be 4 KiB aligned for the emulator")
            }
            let mapped = (Int(region.size) + Machine.pageSize - 1) / Machine.pageSize * Machine.pageSize
            // calloc of large sizes gives lazily zeroed pages: an 8 MiB DRAM costs nothing until touched.
            guard let host = calloc(mapped, 1) else { throw SimulatorError.engine("out of memory mapping \(region.name)") }
            let perms: UInt32 = region.kind.isWritable ? UC_PROT_ALL.rawValue : (UC_PROT_READ.rawValue | UC_PROT_EXEC.rawValue)
            let err = uc_mem_map_ptr(uc, UInt64(region.base), mapped, perms, host)
            guard err == UC_ERR_OK else {
                free(host)
                throw SimulatorError.engine("cannot map region \(region.name): \(String(cString: uc_strerror(err)))")
            }
            buffers.append((region, host, mapped))
            // Decode table: one entry per halfword, lazily zeroed pages (invalid entries).
            guard let table = calloc(mapped / 2, MemoryLayout<DecodedInstruction>.stride) else {
                throw SimulatorError.engine("out of memory for the decode table of \(region.name)")
            }
            let decoded = table.bindMemory(to: DecodedInstruction.self, capacity: mapped / 2)
            decodeTables.append(decoded)
            guard let pages = calloc((mapped >> 12) + 2, 1) else {
                throw SimulatorError.engine("out of memory for the code page map of \(region.name)")
            }
            let codePages = pages.bindMemory(to: UInt8.self, capacity: (mapped >> 12) + 2)
            codePageMaps.append(codePages)
            let cached = board.instructionCache != nil && (region.kind == .flash || region.kind == .rom)
            codeWindows[windowCount] = CodeWindow(base: region.base, size: UInt32(min(mapped, Int(UInt32.max))),
                                                  host: host.assumingMemoryBound(to: UInt8.self), decoded: decoded,
                                                  codePages: codePages,
                                                  fetchWaitStates: UInt32(region.waitStates), fetchCached: cached,
                                                  region: board.regions.firstIndex(of: region) ?? 0,
                                                  fetches: 0, fetchMisses: 0)
            windowCount += 1
        }
        for (i, region) in board.regions.enumerated() {
            regionStates[i].waitStates = UInt32(region.waitStates)
            regionStates[i].accessEnergyFJ = UInt64(((options.costTable.map { EnergyAccounting.accessPJ(region, table: $0) } ?? 0) * 1000).rounded())
            regionStates[i].cachedReads = board.instructionCache != nil && (region.kind == .flash || region.kind == .rom)
            regionStates[i].chargesInOrder = !region.kind.isMemory
            if region.kind.isWritable, region.kind.isMemory,
               let w = (0..<windowCount).first(where: { codeWindows[$0].base == region.base }) {
                regionStates[i].window = Int32(w)
            }
            var page = Int(region.base >> 12)
            let lastPage = Int((region.end - 1) >> 12)
            while page <= lastPage {
                if pageMap[page] == 0 { pageMap[page] = UInt8(i + 1) }
                page += 1
            }
        }
        hot.pointee.windows = codeWindows
        hot.pointee.windowCount = windowCount
    }

    /// Places each PT_LOAD segment at its load address and zeroes the memsz tail.
    private func loadImage() {
        for segment in image.segments {
            // .bss-only segments are zeroed where they run; others are placed at their load address.
            let target = segment.fileSize > 0 ? segment.loadAddress : segment.virtualAddress
            guard let buffer = buffers.first(where: { $0.region.contains(target) }) else { continue }
            let offset = Int(target - buffer.region.base)
            let destination = buffer.host.advanced(by: offset)
            segment.bytes.withUnsafeBytes { destination.copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
            let tail = Int(segment.memorySize) - segment.bytes.count
            if tail > 0, offset + segment.bytes.count + tail <= buffer.mappedSize {
                destination.advanced(by: segment.bytes.count).initializeMemory(as: UInt8.self, repeating: 0, count: tail)
            }
        }
    }

    private func mapPeripherals(console: ConsoleCapture) throws {
        let system = MMIOWindow(base: 0xE000_0000, size: 0x0010_0000, regionName: "system")
        let scs = SystemControlSpace(core: board.core, hot: hot, exceptions: context.exceptions)
        scs.resetRequested = { [unowned context] in
            let pc = context.accessPC()
            context.halt(StopInfo(reason: .reset, pc: pc, symbol: context.symbol(pc),
                                  message: "the firmware requested a system reset (AIRCR.SYSRESETREQ) at \(context.where_(pc))"))
        }
        system.attach(scs)
        context.system = scs
        var all = [system]
        for region in board.regions where region.kind == .mmio {
            let window = MMIOWindow(base: region.base, size: region.size, regionName: region.name)
            if let spec = board.console, region.contains(spec.base) {
                window.attach(ConsoleUart(kind: spec.kind, base: spec.base, console: console, memory: context.memory))
            }
            // Simple peripherals the board file declares (ready bits, reset values).
            for spec in board.peripherals where region.contains(spec.base) {
                window.attach(DeclaredPeripheral(spec: spec))
            }
            all.append(window)
        }
        if options.strictMMIO {
            for window in all {
                window.onUnknownAccess = { [unowned context] address, isWrite in
                    let pc = context.accessPC()
                    context.halt(context.fault(pc, "--strict-mmio: \(isWrite ? "write to" : "read of") unmodelled MMIO address \(hex(address)) in \(window.regionName)"))
                }
            }
        }
        if options.blockCharging {
            for window in all { window.afterWrite = { [unowned context] in context.endBlockAfterEventWrite() } }
        }
        for window in all {
            let size = (Int(window.size) + Machine.pageSize - 1) / Machine.pageSize * Machine.pageSize
            let user = Unmanaged.passUnretained(window).toOpaque()
            let err = uc_mmio_map(uc, UInt64(window.base), size, mmioReadHook, user, mmioWriteHook, user)
            guard err == UC_ERR_OK else {
                throw SimulatorError.engine("cannot map MMIO window \(window.regionName) at \(hex(window.base)): \(String(cString: uc_strerror(err)))")
            }
        }
        windows = all
    }

    private func installHooks() throws {
        var handle: uc_hook = 0
        let contextPointer = Unmanaged.passUnretained(context).toOpaque()
        // The per-instruction and per-access hooks; a bare run (benchmark baseline) has neither.
        // With block charging the block hook replaces the per-instruction hook, which comes
        // back only for stretches the summaries cannot charge exactly (BlockHooks.swift).
        if options.instrumented && options.emptyHooks {
            var access: uc_hook = 0
            let entry = options.blockCharging ? mcusim_hook_block(uc, &handle, emptyCodeHook, UnsafeMutableRawPointer(hot), 1, 0)
                : mcusim_hook_code(uc, &handle, emptyCodeHook, UnsafeMutableRawPointer(hot), 1, 0)
            let accessTypes = Int32(UC_HOOK_MEM_READ.rawValue | UC_HOOK_MEM_WRITE.rawValue)
            guard entry == UC_ERR_OK, mcusim_hook_mem(uc, &access, accessTypes, emptyMemoryHook, nil, 1, 0) == UC_ERR_OK else {
                throw SimulatorError.engine("cannot install the empty hooks")
            }
            hooks += [handle, access]
        } else if options.instrumented {
            if options.cycleModel && options.blockCharging && !timing.dualIssue {
                try allocateSummaryTables()
                guard mcusim_hook_block(uc, &handle, blockHook, UnsafeMutableRawPointer(hot), 1, 0) == UC_ERR_OK else {
                    throw SimulatorError.engine("cannot install the block hook")
                }
                hooks.append(handle)
                hot.pointee.blockMode = true
            } else {
                try addCodeHook()
            }
            let accessTypes = Int32(UC_HOOK_MEM_READ.rawValue | UC_HOOK_MEM_WRITE.rawValue)
            guard mcusim_hook_mem(uc, &handle, accessTypes, memoryHook, UnsafeMutableRawPointer(hot), 1, 0) == UC_ERR_OK else {
                throw SimulatorError.engine("cannot install the memory hook")
            }
            hooks.append(handle)
        }
        guard mcusim_hook_mem_invalid(uc, &handle, invalidMemoryHook, contextPointer) == UC_ERR_OK else {
            throw SimulatorError.engine("cannot install the invalid-memory hook")
        }
        hooks.append(handle)
        guard mcusim_hook_intr(uc, &handle, interruptHook, contextPointer) == UC_ERR_OK else {
            throw SimulatorError.engine("cannot install the interrupt hook")
        }
        hooks.append(handle)
    }

    private func addCodeHook() throws {
        var handle: uc_hook = 0
        let hook = options.cycleModel ? codeHook : countingCodeHook
        guard mcusim_hook_code(uc, &handle, hook, UnsafeMutableRawPointer(hot), 1, 0) == UC_ERR_OK else {
            throw SimulatorError.engine("cannot install the code hook")
        }
        codeHookHandle = handle
    }

    /// One summary pointer per halfword of each code window, lazily zeroed like the decode tables.
    private func allocateSummaryTables() throws {
        let count = hot.pointee.windowCount
        let tables = UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<BlockSummary>?>>.allocate(capacity: max(count, 1))
        for i in 0..<count {
            guard let raw = calloc(Int(codeWindows[i].size) / 2, MemoryLayout<UnsafeMutablePointer<BlockSummary>?>.stride) else {
                throw SimulatorError.engine("out of memory for block summaries")
            }
            tables[i] = raw.bindMemory(to: UnsafeMutablePointer<BlockSummary>?.self, capacity: Int(codeWindows[i].size) / 2)
        }
        summaryTables = tables
        hot.pointee.summaryTables = tables
    }

    /// Ranges already covered by a per-block stepping hook (sorted, inclusive).
    private var steppedRanges: [(UInt32, UInt32)] = []
    /// Address ranges (inclusive) that block charging steps with a per-instruction hook:
    /// blocks a summary cannot charge exactly. For tests and diagnostics.
    public var steppedBlockRanges: [ClosedRange<UInt32>] { steppedRanges.map { $0.0...$0.1 } }
    private let maxSteppedRanges = 64

    /// Puts a per-instruction hook over the parts of the block no stepping hook covers yet
    /// (a hook per piece, so no instruction is hooked twice) and drops its translation.
    func stepBlock(_ b: UnsafeMutablePointer<BlockSummary>) -> Bool {
        let first = b.pointee.start
        let last = b.pointee.start &+ max(b.pointee.size, 1) &- 1
        var cursor = first
        var pieces: [(UInt32, UInt32)] = []
        for (lo, hi) in steppedRanges where hi >= cursor && lo <= last {
            if lo > cursor { pieces.append((cursor, lo - 1)) }
            if hi >= last { cursor = last &+ 1; break }
            cursor = hi + 1
        }
        if cursor <= last && cursor >= first { pieces.append((cursor, last)) }
        for (lo, hi) in pieces {
            var handle: uc_hook = 0
            guard mcusim_hook_code(uc, &handle, blockStepHook, UnsafeMutableRawPointer(hot), UInt64(lo), UInt64(hi)) == UC_ERR_OK else {
                return false
            }
            hooks.append(handle)
            steppedRanges.append((lo, hi))
        }
        steppedRanges.sort { $0.0 < $1.0 }
        b.pointee.stepped = true
        return mcusim_remove_cache(uc, UInt64(first), UInt64(last) + 1) == UC_ERR_OK
    }

    /// Moves between block charging and the per-instruction hook at a block boundary. Hooks
    /// apply only to code translated after they change, so every translation is dropped.
    func switchCharging(toBlocks: Bool) -> Bool {
        if toBlocks {
            if let h = codeHookHandle { uc_hook_del(uc, h) }
            codeHookHandle = nil
        } else {
            guard (try? addCodeHook()) != nil else { return false }
            hot.pointee.steppedSinceSwitch = 0
        }
        hot.pointee.blockMode = toBlocks
        // Drop the translations of the code windows only: a full flush (uc_ctl_flush_tlb)
        // resets Unicorn 2.0.1's whole code buffer with a memset, about 2.5 s per call here.
        for i in 0..<hot.pointee.windowCount {
            let w = codeWindows[i]
            guard mcusim_remove_cache(uc, UInt64(w.base), UInt64(w.base) + UInt64(w.size)) == UC_ERR_OK else { return false }
        }
        return true
    }

    /// Boot as the hardware does when the boot address holds a plausible vector table:
    /// word 0 a stack pointer in RAM, word 1 a Thumb reset address in executable memory.
    private func chooseBoot() -> BootInfo {
        let memory = context.memory
        let sp = memory.read32(board.bootAddress)
        let reset = memory.read32(board.bootAddress &+ 4)
        let spOK = sp & 3 == 0 && board.regions.contains { r in
            (r.kind == .sram || r.kind == .dram) && UInt64(sp) > UInt64(r.base) && UInt64(sp) <= r.end
        }
        let resetOK = reset & 1 == 1 && board.regions.contains { $0.kind.isMemory && $0.contains(reset & ~1) }
        if spOK && resetOK {
            return BootInfo(path: .vectorTable, initialSP: sp, resetPC: reset & ~1,
                            note: "vector table at \(hex(board.bootAddress))")
        }
        let sram = board.primarySRAM
        let top = sram.map { UInt32(truncatingIfNeeded: $0.end) } ?? 0
        let why = !spOK ? "word 0 (\(hex(sp))) is not a stack pointer in RAM" : "word 1 (\(hex(reset))) is not a Thumb address in memory"
        return BootInfo(path: .elfEntry, initialSP: top, resetPC: image.entry & ~1,
                        note: "no valid vector table at \(hex(board.bootAddress)): \(why); started at the ELF entry with SP at the top of \(sram?.name ?? "SRAM")")
    }

    /// HEAPINFO: heap from the linker's `end` symbol up to the stack reserve below the initial SP.
    private func heapInfo() -> (UInt32, UInt32, UInt32, UInt32) {
        let stackTop = boot.initialSP
        var heapBase: UInt32 = 0
        for name in ["end", "_end", "__end__", "__heap_start", "__HeapBase"] {
            if let s = image.symbols.named(name) { heapBase = s.address; break }
        }
        if heapBase == 0 {
            heapBase = image.sections.filter { $0.isWritable && board.primarySRAM?.contains($0.address) == true }
                .map { $0.address &+ $0.size }.max() ?? (board.primarySRAM?.base ?? 0)
        }
        let reserve: UInt32 = 8 * 1024
        let heapLimit = stackTop > heapBase &+ reserve ? stackTop - reserve : heapBase
        return (heapBase, heapLimit, stackTop, heapLimit)
    }

    /// Guest memory after (or before) a run, e.g. a model's output buffer; zeros where unmapped.
    public func readMemory(_ address: UInt32, count: Int) -> [UInt8] {
        context.memory.readBytes(address, count: max(0, count))
    }

    /// Instructions and cycles so far, for a progress display on another thread. The reads
    /// are unsynchronised snapshots of counters the hooks update: good enough for progress.
    public var liveCounters: (instructions: UInt64, cycles: UInt64) {
        (hot.pointee.instructions, hot.pointee.cycles)
    }

    /// Runs until the firmware exits, faults, idles or reaches a limit.
    public func run() -> RunResult {
        context.setRegister(UC_ARM_REG_SP, boot.initialSP)
        context.setRegister(UC_ARM_REG_MSP, boot.initialSP)
        let started = DispatchTime.now()
        func elapsed() -> Double { Double(DispatchTime.now().uptimeNanoseconds - started.uptimeNanoseconds) / 1e9 }
        var pc = boot.resetPC
        var err = UC_ERR_OK
        // The boot function is the bottom of every call stack.
        context.profiler.push(function: image.symbols.functionIndex(containing: boot.resetPC) ?? -1,
                              returnAddress: 0xFFFF_FFFF, now: 0)
        // Unicorn runs until a hook stops it; exception entry, sleep and faults are handled
        // here, outside Unicorn's C frames, and the run resumes where the firmware goes next.
        while true {
            var timeout: UInt64 = 0
            if let max = options.maxSeconds {
                let left = max - elapsed()
                if left <= 0 { break }
                timeout = UInt64(Swift.max(left, 0.000_001) * 1_000_000)
            }
            err = uc_emu_start(uc, UInt64(pc | 1), 0xFFFF_FFFF, timeout, 0)
            if hot.pointee.block != nil { finishBlock(hot) }
            if context.stop == nil, err == UC_ERR_OK, hot.pointee.stop == .stepBlock, let b = hot.pointee.stopBlock {
                hot.pointee.stop = .none
                pc = hot.pointee.stopPC
                // Unicorn walks every code hook for each hooked instruction: past a few
                // stepped blocks, one global per-instruction hook is cheaper for good.
                if steppedRanges.count >= maxSteppedRanges {
                    hot.pointee.steppingForGood = true
                    if switchCharging(toBlocks: false) { continue }
                } else if stepBlock(b) {
                    continue
                }
                break
            }
            if context.stop == nil, err == UC_ERR_OK,
               hot.pointee.stop == .switchToStepping || hot.pointee.stop == .switchToBlocks {
                let toBlocks = hot.pointee.stop == .switchToBlocks
                hot.pointee.stop = .none
                pc = hot.pointee.stopPC
                if switchCharging(toBlocks: toBlocks) { continue }
                break
            }
            guard context.stop == nil, let next = resume(after: err) else { break }
            pc = next
            err = UC_ERR_OK
        }
        let wall = elapsed()
        foldBlockCounts(context.summaries)
        let stop = resolveStop(err: err, wall: wall)
        context.profiler.finish(now: hot.pointee.cycles)
        let memory = memoryReport()
        let energy = options.costTable.map { energyReport(table: $0, memory: memory) }
        let profile = functionProfiles(energyOf: options.costTable.map { table in { EnergyAccounting.operationEnergy($0, table: table) } },
                                       fetchPJ: energy?.fetchPJ ?? 0)
        return RunResult(
            board: board, firmwarePath: image.path, firmwareSHA256: image.sha256,
            flashBytes: image.flashBytes(on: board),
            sramStaticBytes: image.staticBytes(on: board, kind: .sram),
            boot: boot, stop: stop, instructions: hot.pointee.instructions, timing: timingSummary(),
            stdout: context.console.stdout, stderr: context.console.stderr,
            consoleTruncated: context.console.truncated, wallSeconds: wall,
            unmodeledMMIOAccesses: windows.reduce(0) { $0 + $1.unmodeledReads + $1.unmodeledWrites },
            unknownMMIO: windows.flatMap { w in
                w.unknown.map { UnknownMMIOAccess(address: $0.key, reads: $0.value.reads, writes: $0.value.writes, region: w.regionName) }
            }.sorted { $0.address < $1.address },
            sleepCycles: hot.pointee.sleepCycles,
            exceptionsTaken: context.exceptions.taken,
            exceptionsByNumber: context.exceptions.takenByNumber,
            memory: memory, energy: energy, functions: profile.functions, stacks: profile.stacks, spans: profile.spans,
            droppedSpans: context.profiler.droppedSpans,
            regionsOfInterest: context.pricedRegionsOfInterest())
    }
}
