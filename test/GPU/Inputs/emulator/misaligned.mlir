// Two 16-byte vector loads. The first reads byte 0 of a 24-byte buffer,
// which the emulator starts only 8-byte aligned but cudaMalloc 256-byte
// aligned: it must pass. The second reads byte 8 of a 128-byte buffer, which
// would fault on a GPU.
module attributes {gpu.container_module} {
  gpu.module @k {
    gpu.func @aligned_in_buffer(%in: memref<?xf32>, %out: memref<?xf32>) kernel {
      %c0 = arith.constant 0 : index
      %v = vector.load %in[%c0] {alignment = 16 : i64} : memref<?xf32>, vector<4xf32>
      vector.store %v, %out[%c0] : memref<?xf32>, vector<4xf32>
      gpu.return
    }
    gpu.func @misaligned(%in: memref<?xf32>, %out: memref<?xf32>) kernel {
      %c0 = arith.constant 0 : index
      %c2 = arith.constant 2 : index
      %v = vector.load %in[%c2] {alignment = 16 : i64} : memref<?xf32>, vector<4xf32>
      vector.store %v, %out[%c0] : memref<?xf32>, vector<4xf32>
      gpu.return
    }
  }
  func.func @main() {
    %c1 = arith.constant 1 : index
    %c6 = arith.constant 6 : index
    %c32 = arith.constant 32 : index
    %small = gpu.alloc (%c6) : memref<?xf32>
    %big = gpu.alloc (%c32) : memref<?xf32>
    %out = gpu.alloc (%c32) : memref<?xf32>
    gpu.launch_func @k::@aligned_in_buffer blocks in (%c1, %c1, %c1)
        threads in (%c1, %c1, %c1) args(%small : memref<?xf32>, %out : memref<?xf32>)
    gpu.launch_func @k::@misaligned blocks in (%c1, %c1, %c1)
        threads in (%c1, %c1, %c1) args(%big : memref<?xf32>, %out : memref<?xf32>)
    return
  }
}
