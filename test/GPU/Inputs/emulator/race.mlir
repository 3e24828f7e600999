// A race a barrier should prevent: two rounds in which warp 1 writes a
// value to shared memory, all threads meet at a barrier, and warp 0 adds it
// up; no barrier keeps warp 1 from writing round 2's value before warp 0
// has read round 1's. Run in ascending order (block 0) the sum is 1 + 2;
// in descending order (block 1) warp 1 overwrites first and it is 2 + 2.
module attributes {gpu.container_module} {
  gpu.module @k {
    gpu.func @race(%out: memref<2x32xi32>)
        workgroup(%smem: memref<32xi32, #gpu.address_space<workgroup>>) kernel {
      %t = gpu.thread_id x
      %b = gpu.block_id x
      %c0 = arith.constant 0 : index
      %c1 = arith.constant 1 : index
      %c2 = arith.constant 2 : index
      %c32 = arith.constant 32 : index
      %warp = arith.divui %t, %c32 : index
      %lane = arith.remui %t, %c32 : index
      %is0 = arith.cmpi eq, %warp, %c0 : index
      %is1 = arith.cmpi eq, %warp, %c1 : index
      %zero = arith.constant 0 : i32
      %sum = scf.for %i = %c0 to %c2 step %c1 iter_args(%acc = %zero) -> (i32) {
        scf.if %is1 {
          %i1 = arith.addi %i, %c1 : index
          %v = arith.index_cast %i1 : index to i32
          memref.store %v, %smem[%lane] : memref<32xi32, #gpu.address_space<workgroup>>
        }
        gpu.barrier
        %next = scf.if %is0 -> (i32) {
          %v = memref.load %smem[%lane] : memref<32xi32, #gpu.address_space<workgroup>>
          %a = arith.addi %acc, %v : i32
          scf.yield %a : i32
        } else {
          scf.yield %acc : i32
        }
        scf.yield %next : i32
      }
      scf.if %is0 {
        memref.store %sum, %out[%b, %lane] : memref<2x32xi32>
      }
      gpu.return
    }
  }
  func.func private @printMemrefI32(memref<*xi32>)
  func.func @main() {
    %c1 = arith.constant 1 : index
    %c2 = arith.constant 2 : index
    %c64 = arith.constant 64 : index
    %out = gpu.alloc () : memref<2x32xi32>
    gpu.launch_func @k::@race blocks in (%c2, %c1, %c1)
        threads in (%c64, %c1, %c1) args(%out : memref<2x32xi32>)
    %h = memref.alloc() : memref<2x32xi32>
    gpu.memcpy %h, %out : memref<2x32xi32>, memref<2x32xi32>
    %u = memref.cast %h : memref<2x32xi32> to memref<*xi32>
    call @printMemrefI32(%u) : (memref<*xi32>) -> ()
    return
  }
}
