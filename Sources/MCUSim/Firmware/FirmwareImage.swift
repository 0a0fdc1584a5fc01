/// One PT_LOAD segment, placed at its load (physical) address as a flashing tool would.
public struct LoadSegment: Equatable, Sendable {
    public var loadAddress: UInt32
    public var virtualAddress: UInt32
    public var bytes: [UInt8]
    public var memorySize: UInt32
    public var flags: UInt32

    public var fileSize: UInt32 { UInt32(bytes.count) }
}

public struct FirmwareSymbol: Equatable, Sendable {
    /// `label` is an untyped global such as the linker's `end` or `_estack`.
    public enum Kind: String, Sendable { case function, object, label }
    public var name: String
    /// Without the Thumb bit.
    public var address: UInt32
    public var size: UInt32
    public var kind: Kind
    /// Weak aliases (vector-table defaults) lose to a strong name at the same address.
    public var isWeak: Bool = false
}

/// A section header summary, used for the static footprint.
public struct FirmwareSection: Equatable, Sendable {
    public var name: String
    public var address: UInt32
    public var loadAddress: UInt32
    public var size: UInt32
    /// SHT_NOBITS (.bss-like): occupies RAM but no file bytes.
    public var isNoBits: Bool
    public var isWritable: Bool
    public var isExecutable: Bool
}

/// A firmware image read from an ELF file: where its bytes go, its symbols, its entry.
public struct FirmwareImage: Sendable {
    public var path: String
    public var sha256: String
    public var entry: UInt32
    public var segments: [LoadSegment]
    public var sections: [FirmwareSection]
    public let symbols: SymbolTable

    /// Bytes the image puts in flash or ROM (text, rodata and the .data image).
    public func flashBytes(on board: Board) -> UInt64 {
        segments.reduce(0) { sum, seg in
            guard let region = board.region(containing: seg.loadAddress),
                  region.kind == .flash || region.kind == .rom else { return sum }
            return sum + UInt64(seg.fileSize)
        }
    }

    /// Static RAM: allocated sections (.data, .bss, ...) whose run address is in SRAM.
    public func staticBytes(on board: Board, kind: MemoryKind) -> UInt64 {
        sections.reduce(0) { sum, section in
            guard section.isWritable, let region = board.region(containing: section.address),
                  region.kind == kind else { return sum }
            return sum + UInt64(section.size)
        }
    }
}

/// Function and object symbols sorted by address, for turning a PC into `name+0xoff`.
public struct SymbolTable: Sendable {
    public let functions: [FirmwareSymbol]
    public let objects: [FirmwareSymbol]
    private let byName: [String: FirmwareSymbol]

    public init(_ symbols: [FirmwareSymbol]) {
        // One name per address: strong before weak, then alphabetical, so output is stable.
        let sorted = symbols.filter { $0.kind == .function }
            .sorted { ($0.address, $0.isWeak ? 1 : 0, $0.name) < ($1.address, $1.isWeak ? 1 : 0, $1.name) }
        var unique: [FirmwareSymbol] = []
        for s in sorted where unique.last?.address != s.address { unique.append(s) }
        functions = unique
        objects = symbols.filter { $0.kind == .object }.sorted { ($0.address, $0.name) < ($1.address, $1.name) }
        var names: [String: FirmwareSymbol] = [:]
        for s in symbols where names[s.name] == nil { names[s.name] = s }
        byName = names
    }

    public func named(_ name: String) -> FirmwareSymbol? { byName[name] }

    /// The function containing `address`: inside its size, or the nearest one below
    /// when sizes are missing (hand-written assembly often has none).
    public func function(containing address: UInt32) -> FirmwareSymbol? {
        functionIndex(containing: address).map { functions[$0] }
    }

    /// Index into `functions` of the function containing `address`, or nil.
    public func functionIndex(containing address: UInt32) -> Int? {
        var lo = 0, hi = functions.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if functions[mid].address <= address { lo = mid + 1 } else { hi = mid }
        }
        guard lo > 0 else { return nil }
        let f = functions[lo - 1]
        if f.size > 0 { return UInt64(address) < UInt64(f.address) + UInt64(f.size) ? lo - 1 : nil }
        // Unsized (hand-written) code: attribute to the nearest symbol below, within reason.
        return address - f.address < 0x10000 ? lo - 1 : nil
    }

    /// `main+0x1c`, or nil when no function covers the address.
    public func describe(_ address: UInt32) -> String? {
        guard let f = function(containing: address) else { return nil }
        let offset = address - f.address
        return offset == 0 ? f.name : "\(f.name)+0x\(String(offset, radix: 16))"
    }
}
