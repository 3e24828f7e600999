// mma.sp with all-zero metadata: both kept values of every run at position
// 0, a pattern the PTX ISA leaves undefined.
module attributes {gpu.container_module} {
  gpu.module @k {
    gpu.func @zero_meta(%out: memref<32x4xf32>) kernel {
      %a = arith.constant dense<1.0> : vector<4x2xf16>
      %b = arith.constant dense<1.0> : vector<4x2xf16>
      %c = arith.constant dense<0.0> : vector<2x2xf32>
      %m = arith.constant dense<0> : vector<2xi16>
      %d = nvgpu.mma.sp.sync (%a, %b, %c) metadata (%m) {mmaShape = [16, 8, 32]}
          : (vector<4x2xf16>, vector<4x2xf16>, vector<2x2xf32>) -> vector<2x2xf32>
      %lane = gpu.thread_id x
      %c0 = arith.constant 0 : index
      %d0 = vector.extract %d[0] : vector<2xf32> from vector<2x2xf32>
      vector.store %d0, %out[%lane, %c0] : memref<32x4xf32>, vector<2xf32>
      gpu.return
    }
  }
  func.func @main() {
    %c1 = arith.constant 1 : index
    %c32 = arith.constant 32 : index
    %out = gpu.alloc () : memref<32x4xf32>
    gpu.launch_func @k::@zero_meta blocks in (%c1, %c1, %c1)
        threads in (%c32, %c1, %c1) args(%out : memref<32x4xf32>)
    return
  }
}
