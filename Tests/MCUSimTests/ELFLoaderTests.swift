import Foundation
import Testing
@testable import MCUSim
import MCUTestSupport

// ELF loader tests run on real bytes: firmware built by arm-none-eabi-gcc, a real .o, and
// real executables with single header fields patched. Expected values for the good image
// come from binutils (readelf, nm), not from the loader, so the two are checked against
// each other rather than against themselves.

private let repoRoot = FixtureBuilder.repositoryRoot

/// A fresh directory per test, as a URL.
private func makeScratch() throws -> URL { URL(fileURLWithPath: try makeScratchDirectory()) }

/// Builds the shipped hello example for the max32660 exactly as firmware/Makefile does, but
/// into `dir`: `make` would write the shared firmware/build tree, which parallel tests (and
/// other people's builds) also write. The CPU flags are read from boards.mk, their one home.
private func buildHello(in dir: URL) throws -> String {
    let boardsMK = try String(contentsOfFile: repoRoot + "/firmware/runtime/boards.mk", encoding: .utf8)
    guard let line = boardsMK.split(separator: "\n").first(where: { $0.hasPrefix("CPUFLAGS_max32660 :=") }) else {
        throw ToolFailure(description: "boards.mk has no CPUFLAGS_max32660 line")
    }
    let cpuFlags = line.dropFirst("CPUFLAGS_max32660 :=".count).split(separator: " ").map(String.init)
    let runtime = repoRoot + "/firmware/runtime"
    let elf = dir.appendingPathComponent("hello.elf").path
    _ = try runTool(["arm-none-eabi-gcc"] + cpuFlags + [
        "-O2", "-ffunction-sections", "-fdata-sections", "--specs=rdimon.specs",
        "-T", runtime + "/max32660.ld", "-L", runtime, "-Wl,--gc-sections",
        "-o", elf, runtime + "/startup.c", repoRoot + "/firmware/examples/hello/main.c",
    ])
    return elf
}

/// A tiny C program with code and initialised data, so the result has two segments.
private let tinySource = "int counter = 5;\nint main(void) { return counter + 1; }\n"

/// Compiles `tinySource` with extra flags; `-c` gives a relocatable object.
private func buildTiny(in dir: URL, output: String, flags: [String]) throws -> String {
    let source = dir.appendingPathComponent("tiny.c").path
    try tinySource.write(toFile: source, atomically: true, encoding: .utf8)
    let out = dir.appendingPathComponent(output).path
    _ = try runTool(["arm-none-eabi-gcc", "-mcpu=cortex-m4", "-mthumb"] + flags + ["-o", out, source])
    return out
}

/// The tiny program linked as a bare executable with its code at flash address 0x08000000.
private func buildTinyExecutable(in dir: URL) throws -> String {
    try buildTiny(in: dir, output: "tiny.elf",
                  flags: ["-nostdlib", "-nostartfiles", "-Wl,-Ttext=0x08000000", "-Wl,-e,main"])
}

