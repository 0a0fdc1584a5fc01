import CUnicorn

/// The per-instruction hook. Counts, checks the limit, and spots the two conditions the
/// chip itself would act on: an idle branch-to-self and an FP instruction with the FPU off.
let codeHook: @convention(c) (OpaquePointer?, UInt64, UInt32, UnsafeMutableRawPointer?) -> Void = { uc, address, size, user in
    let state = user.unsafelyUnwrapped.assumingMemoryBound(to: HotState.self)
    state.pointee.instructions &+= 1
    if state.pointee.instructions >= state.pointee.instructionLimit {
        state.pointee.stop = .instructionLimit
        state.pointee.stopPC = UInt32(truncatingIfNeeded: address)
        uc_emu_stop(uc)
        return
    }
    guard let bytes = state.pointee.hostPointer(UInt32(truncatingIfNeeded: address)) else { return }
    let first = UInt16(bytes[0]) | UInt16(bytes[1]) << 8
    if size == 2 {
        // B . (0xE7FE): the idle loop `while (1);` compiles to.
        if first == 0xE7FE {
            state.pointee.stop = .idleLoop
            state.pointee.stopPC = UInt32(truncatingIfNeeded: address)
            uc_emu_stop(uc)
        }
        return
    }
    let second = UInt16(bytes[2]) | UInt16(bytes[3]) << 8
    if first == 0xF7FF && second == 0xBFFE {  // B.W .
        state.pointee.stop = .idleLoop
        state.pointee.stopPC = UInt32(truncatingIfNeeded: address)
        uc_emu_stop(uc)
        return
    }
    // Coprocessor space with coproc 10/11 is the FPU (VFP load/store, data processing, VMOV, VMRS).
    if !state.pointee.fpuEnabled, first & 0xEC00 == 0xEC00, (second >> 8) & 0xE == 0xA {
        state.pointee.stop = .fpuDisabled
        state.pointee.stopPC = UInt32(truncatingIfNeeded: address)
        uc_emu_stop(uc)
    }
}

/// Unmapped and protection violations: record what happened; Unicorn then stops with an error.
let invalidMemoryHook: @convention(c) (OpaquePointer?, uc_mem_type, UInt64, Int32, Int64, UnsafeMutableRawPointer?) -> Bool = {
    _, type, address, size, value, user in
    let context = Unmanaged<MachineContext>.fromOpaque(user.unsafelyUnwrapped).takeUnretainedValue()
    context.recordInvalidAccess(type: type, address: address, size: Int(size), value: value)
    return false
}

/// Exceptions Unicorn raises (BKPT, SVC, ...). Cold path: semihosting and stops.
let interruptHook: @convention(c) (OpaquePointer?, UInt32, UnsafeMutableRawPointer?) -> Void = { _, intno, user in
    let context = Unmanaged<MachineContext>.fromOpaque(user.unsafelyUnwrapped).takeUnretainedValue()
    context.handleInterrupt(intno)
}

let mmioReadHook: @convention(c) (OpaquePointer?, UInt64, UInt32, UnsafeMutableRawPointer?) -> UInt64 = { _, offset, size, user in
    let device = Unmanaged<MMIOWindow>.fromOpaque(user.unsafelyUnwrapped).takeUnretainedValue()
    return UInt64(device.read(offset: UInt32(truncatingIfNeeded: offset), size: Int(size)))
}

let mmioWriteHook: @convention(c) (OpaquePointer?, UInt64, UInt32, UInt64, UnsafeMutableRawPointer?) -> Void = { _, offset, size, value, user in
    let device = Unmanaged<MMIOWindow>.fromOpaque(user.unsafelyUnwrapped).takeUnretainedValue()
    device.write(offset: UInt32(truncatingIfNeeded: offset), size: Int(size), value: UInt32(truncatingIfNeeded: value))
}
