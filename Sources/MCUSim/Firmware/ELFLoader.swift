import CLibElf
import Foundation

/// Reads 32-bit little-endian ARM executables through libelf. Every rejection names the
/// file and the reason in one line; no byte of the file is trusted before it is checked.
public enum ELFLoader {
    public static func load(path: String) throws -> FirmwareImage {
        guard let data = FileManager.default.contents(atPath: path) else {
            switch FileKind.of(path) {
            case .missing: throw SimulatorError.io(path: path, reason: "no such file")
            case .directory: throw SimulatorError.io(path: path, reason: "is a directory, not an ELF file")
            case .special: throw SimulatorError.io(path: path, reason: "is not a regular file (a device or a pipe), not an ELF file")
            case .regular: throw SimulatorError.io(path: path, reason: "cannot be read (check its permissions)")
            }
        }
        return try parse(bytes: [UInt8](data), path: path)
    }

    public static func parse(bytes: [UInt8], path: String) throws -> FirmwareImage {
        func reject(_ reason: String) -> SimulatorError { .badFirmware(path: path, reason: reason) }

        // Identity checks on the raw header first: libelf accepts some of these silently.
        guard bytes.count >= 4, bytes[0] == 0x7F, bytes[1] == 0x45, bytes[2] == 0x4C, bytes[3] == 0x46 else {
            throw reject("not an ELF file (no \\x7fELF magic)")
        }
        guard bytes.count >= 52 else { throw reject("truncated ELF header (\(bytes.count) bytes)") }
        guard bytes[4] == 1 else { throw reject(bytes[4] == 2 ? "64-bit ELF; Cortex-M images are 32-bit" : "bad ELF class \(bytes[4])") }
        guard bytes[5] == 1 else { throw reject("big-endian ELF; Cortex-M images here are little-endian") }
        let machine = UInt16(bytes[18]) | UInt16(bytes[19]) << 8
        guard machine == 40 else { throw reject("ELF for machine \(machine), not ARM (40)") }
        let type = UInt16(bytes[16]) | UInt16(bytes[17]) << 8
        guard type == 2 else {
            let what = type == 1 ? "a relocatable object (.o); link it first" : type == 3 ? "a shared object" : "ELF type \(type)"
            throw reject("\(what), not an executable")
        }

        guard mcusim_elf_init() != 0 else { throw SimulatorError.engine("libelf version mismatch") }
        return try bytes.withUnsafeBufferPointer { buffer -> FirmwareImage in
            // elf_memory wants a mutable pointer but only reads with ELF_C_READ semantics.
            let raw = UnsafeMutablePointer(mutating: buffer.baseAddress!)
            let rawChars = UnsafeMutableRawPointer(raw).assumingMemoryBound(to: CChar.self)
            guard let elf = elf_memory(rawChars, buffer.count) else {
                throw reject("libelf cannot open it: \(libelfMessage())")
            }
            defer { elf_end(elf) }
            guard elf_kind(elf) == ELF_K_ELF else { throw reject("not an ELF file") }

            var header = GElf_Ehdr()
            guard gelf_getehdr(elf, &header) != nil else { throw reject("bad ELF header: \(libelfMessage())") }

            let segments = try readSegments(elf: elf, fileSize: buffer.count, reject: reject)
            let sections = try readSections(elf: elf, header: header, fileSize: buffer.count, reject: reject)
            let symbols = try readSymbols(elf: elf, fileSize: buffer.count, reject: reject)
            return FirmwareImage(path: path, sha256: SHA256.hex(bytes), entry: UInt32(truncatingIfNeeded: header.e_entry),
                                 segments: segments, sections: sections, symbols: SymbolTable(symbols))
        }
    }

    static func libelfMessage() -> String {
        guard let msg = elf_errmsg(-1) else { return "unknown libelf error" }
        return String(cString: msg)
    }

