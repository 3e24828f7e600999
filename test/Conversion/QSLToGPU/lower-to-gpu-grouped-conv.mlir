// RUN: %python %S/../../GPU/Inputs/gen_conv.py --ptx-only > %t.mlir
// RUN: qsl-opt %t.mlir --qsl-lower-to-gpu | FileCheck %s
// Grouped and depthwise convolutions run on CUDA cores (qsl_gconv): a
// thread per output element sums its group's taps, reading the pixel
// (zero in the padding) and decoding the weight from the code words. The
// kernels come from the GPU execution test's generator.

// Depthwise 3x3 on a 1x6x9x9 image, stride 2: 150 outputs in 2 blocks of
// 128 threads; bias and ReLU fused.
// CHECK-LABEL: func.func @depthwise_s2(
// CHECK: %[[B:.*]] = arith.constant 2 : index
// CHECK: gpu.launch_func @qsl_kernels::@qsl_gconv_4 blocks in (%[[B]], %{{[^)]*}}) threads in (%{{[^,]*}}, {{.*}} args(%{{.*}} : memref<1x6x9x9xf32>, %{{.*}} : memref<1x6x25xf32>)
// CHECK-NOT: linalg.generic
// CHECK: return
// CHECK-LABEL: func.func @grouped2(
// CHECK: gpu.launch_func @qsl_kernels::@qsl_gconv_5 {{.*}} args(%{{.*}} : memref<2x8x7x7xf32>, %{{.*}} : memref<2x6x24xf32>)

// CHECK-LABEL: gpu.func @qsl_gconv_4(
// CHECK: %[[T:.*]] = arith.addi
// CHECK: arith.cmpi ult, %[[T]], %{{.*}} : index
// Output channel n's group starts at channel (n / outputs per group) *
// channels per group; the taps loop covers 1 * 3 * 3.
// CHECK: scf.for %{{.*}} = %{{.*}} to %{{.*}} step %{{.*}} iter_args(%{{.*}} = %{{.*}}) -> (f32)
// CHECK: arith.cmpi sge
// CHECK: arith.cmpi slt
// CHECK: memref.load %{{.*}}[%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}] : memref<1x6x9x9xf32>
// CHECK: memref.load %{{.*}} : memref<6x3xi32>
// CHECK: arith.sitofp
// CHECK: scf.yield
// Bias by channel, then ReLU, then the store at [image, channel, pixel].
// CHECK: memref.load %{{.*}} : memref<6xf32>
// CHECK: arith.maximumf
// CHECK: memref.store %{{.*}}, %{{.*}}[%{{.*}}, %{{.*}}, %{{.*}}] : memref<1x6x25xf32>
