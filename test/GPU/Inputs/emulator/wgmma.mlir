// wgmma.mma_async m64n16k16 (f16 -> f32, A from registers, B from shared
// memory through a no-swizzle K-major descriptor). The block's 128 threads
// (one warpgroup) stage B[k][n] = 16 k + n (x[n][k], 16 x 16) with
// cp.async as four core matrices (n / 8, k / 8) of 8 rows (n % 8) x 16
// bytes, laid out [n / 8][k / 8]: K-adjacent ones 128 bytes apart (LBO),
// row-adjacent ones 256 (SBO). A's row 16 w + r holds w + 1 at k = r and 0
// elsewhere, so D[16 w + r][n] = (w + 1) (16 r + n). Each thread writes its
// 8 accumulators to row tid of out.
//   @wgmma: the copies waited for, fenced into the async proxy, then a
//           barrier: as a kernel must;
//   @sparse: wgmma.mma_async.sp m64n16k32: B[k][n] = 32 n + k (32 x 16,
//           core matrices [n / 8][k / 8], LBO 128, SBO 512); A's row
//           16 w + r keeps one nonzero, w + 1, as its kept value c = r,
//           which the metadata places at dense K 4 (r / 2) + ((r / 2 + r)
//           mod 3) for even r, 4 (r / 2) + 3 for odd r; so D[16 w + r][n]
//           = (w + 1) (32 n + that K);
//   @unfenced: the first without fence.proxy.async (the emulator stops).
module attributes {gpu.container_module} {
  gpu.module @k {
    gpu.func @wgmma(%x: memref<16x16xf16>, %out: memref<128x8xf32>)
        workgroup(%sm: memref<2x2x8x8xf16, #gpu.address_space<workgroup>> {llvm.align = 16 : i64}) kernel {
      %tid = gpu.thread_id x
      %c0 = arith.constant 0 : index
      %c1 = arith.constant 1 : index
      %c2 = arith.constant 2 : index
      %c4 = arith.constant 4 : index
      %c8 = arith.constant 8 : index
      %c16 = arith.constant 16 : index
      %c32 = arith.constant 32 : index
      // B: thread t < 32 copies row n = t / 2, K half kh = t % 2 (16 bytes)
      // into core matrix (n / 8, kh), row n % 8.
      %copies = arith.cmpi ult, %tid, %c32 : index
      scf.if %copies {
        %n = arith.divui %tid, %c2 : index
        %kh = arith.remui %tid, %c2 : index
        %k0 = arith.muli %kh, %c8 : index
        %cg = arith.divui %n, %c8 : index
        %nr = arith.remui %n, %c8 : index
        %t = nvgpu.device_async_copy %x[%n, %k0], %sm[%cg, %kh, %nr, %c0], 8 {bypassL1} : memref<16x16xf16> to memref<2x2x8x8xf16, #gpu.address_space<workgroup>>
        %g = nvgpu.device_async_create_group %t
        nvgpu.device_async_wait %g {numGroups = 0 : i32}
      }
      nvvm.fence.proxy {kind = #nvvm.proxy_kind<async.shared>, space = #nvvm.shared_space<cta>}
      gpu.barrier
      // A: row 16 w + r, column k is w + 1 where k == r, else 0;
      // element i of lane (g, t): row g + 8 ((i / 2) % 2), k 2 t + i % 2 + 8 (i / 4).
      %lane = arith.remui %tid, %c32 : index
      %w = arith.divui %tid, %c32 : index
      %w1 = arith.addi %w, %c1 : index
      %w1i = arith.index_cast %w1 : index to i32
      %wf = arith.sitofp %w1i : i32 to f16
      %zf = arith.constant 0.0 : f16
      %gr = arith.divui %lane, %c4 : index
      %tg = arith.remui %lane, %c4 : index
      %t2 = arith.muli %tg, %c2 : index
      %ro0 = arith.constant 0 : index
      %row0 = arith.addi %gr, %ro0 : index
      %ko0 = arith.constant 0 : index
      %k0 = arith.addi %t2, %ko0 : index
      %eq0 = arith.cmpi eq, %k0, %row0 : index
      %av0 = arith.select %eq0, %wf, %zf : f16
      %ro1 = arith.constant 0 : index
      %row1 = arith.addi %gr, %ro1 : index
      %ko1 = arith.constant 1 : index
      %k1 = arith.addi %t2, %ko1 : index
      %eq1 = arith.cmpi eq, %k1, %row1 : index
      %av1 = arith.select %eq1, %wf, %zf : f16
      %ap0 = vector.from_elements %av0, %av1 : vector<2xf16>
      %ab0 = vector.bitcast %ap0 : vector<2xf16> to vector<1xi32>
      %a0 = vector.extract %ab0[0] : i32 from vector<1xi32>
      %ro2 = arith.constant 8 : index
      %row2 = arith.addi %gr, %ro2 : index
      %ko2 = arith.constant 0 : index
      %k2 = arith.addi %t2, %ko2 : index
      %eq2 = arith.cmpi eq, %k2, %row2 : index
      %av2 = arith.select %eq2, %wf, %zf : f16
      %ro3 = arith.constant 8 : index
      %row3 = arith.addi %gr, %ro3 : index
      %ko3 = arith.constant 1 : index
      %k3 = arith.addi %t2, %ko3 : index
      %eq3 = arith.cmpi eq, %k3, %row3 : index
      %av3 = arith.select %eq3, %wf, %zf : f16
      %ap1 = vector.from_elements %av2, %av3 : vector<2xf16>
      %ab1 = vector.bitcast %ap1 : vector<2xf16> to vector<1xi32>
      %a1 = vector.extract %ab1[0] : i32 from vector<1xi32>
      %ro4 = arith.constant 0 : index
      %row4 = arith.addi %gr, %ro4 : index
      %ko4 = arith.constant 8 : index
      %k4 = arith.addi %t2, %ko4 : index
      %eq4 = arith.cmpi eq, %k4, %row4 : index
      %av4 = arith.select %eq4, %wf, %zf : f16
      %ro5 = arith.constant 0 : index
      %row5 = arith.addi %gr, %ro5 : index
      %ko5 = arith.constant 9 : index
      %k5 = arith.addi %t2, %ko5 : index
      %eq5 = arith.cmpi eq, %k5, %row5 : index
      %av5 = arith.select %eq5, %wf, %zf : f16
      %ap2 = vector.from_elements %av4, %av5 : vector<2xf16>
      %ab2 = vector.bitcast %ap2 : vector<2xf16> to vector<1xi32>
      %a2 = vector.extract %ab2[0] : i32 from vector<1xi32>
      %ro6 = arith.constant 8 : index
      %row6 = arith.addi %gr, %ro6 : index
      %ko6 = arith.constant 8 : index
      %k6 = arith.addi %t2, %ko6 : index
      %eq6 = arith.cmpi eq, %k6, %row6 : index
      %av6 = arith.select %eq6, %wf, %zf : f16
      %ro7 = arith.constant 8 : index
      %row7 = arith.addi %gr, %ro7 : index
      %ko7 = arith.constant 9 : index
      %k7 = arith.addi %t2, %ko7 : index
      %eq7 = arith.cmpi eq, %k7, %row7 : index
      %av7 = arith.select %eq7, %wf, %zf : f16
      %ap3 = vector.from_elements %av6, %av7 : vector<2xf16>
      %ab3 = vector.bitcast %ap3 : vector<2xf16> to vector<1xi32>
      %a3 = vector.extract %ab3[0] : i32 from vector<1xi32>
      // The descriptor: no swizzle, K-adjacent core matrices 128 bytes
      // apart (LBO), row-adjacent ones 256 (SBO).
      %base = memref.extract_aligned_pointer_as_index %sm : memref<2x2x8x8xf16, #gpu.address_space<workgroup>> -> index
      %b64 = arith.index_cast %base : index to i64
      %c4i = arith.constant 4 : i64
      %mask = arith.constant 16383 : i64
      %fixed = arith.constant 68720001024 : i64
      %sh = arith.shrui %b64, %c4i : i64
      %fld = arith.andi %sh, %mask : i64
      %desc = arith.ori %fld, %fixed : i64
      %one = arith.constant 1 : i32
      %z = arith.constant 0.0 : f32
      nvvm.wgmma.fence.aligned
      %d = llvm.inline_asm has_side_effects asm_dialect = att "{ .reg .pred p; setp.ne.b32 p, $13, 0; wgmma.mma_async.sync.aligned.m64n16k16.f32.f16.f16 {$0, $1, $2, $3, $4, $5, $6, $7}, {$8, $9, $10, $11}, $12, p, 1, 1, 0; }", "=f,=f,=f,=f,=f,=f,=f,=f,r,r,r,r,l,r,0,1,2,3,4,5,6,7" %a0, %a1, %a2, %a3, %desc, %one, %z, %z, %z, %z, %z, %z, %z, %z : (i32, i32, i32, i32, i64, i32, f32, f32, f32, f32, f32, f32, f32, f32) -> !llvm.struct<(f32, f32, f32, f32, f32, f32, f32, f32)>
      nvvm.wgmma.commit.group.sync.aligned
      nvvm.wgmma.wait.group.sync.aligned 0
      %o0 = llvm.extractvalue %d[0] : !llvm.struct<(f32, f32, f32, f32, f32, f32, f32, f32)>
      %oi0 = arith.constant 0 : index
      memref.store %o0, %out[%tid, %oi0] : memref<128x8xf32>
      %o1 = llvm.extractvalue %d[1] : !llvm.struct<(f32, f32, f32, f32, f32, f32, f32, f32)>
      %oi1 = arith.constant 1 : index
      memref.store %o1, %out[%tid, %oi1] : memref<128x8xf32>
      %o2 = llvm.extractvalue %d[2] : !llvm.struct<(f32, f32, f32, f32, f32, f32, f32, f32)>
      %oi2 = arith.constant 2 : index
      memref.store %o2, %out[%tid, %oi2] : memref<128x8xf32>
      %o3 = llvm.extractvalue %d[3] : !llvm.struct<(f32, f32, f32, f32, f32, f32, f32, f32)>
      %oi3 = arith.constant 3 : index
      memref.store %o3, %out[%tid, %oi3] : memref<128x8xf32>
      %o4 = llvm.extractvalue %d[4] : !llvm.struct<(f32, f32, f32, f32, f32, f32, f32, f32)>
      %oi4 = arith.constant 4 : index
      memref.store %o4, %out[%tid, %oi4] : memref<128x8xf32>
      %o5 = llvm.extractvalue %d[5] : !llvm.struct<(f32, f32, f32, f32, f32, f32, f32, f32)>
      %oi5 = arith.constant 5 : index
      memref.store %o5, %out[%tid, %oi5] : memref<128x8xf32>
      %o6 = llvm.extractvalue %d[6] : !llvm.struct<(f32, f32, f32, f32, f32, f32, f32, f32)>
      %oi6 = arith.constant 6 : index
      memref.store %o6, %out[%tid, %oi6] : memref<128x8xf32>
      %o7 = llvm.extractvalue %d[7] : !llvm.struct<(f32, f32, f32, f32, f32, f32, f32, f32)>
      %oi7 = arith.constant 7 : index
      memref.store %o7, %out[%tid, %oi7] : memref<128x8xf32>
      gpu.return
    }
    gpu.func @unfenced(%x: memref<16x16xf16>, %out: memref<128x8xf32>)
        workgroup(%sm: memref<2x2x8x8xf16, #gpu.address_space<workgroup>> {llvm.align = 16 : i64}) kernel {
      %tid = gpu.thread_id x
      %c0 = arith.constant 0 : index
      %c1 = arith.constant 1 : index
      %c2 = arith.constant 2 : index
      %c4 = arith.constant 4 : index
      %c8 = arith.constant 8 : index
      %c16 = arith.constant 16 : index
      %c32 = arith.constant 32 : index
      // B: thread t < 32 copies row n = t / 2, K half kh = t % 2 (16 bytes)
      // into core matrix (n / 8, kh), row n % 8.
      %copies = arith.cmpi ult, %tid, %c32 : index
      scf.if %copies {
        %n = arith.divui %tid, %c2 : index
        %kh = arith.remui %tid, %c2 : index
        %k0 = arith.muli %kh, %c8 : index
        %cg = arith.divui %n, %c8 : index
        %nr = arith.remui %n, %c8 : index
        %t = nvgpu.device_async_copy %x[%n, %k0], %sm[%cg, %kh, %nr, %c0], 8 {bypassL1} : memref<16x16xf16> to memref<2x2x8x8xf16, #gpu.address_space<workgroup>>
        %g = nvgpu.device_async_create_group %t
        nvgpu.device_async_wait %g {numGroups = 0 : i32}
      }
      gpu.barrier
      // A: row 16 w + r, column k is w + 1 where k == r, else 0;
      // element i of lane (g, t): row g + 8 ((i / 2) % 2), k 2 t + i % 2 + 8 (i / 4).
      %lane = arith.remui %tid, %c32 : index
      %w = arith.divui %tid, %c32 : index
      %w1 = arith.addi %w, %c1 : index
      %w1i = arith.index_cast %w1 : index to i32
      %wf = arith.sitofp %w1i : i32 to f16
      %zf = arith.constant 0.0 : f16
      %gr = arith.divui %lane, %c4 : index
      %tg = arith.remui %lane, %c4 : index
      %t2 = arith.muli %tg, %c2 : index
      %ro0 = arith.constant 0 : index
      %row0 = arith.addi %gr, %ro0 : index
      %ko0 = arith.constant 0 : index
      %k0 = arith.addi %t2, %ko0 : index
      %eq0 = arith.cmpi eq, %k0, %row0 : index
      %av0 = arith.select %eq0, %wf, %zf : f16
      %ro1 = arith.constant 0 : index
      %row1 = arith.addi %gr, %ro1 : index
      %ko1 = arith.constant 1 : index
      %k1 = arith.addi %t2, %ko1 : index
      %eq1 = arith.cmpi eq, %k1, %row1 : index
      %av1 = arith.select %eq1, %wf, %zf : f16
      %ap0 = vector.from_elements %av0, %av1 : vector<2xf16>
      %ab0 = vector.bitcast %ap0 : vector<2xf16> to vector<1xi32>
      %a0 = vector.extract %ab0[0] : i32 from vector<1xi32>
      %ro2 = arith.constant 8 : index
      %row2 = arith.addi %gr, %ro2 : index
      %ko2 = arith.constant 0 : index
      %k2 = arith.addi %t2, %ko2 : index
      %eq2 = arith.cmpi eq, %k2, %row2 : index
      %av2 = arith.select %eq2, %wf, %zf : f16
      %ro3 = arith.constant 8 : index
      %row3 = arith.addi %gr, %ro3 : index
      %ko3 = arith.constant 1 : index
      %k3 = arith.addi %t2, %ko3 : index
      %eq3 = arith.cmpi eq, %k3, %row3 : index
      %av3 = arith.select %eq3, %wf, %zf : f16
      %ap1 = vector.from_elements %av2, %av3 : vector<2xf16>
      %ab1 = vector.bitcast %ap1 : vector<2xf16> to vector<1xi32>
      %a1 = vector.extract %ab1[0] : i32 from vector<1xi32>
      %ro4 = arith.constant 0 : index
      %row4 = arith.addi %gr, %ro4 : index
      %ko4 = arith.constant 8 : index
      %k4 = arith.addi %t2, %ko4 : index
      %eq4 = arith.cmpi eq, %k4, %row4 : index
      %av4 = arith.select %eq4, %wf, %zf : f16
      %ro5 = arith.constant 0 : index
      %row5 = arith.addi %gr, %ro5 : index
      %ko5 = arith.constant 9 : index
      %k5 = arith.addi %t2, %ko5 : index
      %eq5 = arith.cmpi eq, %k5, %row5 : index
      %av5 = arith.select %eq5, %wf, %zf : f16
      %ap2 = vector.from_elements %av4, %av5 : vector<2xf16>
      %ab2 = vector.bitcast %ap2 : vector<2xf16> to vector<1xi32>
      %a2 = vector.extract %ab2[0] : i32 from vector<1xi32>
      %ro6 = arith.constant 8 : index
      %row6 = arith.addi %gr, %ro6 : index
      %ko6 = arith.constant 8 : index
      %k6 = arith.addi %t2, %ko6 : index
      %eq6 = arith.cmpi eq, %k6, %row6 : index
      %av6 = arith.select %eq6, %wf, %zf : f16
      %ro7 = arith.constant 8 : index
      %row7 = arith.addi %gr, %ro7 : index
      %ko7 = arith.constant 9 : index
      %k7 = arith.addi %t2, %ko7 : index
      %eq7 = arith.cmpi eq, %k7, %row7 : index
      %av7 = arith.select %eq7, %wf, %zf : f16
      %ap3 = vector.from_elements %av6, %av7 : vector<2xf16>
      %ab3 = vector.bitcast %ap3 : vector<2xf16> to vector<1xi32>
      %a3 = vector.extract %ab3[0] : i32 from vector<1xi32>
      // The descriptor: no swizzle, K-adjacent core matrices 128 bytes
      // apart (LBO), row-adjacent ones 256 (SBO).
      %base = memref.extract_aligned_pointer_as_index %sm : memref<2x2x8x8xf16, #gpu.address_space<workgroup>> -> index
      %b64 = arith.index_cast %base : index to i64
      %c4i = arith.constant 4 : i64
      %mask = arith.constant 16383 : i64
      %fixed = arith.constant 68720001024 : i64
      %sh = arith.shrui %b64, %c4i : i64
      %fld = arith.andi %sh, %mask : i64
      %desc = arith.ori %fld, %fixed : i64
      %one = arith.constant 1 : i32
      %z = arith.constant 0.0 : f32
      nvvm.wgmma.fence.aligned
      %d = llvm.inline_asm has_side_effects asm_dialect = att "{ .reg .pred p; setp.ne.b32 p, $13, 0; wgmma.mma_async.sync.aligned.m64n16k16.f32.f16.f16 {$0, $1, $2, $3, $4, $5, $6, $7}, {$8, $9, $10, $11}, $12, p, 1, 1, 0; }", "=f,=f,=f,=f,=f,=f,=f,=f,r,r,r,r,l,r,0,1,2,3,4,5,6,7" %a0, %a1, %a2, %a3, %desc, %one, %z, %z, %z, %z, %z, %z, %z, %z : (i32, i32, i32, i32, i64, i32, f32, f32, f32, f32, f32, f32, f32, f32) -> !llvm.struct<(f32, f32, f32, f32, f32, f32, f32, f32)>
      nvvm.wgmma.commit.group.sync.aligned
      nvvm.wgmma.wait.group.sync.aligned 0
      %o0 = llvm.extractvalue %d[0] : !llvm.struct<(f32, f32, f32, f32, f32, f32, f32, f32)>
      %oi0 = arith.constant 0 : index
      memref.store %o0, %out[%tid, %oi0] : memref<128x8xf32>
      %o1 = llvm.extractvalue %d[1] : !llvm.struct<(f32, f32, f32, f32, f32, f32, f32, f32)>
      %oi1 = arith.constant 1 : index
      memref.store %o1, %out[%tid, %oi1] : memref<128x8xf32>
      %o2 = llvm.extractvalue %d[2] : !llvm.struct<(f32, f32, f32, f32, f32, f32, f32, f32)>
      %oi2 = arith.constant 2 : index
      memref.store %o2, %out[%tid, %oi2] : memref<128x8xf32>
      %o3 = llvm.extractvalue %d[3] : !llvm.struct<(f32, f32, f32, f32, f32, f32, f32, f32)>
      %oi3 = arith.constant 3 : index
      memref.store %o3, %out[%tid, %oi3] : memref<128x8xf32>
      %o4 = llvm.extractvalue %d[4] : !llvm.struct<(f32, f32, f32, f32, f32, f32, f32, f32)>
      %oi4 = arith.constant 4 : index
      memref.store %o4, %out[%tid, %oi4] : memref<128x8xf32>
      %o5 = llvm.extractvalue %d[5] : !llvm.struct<(f32, f32, f32, f32, f32, f32, f32, f32)>
      %oi5 = arith.constant 5 : index
      memref.store %o5, %out[%tid, %oi5] : memref<128x8xf32>
      %o6 = llvm.extractvalue %d[6] : !llvm.struct<(f32, f32, f32, f32, f32, f32, f32, f32)>
      %oi6 = arith.constant 6 : index
      memref.store %o6, %out[%tid, %oi6] : memref<128x8xf32>
      %o7 = llvm.extractvalue %d[7] : !llvm.struct<(f32, f32, f32, f32, f32, f32, f32, f32)>
      %oi7 = arith.constant 7 : index
      memref.store %o7, %out[%tid, %oi7] : memref<128x8xf32>
      gpu.return
    }
    gpu.func @sparse(%x: memref<16x32xf16>, %out: memref<128x8xf32>)
        workgroup(%sm: memref<2x4x8x8xf16, #gpu.address_space<workgroup>> {llvm.align = 16 : i64}) kernel {
      %tid = gpu.thread_id x
      %c0 = arith.constant 0 : index
      %c1 = arith.constant 1 : index
      %c2 = arith.constant 2 : index
      %c4 = arith.constant 4 : index
      %c8 = arith.constant 8 : index
      %c32 = arith.constant 32 : index
      %c64 = arith.constant 64 : index
      // B (32 x 16): thread t < 64 copies row n = t / 4, K quarter kq = t % 4
      // into core matrix (n / 8, kq), row n % 8.
      %copies = arith.cmpi ult, %tid, %c64 : index
      scf.if %copies {
        %n = arith.divui %tid, %c4 : index
        %kq = arith.remui %tid, %c4 : index
        %k0 = arith.muli %kq, %c8 : index
        %cg = arith.divui %n, %c8 : index
        %nr = arith.remui %n, %c8 : index
        %t = nvgpu.device_async_copy %x[%n, %k0], %sm[%cg, %kq, %nr, %c0], 8 {bypassL1} : memref<16x32xf16> to memref<2x4x8x8xf16, #gpu.address_space<workgroup>>
        %g = nvgpu.device_async_create_group %t
        nvgpu.device_async_wait %g {numGroups = 0 : i32}
      }
      nvvm.fence.proxy {kind = #nvvm.proxy_kind<async.shared>, space = #nvvm.shared_space<cta>}
      gpu.barrier
      // A: row 16 w + r keeps one nonzero, w + 1, as its kept value c = r;
      // element i of lane (g, t): row g + 8 ((i / 2) % 2), kept value
      // 2 t + i % 2 + 8 (i / 4).
      %lane = arith.remui %tid, %c32 : index
      %w = arith.divui %tid, %c32 : index
      %w1 = arith.addi %w, %c1 : index
      %w1i = arith.index_cast %w1 : index to i32
      %wf = arith.sitofp %w1i : i32 to f16
      %zf = arith.constant 0.0 : f16
      %gr = arith.divui %lane, %c4 : index
      %tg = arith.remui %lane, %c4 : index
      %t2 = arith.muli %tg, %c2 : index
      %ro0 = arith.constant 0 : index
      %row0 = arith.addi %gr, %ro0 : index
      %ko0 = arith.constant 0 : index
      %k0 = arith.addi %t2, %ko0 : index
      %eq0 = arith.cmpi eq, %k0, %row0 : index
      %av0 = arith.select %eq0, %wf, %zf : f16
      %ro1 = arith.constant 0 : index
      %row1 = arith.addi %gr, %ro1 : index
      %ko1 = arith.constant 1 : index
      %k1 = arith.addi %t2, %ko1 : index
      %eq1 = arith.cmpi eq, %k1, %row1 : index
      %av1 = arith.select %eq1, %wf, %zf : f16
      %ap0 = vector.from_elements %av0, %av1 : vector<2xf16>
      %ab0 = vector.bitcast %ap0 : vector<2xf16> to vector<1xi32>
      %a0 = vector.extract %ab0[0] : i32 from vector<1xi32>
      %ro2 = arith.constant 8 : index
      %row2 = arith.addi %gr, %ro2 : index
      %ko2 = arith.constant 0 : index
      %k2 = arith.addi %t2, %ko2 : index
      %eq2 = arith.cmpi eq, %k2, %row2 : index
      %av2 = arith.select %eq2, %wf, %zf : f16
      %ro3 = arith.constant 8 : index
      %row3 = arith.addi %gr, %ro3 : index
      %ko3 = arith.constant 1 : index
      %k3 = arith.addi %t2, %ko3 : index
      %eq3 = arith.cmpi eq, %k3, %row3 : index
      %av3 = arith.select %eq3, %wf, %zf : f16
      %ap1 = vector.from_elements %av2, %av3 : vector<2xf16>
      %ab1 = vector.bitcast %ap1 : vector<2xf16> to vector<1xi32>
      %a1 = vector.extract %ab1[0] : i32 from vector<1xi32>
      %ro4 = arith.constant 0 : index
      %row4 = arith.addi %gr, %ro4 : index
      %ko4 = arith.constant 8 : index
      %k4 = arith.addi %t2, %ko4 : index
      %eq4 = arith.cmpi eq, %k4, %row4 : index
      %av4 = arith.select %eq4, %wf, %zf : f16
      %ro5 = arith.constant 0 : index
      %row5 = arith.addi %gr, %ro5 : index
      %ko5 = arith.constant 9 : index
      %k5 = arith.addi %t2, %ko5 : index
      %eq5 = arith.cmpi eq, %k5, %row5 : index
      %av5 = arith.select %eq5, %wf, %zf : f16
      %ap2 = vector.from_elements %av4, %av5 : vector<2xf16>
      %ab2 = vector.bitcast %ap2 : vector<2xf16> to vector<1xi32>
      %a2 = vector.extract %ab2[0] : i32 from vector<1xi32>
      %ro6 = arith.constant 8 : index
      %row6 = arith.addi %gr, %ro6 : index
      %ko6 = arith.constant 8 : index
      %k6 = arith.addi %t2, %ko6 : index
      %eq6 = arith.cmpi eq, %k6, %row6 : index
      %av6 = arith.select %eq6, %wf, %zf : f16
      %ro7 = arith.constant 8 : index
      %row7 = arith.addi %gr, %ro7 : index
      %ko7 = arith.constant 9 : index
      %k7 = arith.addi %t2, %ko7 : index
      %eq7 = arith.cmpi eq, %k7, %row7 : index
      %av7 = arith.select %eq7, %wf, %zf : f16
      %ap3 = vector.from_elements %av6, %av7 : vector<2xf16>
      %ab3 = vector.bitcast %ap3 : vector<2xf16> to vector<1xi32>
      %a3 = vector.extract %ab3[0] : i32 from vector<1xi32>
      // Metadata of lane 4 g + h (h = 0, 1; lanes 4 g + 2, 4 g + 3 give -1,
      // which selector 0 does not read): rows g (bits 0-15) and g + 8
      // (16-31), kept values 8 h .. 8 h + 7, 2 bits each: value 2 q + e of
      // row r sits at position (q + r) mod 3 (e = 0) or 3 (e = 1).
      %metas = arith.constant dense<[-305213732, -824386323, -1, -1, -824386323, -588386866, -1, -1, -588386866, -305213732, -1, -1, -305213732, -824386323, -1, -1, -824386323, -588386866, -1, -1, -588386866, -305213732, -1, -1, -305213732, -824386323, -1, -1, -824386323, -588386866, -1, -1]> : vector<32xi32>
      %meta = vector.extract %metas[%lane] : i32 from vector<32xi32>
      %base = memref.extract_aligned_pointer_as_index %sm : memref<2x4x8x8xf16, #gpu.address_space<workgroup>> -> index
      %b64 = arith.index_cast %base : index to i64
      %c4i = arith.constant 4 : i64
      %mask = arith.constant 16383 : i64
      // LBO 128 (the next 8 K), SBO 512 (the next 8 columns).
      %fixed = arith.constant 137439477760 : i64
      %sh = arith.shrui %b64, %c4i : i64
      %fld = arith.andi %sh, %mask : i64
      %desc = arith.ori %fld, %fixed : i64
      %one = arith.constant 1 : i32
      %z = arith.constant 0.0 : f32
      nvvm.wgmma.fence.aligned
      %d = llvm.inline_asm has_side_effects asm_dialect = att "{ .reg .pred p; setp.ne.b32 p, $14, 0; wgmma.mma_async.sp.sync.aligned.m64n16k32.f32.f16.f16 {$0, $1, $2, $3, $4, $5, $6, $7}, {$8, $9, $10, $11}, $12, $13, 0, p, 1, 1, 0; }", "=f,=f,=f,=f,=f,=f,=f,=f,r,r,r,r,l,r,r,0,1,2,3,4,5,6,7" %a0, %a1, %a2, %a3, %desc, %meta, %one, %z, %z, %z, %z, %z, %z, %z, %z : (i32, i32, i32, i32, i64, i32, i32, f32, f32, f32, f32, f32, f32, f32, f32) -> !llvm.struct<(f32, f32, f32, f32, f32, f32, f32, f32)>
      nvvm.wgmma.commit.group.sync.aligned
      nvvm.wgmma.wait.group.sync.aligned 0
      %o0 = llvm.extractvalue %d[0] : !llvm.struct<(f32, f32, f32, f32, f32, f32, f32, f32)>
      %oi0 = arith.constant 0 : index
      memref.store %o0, %out[%tid, %oi0] : memref<128x8xf32>
      %o1 = llvm.extractvalue %d[1] : !llvm.struct<(f32, f32, f32, f32, f32, f32, f32, f32)>
      %oi1 = arith.constant 1 : index
      memref.store %o1, %out[%tid, %oi1] : memref<128x8xf32>
      %o2 = llvm.extractvalue %d[2] : !llvm.struct<(f32, f32, f32, f32, f32, f32, f32, f32)>
      %oi2 = arith.constant 2 : index
      memref.store %o2, %out[%tid, %oi2] : memref<128x8xf32>
      %o3 = llvm.extractvalue %d[3] : !llvm.struct<(f32, f32, f32, f32, f32, f32, f32, f32)>
      %oi3 = arith.constant 3 : index
      memref.store %o3, %out[%tid, %oi3] : memref<128x8xf32>
      %o4 = llvm.extractvalue %d[4] : !llvm.struct<(f32, f32, f32, f32, f32, f32, f32, f32)>
      %oi4 = arith.constant 4 : index
      memref.store %o4, %out[%tid, %oi4] : memref<128x8xf32>
      %o5 = llvm.extractvalue %d[5] : !llvm.struct<(f32, f32, f32, f32, f32, f32, f32, f32)>
      %oi5 = arith.constant 5 : index
      memref.store %o5, %out[%tid, %oi5] : memref<128x8xf32>
      %o6 = llvm.extractvalue %d[6] : !llvm.struct<(f32, f32, f32, f32, f32, f32, f32, f32)>
      %oi6 = arith.constant 6 : index
      memref.store %o6, %out[%tid, %oi6] : memref<128x8xf32>
      %o7 = llvm.extractvalue %d[7] : !llvm.struct<(f32, f32, f32, f32, f32, f32, f32, f32)>
      %oi7 = arith.constant 7 : index
      memref.store %o7, %out[%tid, %oi7] : memref<128x8xf32>
      gpu.return
    }
  }
  func.func private @printMemrefF32(memref<*xf32>)
  func.func @main() {
    %c0 = arith.constant 0 : index
    %c1 = arith.constant 1 : index
    %c16 = arith.constant 16 : index
    %c128 = arith.constant 128 : index
    %hx = memref.alloc() : memref<16x16xf16>
    scf.for %n = %c0 to %c16 step %c1 {
      scf.for %k = %c0 to %c16 step %c1 {
        %k16 = arith.muli %k, %c16 : index
        %v = arith.addi %k16, %n : index
        %vi = arith.index_cast %v : index to i32
        %vf = arith.sitofp %vi : i32 to f16
        memref.store %vf, %hx[%n, %k] : memref<16x16xf16>
      }
    }
    %x = gpu.alloc () : memref<16x16xf16>
    gpu.memcpy %x, %hx : memref<16x16xf16>, memref<16x16xf16>
    %out = gpu.alloc () : memref<128x8xf32>
    %h = memref.alloc() : memref<128x8xf32>
    %u = memref.cast %h : memref<128x8xf32> to memref<*xf32>
    gpu.launch_func @k::@wgmma blocks in (%c1, %c1, %c1)
        threads in (%c128, %c1, %c1) args(%x : memref<16x16xf16>, %out : memref<128x8xf32>)
    gpu.memcpy %h, %out : memref<128x8xf32>, memref<128x8xf32>
    call @printMemrefF32(%u) : (memref<*xf32>) -> ()
    %hs = memref.alloc() : memref<16x32xf16>
    %c32 = arith.constant 32 : index
    scf.for %n = %c0 to %c16 step %c1 {
      scf.for %k = %c0 to %c32 step %c1 {
        %n32 = arith.muli %n, %c32 : index
        %v = arith.addi %n32, %k : index
        %vi = arith.index_cast %v : index to i32
        %vf = arith.sitofp %vi : i32 to f16
        memref.store %vf, %hs[%n, %k] : memref<16x32xf16>
      }
    }
    %xs = gpu.alloc () : memref<16x32xf16>
    gpu.memcpy %xs, %hs : memref<16x32xf16>, memref<16x32xf16>
    gpu.launch_func @k::@sparse blocks in (%c1, %c1, %c1)
        threads in (%c128, %c1, %c1) args(%xs : memref<16x32xf16>, %out : memref<128x8xf32>)
    gpu.memcpy %h, %out : memref<128x8xf32>, memref<128x8xf32>
    call @printMemrefF32(%u) : (memref<*xf32>) -> ()
    gpu.launch_func @k::@unfenced blocks in (%c1, %c1, %c1)
        threads in (%c128, %c1, %c1) args(%x : memref<16x16xf16>, %out : memref<128x8xf32>)
    return
  }
}
