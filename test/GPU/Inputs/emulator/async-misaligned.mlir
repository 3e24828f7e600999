// A 16-byte cp.async from byte 8 of a device buffer: a GPU faults.
module attributes {gpu.container_module} {
  gpu.module @k {
    gpu.func @misaligned_copy(%x: memref<16x16xf16>)
        workgroup(%sm: memref<16x16xf16, #gpu.address_space<workgroup>> {llvm.align = 16 : i64}) kernel {
      %c0 = arith.constant 0 : index
      %c4 = arith.constant 4 : index
      %t = nvgpu.device_async_copy %x[%c0, %c4], %sm[%c0, %c0], 8 {bypassL1} : memref<16x16xf16> to memref<16x16xf16, #gpu.address_space<workgroup>>
      %g = nvgpu.device_async_create_group %t
      nvgpu.device_async_wait %g {numGroups = 0 : i32}
      gpu.return
    }
  }
  func.func @main() {
    %c1 = arith.constant 1 : index
    %x = gpu.alloc () : memref<16x16xf16>
    gpu.launch_func @k::@misaligned_copy blocks in (%c1, %c1, %c1)
        threads in (%c1, %c1, %c1) args(%x : memref<16x16xf16>)
    return
  }
}
