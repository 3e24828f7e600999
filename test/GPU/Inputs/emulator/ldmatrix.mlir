// cp.async and ldmatrix. One warp stages a 16 x 16 f16 matrix
// x[r][c] = 16 r + c in shared memory with cp.async, 16 bytes per lane
// (lane l copies row l / 2, columns 8 (l % 2) to 8 (l % 2) + 7; of row 15
// only 4 of the 8 columns, the rest zero-filled), and reads it back with
// ldmatrix.x4, lane l giving the address of row l % 16, column 8 (l / 16).
// Each kernel writes lane l's four registers (8 halves) to row l of out.
//   @stage: plain ldmatrix after wait_group 0;
//   @trans: the same with .trans;
//   @early: wait_group 1 with one group committed, so the copy is still
//           pending when ldmatrix reads (undefined on a GPU; the block's
//           poisoned shared memory in the emulator).
module attributes {gpu.container_module} {
  gpu.module @k {
    gpu.func @stage(%x: memref<16x16xf16>, %out: memref<32x8xf32>)
        workgroup(%sm: memref<16x16xf16, #gpu.address_space<workgroup>> {llvm.align = 16 : i64}) kernel {
      %l = gpu.thread_id x
      %c2 = arith.constant 2 : index
      %c4 = arith.constant 4 : index
      %c8 = arith.constant 8 : index
      %c15 = arith.constant 15 : index
      %c16 = arith.constant 16 : index
      %r = arith.divui %l, %c2 : index
      %h = arith.remui %l, %c2 : index
      %col = arith.muli %h, %c8 : index
      %last = arith.cmpi eq, %r, %c15 : index
      %n = arith.select %last, %c4, %c8 : index
      %t = nvgpu.device_async_copy %x[%r, %col], %sm[%r, %col], 8, %n {bypassL1} : memref<16x16xf16> to memref<16x16xf16, #gpu.address_space<workgroup>>
      %g = nvgpu.device_async_create_group %t
      nvgpu.device_async_wait %g {numGroups = 0 : i32}
      gpu.barrier
      %lr = arith.remui %l, %c16 : index
      %lh = arith.divui %l, %c16 : index
      %lc = arith.muli %lh, %c8 : index
      %a = nvgpu.ldmatrix %sm[%lr, %lc] {numTiles = 4 : i32, transpose = false} : memref<16x16xf16, #gpu.address_space<workgroup>> -> vector<4x2xf16>
      %h00 = vector.extract %a[0, 0] : f16 from vector<4x2xf16>
      %f00 = arith.extf %h00 : f16 to f32
      %o00 = arith.constant 0 : index
      memref.store %f00, %out[%l, %o00] : memref<32x8xf32>
      %h01 = vector.extract %a[0, 1] : f16 from vector<4x2xf16>
      %f01 = arith.extf %h01 : f16 to f32
      %o01 = arith.constant 1 : index
      memref.store %f01, %out[%l, %o01] : memref<32x8xf32>
      %h10 = vector.extract %a[1, 0] : f16 from vector<4x2xf16>
      %f10 = arith.extf %h10 : f16 to f32
      %o10 = arith.constant 2 : index
      memref.store %f10, %out[%l, %o10] : memref<32x8xf32>
      %h11 = vector.extract %a[1, 1] : f16 from vector<4x2xf16>
      %f11 = arith.extf %h11 : f16 to f32
      %o11 = arith.constant 3 : index
      memref.store %f11, %out[%l, %o11] : memref<32x8xf32>
      %h20 = vector.extract %a[2, 0] : f16 from vector<4x2xf16>
      %f20 = arith.extf %h20 : f16 to f32
      %o20 = arith.constant 4 : index
      memref.store %f20, %out[%l, %o20] : memref<32x8xf32>
      %h21 = vector.extract %a[2, 1] : f16 from vector<4x2xf16>
      %f21 = arith.extf %h21 : f16 to f32
      %o21 = arith.constant 5 : index
      memref.store %f21, %out[%l, %o21] : memref<32x8xf32>
      %h30 = vector.extract %a[3, 0] : f16 from vector<4x2xf16>
      %f30 = arith.extf %h30 : f16 to f32
      %o30 = arith.constant 6 : index
      memref.store %f30, %out[%l, %o30] : memref<32x8xf32>
      %h31 = vector.extract %a[3, 1] : f16 from vector<4x2xf16>
      %f31 = arith.extf %h31 : f16 to f32
      %o31 = arith.constant 7 : index
      memref.store %f31, %out[%l, %o31] : memref<32x8xf32>
      gpu.return
    }
    gpu.func @trans(%x: memref<16x16xf16>, %out: memref<32x8xf32>)
        workgroup(%sm: memref<16x16xf16, #gpu.address_space<workgroup>> {llvm.align = 16 : i64}) kernel {
      %l = gpu.thread_id x
      %c2 = arith.constant 2 : index
      %c4 = arith.constant 4 : index
      %c8 = arith.constant 8 : index
      %c15 = arith.constant 15 : index
      %c16 = arith.constant 16 : index
      %r = arith.divui %l, %c2 : index
      %h = arith.remui %l, %c2 : index
      %col = arith.muli %h, %c8 : index
      %last = arith.cmpi eq, %r, %c15 : index
      %n = arith.select %last, %c4, %c8 : index
      %t = nvgpu.device_async_copy %x[%r, %col], %sm[%r, %col], 8, %n {bypassL1} : memref<16x16xf16> to memref<16x16xf16, #gpu.address_space<workgroup>>
      %g = nvgpu.device_async_create_group %t
      nvgpu.device_async_wait %g {numGroups = 0 : i32}
      gpu.barrier
      %lr = arith.remui %l, %c16 : index
      %lh = arith.divui %l, %c16 : index
      %lc = arith.muli %lh, %c8 : index
      %a = nvgpu.ldmatrix %sm[%lr, %lc] {numTiles = 4 : i32, transpose = true} : memref<16x16xf16, #gpu.address_space<workgroup>> -> vector<4x2xf16>
      %h00 = vector.extract %a[0, 0] : f16 from vector<4x2xf16>
      %f00 = arith.extf %h00 : f16 to f32
      %o00 = arith.constant 0 : index
      memref.store %f00, %out[%l, %o00] : memref<32x8xf32>
      %h01 = vector.extract %a[0, 1] : f16 from vector<4x2xf16>
      %f01 = arith.extf %h01 : f16 to f32
      %o01 = arith.constant 1 : index
      memref.store %f01, %out[%l, %o01] : memref<32x8xf32>
      %h10 = vector.extract %a[1, 0] : f16 from vector<4x2xf16>
      %f10 = arith.extf %h10 : f16 to f32
      %o10 = arith.constant 2 : index
      memref.store %f10, %out[%l, %o10] : memref<32x8xf32>
      %h11 = vector.extract %a[1, 1] : f16 from vector<4x2xf16>
      %f11 = arith.extf %h11 : f16 to f32
      %o11 = arith.constant 3 : index
      memref.store %f11, %out[%l, %o11] : memref<32x8xf32>
      %h20 = vector.extract %a[2, 0] : f16 from vector<4x2xf16>
      %f20 = arith.extf %h20 : f16 to f32
      %o20 = arith.constant 4 : index
      memref.store %f20, %out[%l, %o20] : memref<32x8xf32>
      %h21 = vector.extract %a[2, 1] : f16 from vector<4x2xf16>
      %f21 = arith.extf %h21 : f16 to f32
      %o21 = arith.constant 5 : index
      memref.store %f21, %out[%l, %o21] : memref<32x8xf32>
      %h30 = vector.extract %a[3, 0] : f16 from vector<4x2xf16>
      %f30 = arith.extf %h30 : f16 to f32
      %o30 = arith.constant 6 : index
      memref.store %f30, %out[%l, %o30] : memref<32x8xf32>
      %h31 = vector.extract %a[3, 1] : f16 from vector<4x2xf16>
      %f31 = arith.extf %h31 : f16 to f32
      %o31 = arith.constant 7 : index
      memref.store %f31, %out[%l, %o31] : memref<32x8xf32>
      gpu.return
    }
    gpu.func @early(%x: memref<16x16xf16>, %out: memref<32x8xf32>)
        workgroup(%sm: memref<16x16xf16, #gpu.address_space<workgroup>> {llvm.align = 16 : i64}) kernel {
      %l = gpu.thread_id x
      %c2 = arith.constant 2 : index
      %c4 = arith.constant 4 : index
      %c8 = arith.constant 8 : index
      %c15 = arith.constant 15 : index
      %c16 = arith.constant 16 : index
      %r = arith.divui %l, %c2 : index
      %h = arith.remui %l, %c2 : index
      %col = arith.muli %h, %c8 : index
      %last = arith.cmpi eq, %r, %c15 : index
      %n = arith.select %last, %c4, %c8 : index
      %t = nvgpu.device_async_copy %x[%r, %col], %sm[%r, %col], 8, %n {bypassL1} : memref<16x16xf16> to memref<16x16xf16, #gpu.address_space<workgroup>>
      %g = nvgpu.device_async_create_group %t
      nvgpu.device_async_wait %g {numGroups = 1 : i32}
      gpu.barrier
      %lr = arith.remui %l, %c16 : index
      %lh = arith.divui %l, %c16 : index
      %lc = arith.muli %lh, %c8 : index
      %a = nvgpu.ldmatrix %sm[%lr, %lc] {numTiles = 4 : i32, transpose = false} : memref<16x16xf16, #gpu.address_space<workgroup>> -> vector<4x2xf16>
      %h00 = vector.extract %a[0, 0] : f16 from vector<4x2xf16>
      %f00 = arith.extf %h00 : f16 to f32
      %o00 = arith.constant 0 : index
      memref.store %f00, %out[%l, %o00] : memref<32x8xf32>
      %h01 = vector.extract %a[0, 1] : f16 from vector<4x2xf16>
      %f01 = arith.extf %h01 : f16 to f32
      %o01 = arith.constant 1 : index
      memref.store %f01, %out[%l, %o01] : memref<32x8xf32>
      %h10 = vector.extract %a[1, 0] : f16 from vector<4x2xf16>
      %f10 = arith.extf %h10 : f16 to f32
      %o10 = arith.constant 2 : index
      memref.store %f10, %out[%l, %o10] : memref<32x8xf32>
      %h11 = vector.extract %a[1, 1] : f16 from vector<4x2xf16>
      %f11 = arith.extf %h11 : f16 to f32
      %o11 = arith.constant 3 : index
      memref.store %f11, %out[%l, %o11] : memref<32x8xf32>
      %h20 = vector.extract %a[2, 0] : f16 from vector<4x2xf16>
      %f20 = arith.extf %h20 : f16 to f32
      %o20 = arith.constant 4 : index
      memref.store %f20, %out[%l, %o20] : memref<32x8xf32>
      %h21 = vector.extract %a[2, 1] : f16 from vector<4x2xf16>
      %f21 = arith.extf %h21 : f16 to f32
      %o21 = arith.constant 5 : index
      memref.store %f21, %out[%l, %o21] : memref<32x8xf32>
      %h30 = vector.extract %a[3, 0] : f16 from vector<4x2xf16>
      %f30 = arith.extf %h30 : f16 to f32
      %o30 = arith.constant 6 : index
      memref.store %f30, %out[%l, %o30] : memref<32x8xf32>
      %h31 = vector.extract %a[3, 1] : f16 from vector<4x2xf16>
      %f31 = arith.extf %h31 : f16 to f32
      %o31 = arith.constant 7 : index
      memref.store %f31, %out[%l, %o31] : memref<32x8xf32>
      gpu.return
    }
  }
  func.func private @printMemrefF32(memref<*xf32>)
  func.func @main() {
    %c0 = arith.constant 0 : index
    %c1 = arith.constant 1 : index
    %c16 = arith.constant 16 : index
    %c32 = arith.constant 32 : index
    %hx = memref.alloc() : memref<16x16xf16>
    scf.for %i = %c0 to %c16 step %c1 {
      scf.for %j = %c0 to %c16 step %c1 {
        %i16 = arith.muli %i, %c16 : index
        %v = arith.addi %i16, %j : index
        %vi = arith.index_cast %v : index to i32
        %vf = arith.sitofp %vi : i32 to f16
        memref.store %vf, %hx[%i, %j] : memref<16x16xf16>
      }
    }
    %x = gpu.alloc () : memref<16x16xf16>
    gpu.memcpy %x, %hx : memref<16x16xf16>, memref<16x16xf16>
    %out = gpu.alloc () : memref<32x8xf32>
    %h = memref.alloc() : memref<32x8xf32>
    %u = memref.cast %h : memref<32x8xf32> to memref<*xf32>
    gpu.launch_func @k::@stage blocks in (%c1, %c1, %c1)
        threads in (%c32, %c1, %c1) args(%x : memref<16x16xf16>, %out : memref<32x8xf32>)
    gpu.memcpy %h, %out : memref<32x8xf32>, memref<32x8xf32>
    call @printMemrefF32(%u) : (memref<*xf32>) -> ()
    gpu.launch_func @k::@trans blocks in (%c1, %c1, %c1)
        threads in (%c32, %c1, %c1) args(%x : memref<16x16xf16>, %out : memref<32x8xf32>)
    gpu.memcpy %h, %out : memref<32x8xf32>, memref<32x8xf32>
    call @printMemrefF32(%u) : (memref<*xf32>) -> ()
    gpu.launch_func @k::@early blocks in (%c1, %c1, %c1)
        threads in (%c32, %c1, %c1) args(%x : memref<16x16xf16>, %out : memref<32x8xf32>)
    gpu.memcpy %h, %out : memref<32x8xf32>, memref<32x8xf32>
    call @printMemrefF32(%u) : (memref<*xf32>) -> ()
    return
  }
}
