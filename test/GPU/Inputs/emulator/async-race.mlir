// Thread 0 copies x[0..3] into shared memory with cp.async and waits for
// it; thread 32 (another warp) then reads sm[1]. With a barrier between the
// wait and the read (@with_barrier) the read sees x[1]; without one
// (@no_barrier) nothing orders the copy before the read on a GPU, and the
// emulator stops.
module attributes {gpu.container_module} {
  gpu.module @k {
    gpu.func @with_barrier(%x: memref<4xf32>, %out: memref<1xf32>)
        workgroup(%sm: memref<4xf32, #gpu.address_space<workgroup>> {llvm.align = 16 : i64}) kernel {
      %t = gpu.thread_id x
      %c0 = arith.constant 0 : index
      %c1 = arith.constant 1 : index
      %c32 = arith.constant 32 : index
      %is0 = arith.cmpi eq, %t, %c0 : index
      scf.if %is0 {
        %tok = nvgpu.device_async_copy %x[%c0], %sm[%c0], 4 {bypassL1} : memref<4xf32> to memref<4xf32, #gpu.address_space<workgroup>>
        %g = nvgpu.device_async_create_group %tok
        nvgpu.device_async_wait %g {numGroups = 0 : i32}
      }
      gpu.barrier
      %is32 = arith.cmpi eq, %t, %c32 : index
      scf.if %is32 {
        %v = memref.load %sm[%c1] : memref<4xf32, #gpu.address_space<workgroup>>
        memref.store %v, %out[%c0] : memref<1xf32>
      }
      gpu.return
    }
    gpu.func @no_barrier(%x: memref<4xf32>, %out: memref<1xf32>)
        workgroup(%sm: memref<4xf32, #gpu.address_space<workgroup>> {llvm.align = 16 : i64}) kernel {
      %t = gpu.thread_id x
      %c0 = arith.constant 0 : index
      %c1 = arith.constant 1 : index
      %c32 = arith.constant 32 : index
      %is0 = arith.cmpi eq, %t, %c0 : index
      scf.if %is0 {
        %tok = nvgpu.device_async_copy %x[%c0], %sm[%c0], 4 {bypassL1} : memref<4xf32> to memref<4xf32, #gpu.address_space<workgroup>>
        %g = nvgpu.device_async_create_group %tok
        nvgpu.device_async_wait %g {numGroups = 0 : i32}
      }
      %is32 = arith.cmpi eq, %t, %c32 : index
      scf.if %is32 {
        %v = memref.load %sm[%c1] : memref<4xf32, #gpu.address_space<workgroup>>
        memref.store %v, %out[%c0] : memref<1xf32>
      }
      gpu.return
    }
  }
  func.func private @printMemrefF32(memref<*xf32>)
  func.func @main() {
    %c0 = arith.constant 0 : index
    %c1 = arith.constant 1 : index
    %c4 = arith.constant 4 : index
    %c64 = arith.constant 64 : index
    %hx = memref.alloc() : memref<4xf32>
    scf.for %i = %c0 to %c4 step %c1 {
      %ii = arith.index_cast %i : index to i32
      %f = arith.sitofp %ii : i32 to f32
      %v = arith.addf %f, %f : f32
      memref.store %v, %hx[%i] : memref<4xf32>
    }
    %x = gpu.alloc () : memref<4xf32>
    gpu.memcpy %x, %hx : memref<4xf32>, memref<4xf32>
    %out = gpu.alloc () : memref<1xf32>
    %h = memref.alloc() : memref<1xf32>
    %u = memref.cast %h : memref<1xf32> to memref<*xf32>
    gpu.launch_func @k::@with_barrier blocks in (%c1, %c1, %c1)
        threads in (%c64, %c1, %c1) args(%x : memref<4xf32>, %out : memref<1xf32>)
    gpu.memcpy %h, %out : memref<1xf32>, memref<1xf32>
    call @printMemrefF32(%u) : (memref<*xf32>) -> ()
    gpu.launch_func @k::@no_barrier blocks in (%c1, %c1, %c1)
        threads in (%c64, %c1, %c1) args(%x : memref<4xf32>, %out : memref<1xf32>)
    return
  }
}