private func readBytes(_ path: String) throws -> [UInt8] {
    [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
}

// Little-endian field access for patching ELF32 headers in place.
private func u16(_ b: [UInt8], _ at: Int) -> Int { Int(b[at]) | Int(b[at + 1]) << 8 }
private func u32(_ b: [UInt8], _ at: Int) -> Int { u16(b, at) | u16(b, at + 2) << 16 }
private func put16(_ b: inout [UInt8], _ at: Int, _ v: Int) { b[at] = UInt8(v & 0xFF); b[at + 1] = UInt8(v >> 8 & 0xFF) }
private func put32(_ b: inout [UInt8], _ at: Int, _ v: Int) { put16(&b, at, v & 0xFFFF); put16(&b, at + 2, v >> 16 & 0xFFFF) }

/// File offsets of each program header (ELF32: e_phoff at 28, e_phentsize 42, e_phnum 44).
private func programHeaderOffsets(_ b: [UInt8]) -> [Int] {
    (0..<u16(b, 44)).map { u32(b, 28) + $0 * u16(b, 42) }
}

// ELF32 program header field offsets.
private let pType = 0, pOffset = 4, pPaddr = 12, pFilesz = 16, pMemsz = 20
private let ptLoad = 1

/// Expects `body` to throw `.badFirmware` for `path` whose reason mentions `fragment`, and
/// whose one-line description starts with the path (the CI-log contract).
private func expectBadFirmware(path: String, mentioning fragment: String,
                               sourceLocation: SourceLocation = #_sourceLocation,
                               _ body: () throws -> FirmwareImage) {
    guard let error = #expect(throws: SimulatorError.self, sourceLocation: sourceLocation, performing: { _ = try body() })
    else { return }
    guard case let .badFirmware(errorPath, reason) = error else {
        Issue.record("expected .badFirmware, got \(error)", sourceLocation: sourceLocation)
        return
    }
    #expect(errorPath == path, sourceLocation: sourceLocation)
    #expect(reason.contains(fragment), "reason '\(reason)' lacks '\(fragment)'", sourceLocation: sourceLocation)
    #expect(error.description.hasPrefix(path + ": "), sourceLocation: sourceLocation)
    #expect(!error.description.contains("\n"), "one line per error", sourceLocation: sourceLocation)
}

/// One way of damaging a good executable's header, and the word the rejection must use.
struct HeaderDamage: CustomTestStringConvertible, Sendable {
    let name: String
    let fragment: String
    let damage: @Sendable ([UInt8]) -> [UInt8]
    var testDescription: String { name }

    static let all: [HeaderDamage] = [
        HeaderDamage(name: "truncated header", fragment: "truncated ELF header") { Array($0.prefix(40)) },
        HeaderDamage(name: "64-bit class", fragment: "64-bit") { var b = $0; b[4] = 2; return b },
        HeaderDamage(name: "unknown class", fragment: "bad ELF class") { var b = $0; b[4] = 0; return b },
        HeaderDamage(name: "big-endian", fragment: "big-endian") { var b = $0; b[5] = 2; return b },
        HeaderDamage(name: "x86 machine", fragment: "not ARM") { var b = $0; put16(&b, 18, 3); return b },
        HeaderDamage(name: "shared object type", fragment: "shared object") { var b = $0; put16(&b, 16, 3); return b },
        HeaderDamage(name: "core file type", fragment: "ELF type 4") { var b = $0; put16(&b, 16, 4); return b },
        // Cut halfway through the first segment's bytes, as an interrupted copy would.
        HeaderDamage(name: "cut mid-segment", fragment: "truncated") { b in
            let ph = programHeaderOffsets(b).first { u32(b, $0 + pType) == ptLoad }!
            return Array(b.prefix(u32(b, ph + pOffset) + u32(b, ph + pFilesz) / 2))
        },
        // Move the second PT_LOAD's load address into the middle of the first.
        HeaderDamage(name: "overlapping segments", fragment: "overlap") { b in
            var b = b
            let loads = programHeaderOffsets(b).filter { u32(b, $0 + pType) == ptLoad }
            put32(&b, loads[1] + pPaddr, u32(b, loads[0] + pPaddr) + 0x100)
            return b
        },
        // Every PT_LOAD becomes PT_NOTE: a valid file with nothing to put in memory.
        HeaderDamage(name: "no PT_LOAD", fragment: "no loadable") { b in
            var b = b
            for ph in programHeaderOffsets(b) where u32(b, ph + pType) == ptLoad { put32(&b, ph + pType, 4) }
            return b
        },
        HeaderDamage(name: "file bytes exceed memory bytes", fragment: "more file bytes") { b in
            var b = b
            let ph = programHeaderOffsets(b).first { u32(b, $0 + pType) == ptLoad }!
            put32(&b, ph + pMemsz, u32(b, ph + pFilesz) - 4)
            return b
        },
        HeaderDamage(name: "segment past 4 GiB", fragment: "32-bit address space") { b in
            var b = b
            let ph = programHeaderOffsets(b).first { u32(b, $0 + pType) == ptLoad }!
            put32(&b, ph + pPaddr, 0xFFFF_FF00)
            return b
        },
    ]
}

@Suite("ELFLoader")
struct ELFLoaderTests {
    @Test("each damaged header of a real executable is rejected with its reason", arguments: HeaderDamage.all)
    func rejectsDamagedExecutable(_ damage: HeaderDamage) throws {
        let dir = try makeScratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let good = try readBytes(try buildHello(in: dir))
        // The undamaged bytes must load, or the rejection below would prove nothing.
        _ = try ELFLoader.parse(bytes: good, path: "/fw/hello.elf")
        expectBadFirmware(path: "/fw/hello.elf", mentioning: damage.fragment) {
            try ELFLoader.parse(bytes: damage.damage(good), path: "/fw/hello.elf")
        }
    }

    @Test func rejectsText() {
        let bytes = [UInt8]("This is a README, not firmware.\n".utf8)
        expectBadFirmware(path: "notes.txt", mentioning: "not an ELF file") {
            try ELFLoader.parse(bytes: bytes, path: "notes.txt")
        }
    }

    @Test func rejectsEmptyFile() throws {
        let dir = try makeScratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("empty.elf").path
        try Data().write(to: URL(fileURLWithPath: path))
        expectBadFirmware(path: path, mentioning: "not an ELF file") { try ELFLoader.load(path: path) }
    }

    @Test func rejectsRelocatableObject() throws {
        let dir = try makeScratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let object = try buildTiny(in: dir, output: "tiny.o", flags: ["-c"])
        expectBadFirmware(path: object, mentioning: "relocatable object") { try ELFLoader.load(path: object) }
    }

    @Test func missingFileIsAnIOError() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("absent-\(UUID().uuidString).elf").path
        let error = #expect(throws: SimulatorError.self) { try ELFLoader.load(path: path) }
        #expect(error == .io(path: path, reason: "no such file"))
        #expect(error?.description.hasPrefix(path + ": ") == true)
    }

    @Test func deviceIsAnIOError() throws {
        // Foundation reads nothing from a character device: say what it is, not "cannot be read".
        let error = #expect(throws: SimulatorError.self) { try ELFLoader.load(path: "/dev/null") }
        #expect(error == .io(path: "/dev/null", reason: "is not a regular file (a device or a pipe), not an ELF file"))
    }

    @Test func directoryIsAnIOError() throws {
        let dir = try makeScratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let error = #expect(throws: SimulatorError.self) { try ELFLoader.load(path: dir.path) }
        guard case let .io(path, reason)? = error else {
            Issue.record("expected .io, got \(String(describing: error))")
            return
        }
        #expect(path == dir.path)
        #expect(reason.contains("directory"))
        #expect(error?.description.hasPrefix(dir.path + ": ") == true)
    }

    /// Everything the loader reports about a real image, checked against binutils' view.
    @Test func realFirmwareMatchesBinutils() throws {
        let dir = try makeScratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = try buildHello(in: dir)
        let file = try readBytes(path)
        let image = try ELFLoader.load(path: path)
        #expect(image.path == path)

        // Entry: "  Entry point address:               0x14d" (Thumb bit kept, as in e_entry).
        let header = try runTool(["arm-none-eabi-readelf", "-h", path])
        let entryLine = try #require(header.split(separator: "\n").first { $0.contains("Entry point address:") })
        let entryText = try #require(entryLine.split(separator: " ").last)
        #expect(image.entry == UInt32(entryText.dropFirst(2), radix: 16))

        // Segments: "  LOAD  0x001000 0x00000000 0x00000000 0x07eec 0x07eec RWE 0x1000".
        let hex = { (s: Substring) -> Int in Int(s.dropFirst(2), radix: 16) ?? -1 }
        let loads = try runTool(["arm-none-eabi-readelf", "-lW", path]).split(separator: "\n")
            .map { $0.split(separator: " ") }
            .filter { $0.first == "LOAD" }
        #expect(loads.count >= 2, "hello has code in flash and a .data image")
        try #require(image.segments.count == loads.count)
        for (segment, fields) in zip(image.segments, loads) {
            let (offset, vaddr, paddr, filesz, memsz) =
                (hex(fields[1]), hex(fields[2]), hex(fields[3]), hex(fields[4]), hex(fields[5]))
            #expect(Int(segment.virtualAddress) == vaddr)
            #expect(Int(segment.loadAddress) == paddr)
            #expect(Int(segment.fileSize) == filesz)
            #expect(Int(segment.memorySize) == memsz)
            #expect(segment.bytes == Array(file[offset..<offset + filesz]), "segment bytes are the file's bytes")
        }

        // main: "000001f8 000000c0 T main".
        let nmLines: [[Substring]] = try runTool(["arm-none-eabi-nm", "-S", path]).split(separator: "\n")
            .map { $0.split(separator: " ") }
        let nmLine = try #require(nmLines.first { $0.count == 4 && $0[3] == "main" })
        let main = try #require(image.symbols.named("main"))
        #expect(main.address == UInt32(nmLine[0], radix: 16))
        #expect(main.size == UInt32(nmLine[1], radix: 16))
        #expect(main.kind == .function)
        #expect(image.symbols.describe(main.address) == "main")
        #expect(image.symbols.describe(main.address + 4) == "main+0x4")

        let digest = try runTool(["sha256sum", path]).split(separator: " ").first.map(String.init)
        #expect(image.sha256 == digest)
    }

    /// GNU ld gives .bss its own PT_LOAD when a flash section follows .data's load image; that
    /// segment has no file bytes but a p_paddr equal to the next flash section's. Nothing is
    /// placed there, so it is not an overlap.
    @Test func bssOnlySegmentSharingALoadAddressIsNotAnOverlap() throws {
        let dir = try makeScratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let script = dir.appendingPathComponent("tail.ld").path
        try """
            MEMORY { FLASH (rx) : ORIGIN = 0, LENGTH = 256K
                     SRAM (rwx) : ORIGIN = 0x20000000, LENGTH = 96K }
            SECTIONS {
              .text : { *(.text*) } > FLASH
              .data : { *(.data*) } > SRAM AT> FLASH
              .bss  : { *(.bss*) *(COMMON) } > SRAM
              .tail : { KEEP(*(.tail*)) } > FLASH
            }
            """.write(toFile: script, atomically: true, encoding: .utf8)
        let source = dir.appendingPathComponent("tail.c").path
        try """
            int counter = 5;
            int zeros[64];
            __attribute__((section(".tail"), used)) const int tail_const = 7;
            int main(void) { zeros[3] = counter; return zeros[3] + tail_const; }
            """.write(toFile: source, atomically: true, encoding: .utf8)
        let path = dir.appendingPathComponent("tail.elf").path
        _ = try runTool(["arm-none-eabi-gcc", "-mcpu=cortex-m4", "-mthumb", "-nostdlib", "-nostartfiles",
                     "-Wl,-e,main", "-T", script, "-o", path, source])
        let image = try ELFLoader.load(path: path)
        #expect(image.segments.count == 4)
    }

    @Test func checkFitsRejectsImageOutsideTheBoard() throws {
        let dir = try makeScratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        // Linked for flash at 0x08000000 (STM32 style); the max32660's flash is at 0.
        let path = try buildTinyExecutable(in: dir)
        let image = try ELFLoader.load(path: path)
        #expect(image.segments.first?.loadAddress == 0x0800_0000)
        let max32660 = try BoardLoader.load(path: repoRoot + "/boards/max32660.yaml")

        let error = #expect(throws: SimulatorError.self) { try Machine.checkFits(image: image, board: max32660) }
        guard case let .imageDoesNotFit(errorPath, reason)? = error else {
            Issue.record("expected .imageDoesNotFit, got \(String(describing: error))")
            return
        }
        #expect(errorPath == path)
        #expect(reason.contains("0x08000000") && reason.contains("max32660"), "\(reason)")
        #expect(error?.description.hasPrefix(path + ": ") == true)

        // The same image does fit a board with flash at 0x08000000, so the check is about
        // placement and not something else about the image.
        let stm32 = try BoardLoader.load(path: repoRoot + "/boards/stm32f746-disco.yaml")
        try Machine.checkFits(image: image, board: stm32)
    }

    @Test func checkFitsAcceptsFirmwareBuiltForTheBoard() throws {
        let dir = try makeScratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let image = try ELFLoader.load(path: try buildHello(in: dir))
        try Machine.checkFits(image: image, board: try BoardLoader.load(path: repoRoot + "/boards/max32660.yaml"))
    }
}
