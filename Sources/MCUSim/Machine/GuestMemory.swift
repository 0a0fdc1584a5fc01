import CUnicorn

/// Cold-path access to guest memory through Unicorn (semihosting, boot). Reads of
/// unmapped memory give zeros and writes there are dropped: a bad pointer passed to a
/// semihosting call must not take the simulator down.
struct GuestMemory {
    let uc: OpaquePointer

    func readBytes(_ address: UInt32, count: Int) -> [UInt8] {
        guard count > 0 else { return [] }
        var bytes = [UInt8](repeating: 0, count: count)
        let err = bytes.withUnsafeMutableBytes { uc_mem_read(uc, UInt64(address), $0.baseAddress, count) }
        if err != UC_ERR_OK {
            // Fall back to byte-wise reads so a partly mapped range yields what exists.
            for i in 0..<count {
                var b: UInt8 = 0
                if uc_mem_read(uc, UInt64(address &+ UInt32(i)), &b, 1) == UC_ERR_OK { bytes[i] = b }
            }
        }
        return bytes
    }

    func writeBytes(_ address: UInt32, _ bytes: [UInt8]) {
        guard !bytes.isEmpty else { return }
        _ = bytes.withUnsafeBytes { uc_mem_write(uc, UInt64(address), $0.baseAddress, bytes.count) }
    }

    func read8(_ address: UInt32) -> UInt8 { readBytes(address, count: 1)[0] }

    func read32(_ address: UInt32) -> UInt32 {
        let b = readBytes(address, count: 4)
        return UInt32(b[0]) | UInt32(b[1]) << 8 | UInt32(b[2]) << 16 | UInt32(b[3]) << 24
    }

    func write32(_ address: UInt32, _ value: UInt32) {
        writeBytes(address, [UInt8(truncatingIfNeeded: value), UInt8(truncatingIfNeeded: value >> 8),
                             UInt8(truncatingIfNeeded: value >> 16), UInt8(truncatingIfNeeded: value >> 24)])
    }

    func readCString(_ address: UInt32, limit: Int) -> [UInt8] {
        var out: [UInt8] = []
        var a = address
        while out.count < limit {
            let chunk = readBytes(a, count: 64)
            if let z = chunk.firstIndex(of: 0) { out += chunk[..<z]; break }
            out += chunk
            a &+= 64
        }
        return out
    }
}
