// One warp: lane i shuffles its id with offset 3 in each mode (width 32).
module attributes {gpu.container_module} {
  gpu.module @k {
    gpu.func @shuffles(%out: memref<4x32xi32>) kernel {
      %lane = gpu.thread_id x
      %l = arith.index_cast %lane : index to i32
      %c3 = arith.constant 3 : i32
      %c32 = arith.constant 32 : i32
      %x, %vx = gpu.shuffle xor %l, %c3, %c32 : i32
      %d, %vd = gpu.shuffle down %l, %c3, %c32 : i32
      %u, %vu = gpu.shuffle up %l, %c3, %c32 : i32
      %i, %vi = gpu.shuffle idx %l, %c3, %c32 : i32
      %r0 = arith.constant 0 : index
      %r1 = arith.constant 1 : index
      %r2 = arith.constant 2 : index
      %r3 = arith.constant 3 : index
      memref.store %x, %out[%r0, %lane] : memref<4x32xi32>
      memref.store %d, %out[%r1, %lane] : memref<4x32xi32>
      memref.store %u, %out[%r2, %lane] : memref<4x32xi32>
      memref.store %i, %out[%r3, %lane] : memref<4x32xi32>
      gpu.return
    }
  }
  func.func private @printMemrefI32(memref<*xi32>)
  func.func @main() {
    %c1 = arith.constant 1 : index
    %c32 = arith.constant 32 : index
    %out = gpu.alloc () : memref<4x32xi32>
    gpu.launch_func @k::@shuffles blocks in (%c1, %c1, %c1)
        threads in (%c32, %c1, %c1) args(%out : memref<4x32xi32>)
    %h = memref.alloc() : memref<4x32xi32>
    gpu.memcpy %h, %out : memref<4x32xi32>, memref<4x32xi32>
    %u = memref.cast %h : memref<4x32xi32> to memref<*xi32>
    call @printMemrefI32(%u) : (memref<*xi32>) -> ()
    return
  }
}