    static func readSegments(elf: OpaquePointer, fileSize: Int, reject: (String) -> SimulatorError) throws -> [LoadSegment] {
        var count = 0
        guard elf_getphdrnum(elf, &count) == 0 else { throw reject("truncated or corrupt program headers: \(libelfMessage())") }
        var segments: [LoadSegment] = []
        for i in 0..<count {
            var ph = GElf_Phdr()
            guard gelf_getphdr(elf, Int32(i), &ph) != nil else { throw reject("truncated program header \(i)") }
            guard ph.p_type == UInt32(PT_LOAD), ph.p_memsz > 0 else { continue }
            guard ph.p_offset + ph.p_filesz <= UInt64(fileSize) else {
                throw reject("truncated: segment \(i) needs bytes up to offset \(ph.p_offset + ph.p_filesz), the file has \(fileSize)")
            }
            guard ph.p_filesz <= ph.p_memsz else { throw reject("segment \(i) has more file bytes than memory bytes") }
            guard ph.p_paddr + ph.p_memsz <= (1 << 32), ph.p_vaddr + ph.p_memsz <= (1 << 32) else {
                throw reject("segment \(i) runs past the 32-bit address space")
            }
            guard let raw = elf_rawfile(elf, nil) else { throw reject("cannot read file bytes") }
            let start = raw.advanced(by: Int(ph.p_offset))
            let bytes = [UInt8](UnsafeRawBufferPointer(start: start, count: Int(ph.p_filesz)))
            segments.append(LoadSegment(loadAddress: UInt32(ph.p_paddr), virtualAddress: UInt32(ph.p_vaddr), bytes: bytes,
                                        memorySize: UInt32(ph.p_memsz), flags: ph.p_flags))
        }
        guard !segments.isEmpty else { throw reject("no loadable (PT_LOAD) segments") }
        // Load addresses hold only the file bytes; run addresses hold the whole memory image.
        let placed = segments.filter { $0.fileSize > 0 }.sorted { $0.loadAddress < $1.loadAddress }
        for (a, b) in zip(placed, placed.dropFirst())
        where UInt64(b.loadAddress) < UInt64(a.loadAddress) + UInt64(a.fileSize) {
            throw reject(String(format: "segments overlap at load addresses: 0x%08X+0x%X and 0x%08X+0x%X",
                                a.loadAddress, a.fileSize, b.loadAddress, b.fileSize))
        }
        let running = segments.sorted { $0.virtualAddress < $1.virtualAddress }
        for (a, b) in zip(running, running.dropFirst())
        where UInt64(b.virtualAddress) < UInt64(a.virtualAddress) + UInt64(a.memorySize) {
            throw reject(String(format: "segments overlap at run addresses: 0x%08X+0x%X and 0x%08X+0x%X",
                                a.virtualAddress, a.memorySize, b.virtualAddress, b.memorySize))
        }
        return segments
    }

    static func readSections(elf: OpaquePointer, header: GElf_Ehdr, fileSize: Int,
                             reject: (String) -> SimulatorError) throws -> [FirmwareSection] {
        var shstrndx = 0
        guard elf_getshdrstrndx(elf, &shstrndx) == 0 else { return [] }
        var sections: [FirmwareSection] = []
        var scn = elf_nextscn(elf, nil)
        while let s = scn {
            var sh = GElf_Shdr()
            if gelf_getshdr(s, &sh) != nil, sh.sh_flags & UInt64(SHF_ALLOC) != 0, sh.sh_size > 0 {
                let name = elf_strptr(elf, shstrndx, Int(sh.sh_name)).map { String(cString: $0) } ?? ""
                let isNoBits = sh.sh_type == UInt32(SHT_NOBITS)
                if !isNoBits, sh.sh_offset + sh.sh_size > UInt64(fileSize) {
                    throw reject("truncated: section \(name) ends past the end of the file")
                }
                sections.append(FirmwareSection(name: name, address: UInt32(truncatingIfNeeded: sh.sh_addr),
                                                loadAddress: UInt32(truncatingIfNeeded: sh.sh_addr),
                                                size: UInt32(truncatingIfNeeded: sh.sh_size), isNoBits: isNoBits,
                                                isWritable: sh.sh_flags & UInt64(SHF_WRITE) != 0,
                                                isExecutable: sh.sh_flags & UInt64(SHF_EXECINSTR) != 0))
            }
            scn = elf_nextscn(elf, s)
        }
        return sections
    }

    static func readSymbols(elf: OpaquePointer, fileSize: Int, reject: (String) -> SimulatorError) throws -> [FirmwareSymbol] {
        var symbols: [FirmwareSymbol] = []
        var scn = elf_nextscn(elf, nil)
        while let s = scn {
            defer { scn = elf_nextscn(elf, s) }
            var sh = GElf_Shdr()
            guard gelf_getshdr(s, &sh) != nil, sh.sh_type == UInt32(SHT_SYMTAB), sh.sh_entsize > 0 else { continue }
            guard sh.sh_offset + sh.sh_size <= UInt64(fileSize) else { throw reject("truncated: the symbol table ends past the end of the file") }
            guard let data = elf_getdata(s, nil) else { continue }
            let count = Int(sh.sh_size / sh.sh_entsize)
            for i in 0..<count {
                var sym = GElf_Sym()
                guard gelf_getsym(data, Int32(i), &sym) != nil else { break }
                let type = Int32(sym.st_info & 0xF)
                let binding = Int32(sym.st_info >> 4)
                let isLabel = type == STT_NOTYPE && binding == STB_GLOBAL
                guard type == STT_FUNC || type == STT_OBJECT || isLabel, sym.st_shndx != UInt16(SHN_UNDEF) else { continue }
                guard let namePtr = elf_strptr(elf, Int(sh.sh_link), Int(sym.st_name)) else { continue }
                let name = String(cString: namePtr)
                guard !name.isEmpty else { continue }
                let isFunction = type == STT_FUNC
                let value = UInt32(truncatingIfNeeded: sym.st_value)
                symbols.append(FirmwareSymbol(name: name, address: isFunction ? value & ~1 : value,
                                              size: UInt32(truncatingIfNeeded: sym.st_size),
                                              kind: isFunction ? .function : (isLabel ? .label : .object),
                                              isWeak: binding == STB_WEAK))
            }
        }
        return symbols
    }
}
