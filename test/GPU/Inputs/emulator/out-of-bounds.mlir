// Thread i writes element i + 1 of a 32-element buffer: thread 31 writes
// past its end.
module attributes {gpu.container_module} {
  gpu.module @k {
    gpu.func @off_by_one(%out: memref<?xf32>) kernel {
      %t = gpu.thread_id x
      %c1 = arith.constant 1 : index
      %i = arith.addi %t, %c1 : index
      %v = arith.constant 1.0 : f32
      memref.store %v, %out[%i] : memref<?xf32>
      gpu.return
    }
  }
  func.func @main() {
    %c1 = arith.constant 1 : index
    %c32 = arith.constant 32 : index
    %out = gpu.alloc (%c32) : memref<?xf32>
    gpu.launch_func @k::@off_by_one blocks in (%c1, %c1, %c1)
        threads in (%c32, %c1, %c1) args(%out : memref<?xf32>)
    return
  }
}
