/// A set-associative cache with LRU replacement in front of a wait-stated code memory
/// (the MAX32660's 16 KiB instruction cache). Plain memory behind raw pointers: the hot
/// path looks up a line with no allocation or reference counting.
struct InstructionCache {
    let lineShift: UInt32
    let setMask: UInt32
    let ways: Int
    /// tags[set * ways + way] = line address + 1 (0 means empty).
    let tags: UnsafeMutablePointer<UInt32>
    /// ages[set * ways + way]: 0 is most recently used.
    let ages: UnsafeMutablePointer<UInt8>
    /// Bumped by every lookup that changes a tag or an age. A line looked up at epoch e is the
    /// most recently used of its set for as long as the epoch stays e, so a repeat lookup
    /// would hit and change nothing: the hooks skip it (`cachedFetchStall`, data reads).
    var epoch: UInt64 = 1

    init(spec: InstructionCacheSpec) {
        lineShift = UInt32(spec.lineBytes.trailingZeroBitCount)
        let sets = max(1, spec.sizeBytes / (spec.lineBytes * spec.ways))
        setMask = UInt32(sets - 1)
        ways = spec.ways
        tags = .allocate(capacity: sets * spec.ways)
        tags.initialize(repeating: 0, count: sets * spec.ways)
        ages = .allocate(capacity: sets * spec.ways)
        for i in 0..<(sets * spec.ways) { ages[i] = UInt8(truncatingIfNeeded: i % spec.ways) }
    }

    func release() {
        tags.deallocate()
        ages.deallocate()
    }

    /// Looks up the line holding `address`; fills it on a miss. Returns true on a hit.
    @inline(__always)
    mutating func access(_ address: UInt32) -> Bool {
        let line = address >> lineShift
        let base = Int(line & setMask) &* ways
        let tag = line &+ 1
        var way = 0
        while way < ways {
            if tags[base &+ way] == tag {
                // A hit on the most recently used way changes no ages (loops hit it most).
                if ages[base &+ way] != 0 {
                    touch(base: base, way: way)
                    epoch &+= 1
                }
                return true
            }
            way &+= 1
        }
        var victim = 0
        var oldest: UInt8 = 0
        way = 0
        while way < ways {
            if ages[base &+ way] >= oldest {
                oldest = ages[base &+ way]
                victim = way
            }
            way &+= 1
        }
        tags[base &+ victim] = tag
        touch(base: base, way: victim)
        epoch &+= 1
        return false
    }

    @inline(__always)
    private func touch(base: Int, way: Int) {
        let age = ages[base &+ way]
        var w = 0
        while w < ways {
            if ages[base &+ w] < age { ages[base &+ w] &+= 1 }
            w &+= 1
        }
        ages[base &+ way] = 0
    }
}
