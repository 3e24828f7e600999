// Only lanes 0-15 reach the shuffle: undefined on a GPU (shfl.sync names
// all 32 lanes), an error on the emulator.
module attributes {gpu.container_module} {
  gpu.module @k {
    gpu.func @half_warp(%out: memref<32xi32>) kernel {
      %lane = gpu.thread_id x
      %l = arith.index_cast %lane : index to i32
      %c1 = arith.constant 1 : i32
      %c16 = arith.constant 16 : index
      %c32 = arith.constant 32 : i32
      %low = arith.cmpi ult, %lane, %c16 : index
      scf.if %low {
        %x, %v = gpu.shuffle xor %l, %c1, %c32 : i32
        memref.store %x, %out[%lane] : memref<32xi32>
      }
      gpu.return
    }
  }
  func.func @main() {
    %c1 = arith.constant 1 : index
    %c32 = arith.constant 32 : index
    %out = gpu.alloc () : memref<32xi32>
    gpu.launch_func @k::@half_warp blocks in (%c1, %c1, %c1)
        threads in (%c32, %c1, %c1) args(%out : memref<32xi32>)
    return
  }
}
