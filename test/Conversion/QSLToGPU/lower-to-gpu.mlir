// With device-weights=false the tables are host globals copied to the
// device at every call (checked under CHECK); by default they live in the
// kernel module (RESIDENT).
// RUN: qsl-opt %S/Inputs/kernels.mlir --qsl-lower-to-gpu="device-weights=false" | FileCheck %s
// RUN: qsl-opt %S/Inputs/kernels.mlir --qsl-lower-to-gpu | FileCheck %s --check-prefix=RESIDENT
// No dense weight anywhere: neither [N, K] nor [K, N] float buffers (for
// N = 1, [N, K] = 1x6 is also the shape of the input, so only 6x1 is checked).
// RUN: qsl-opt %S/Inputs/kernels.mlir --qsl-lower-to-gpu \
// RUN:   | FileCheck %s --check-prefix=NODENSE --implicit-check-not=3x12xf --implicit-check-not=12x3xf --implicit-check-not=6x1xf --implicit-check-not=16x2xf --implicit-check-not=2x16xf --implicit-check-not=qsl.
// RUN: qsl-opt %S/Inputs/kernels.mlir --qsl-lower-to-gpu="warps=2" | FileCheck %s --check-prefix=WARPS2

// CHECK: module attributes {gpu.container_module}
// Codes repacked into [N, W] words: K = 12 int4 codes take 2 words per row.
// 0x76543210 = 1985229328 is row 0's first word.
// CHECK-DAG: memref.global "private" constant @qsl_gpu_codes_0 : memref<3x2xi32> = dense<{{\[}}[1985229328, 64152],
// CHECK-DAG: memref.global "private" constant @qsl_gpu_scales_0 : memref<3x3xf32>
// CHECK-DAG: memref.global "private" constant @qsl_gpu_zeros_0 : memref<3x3xf32>
// int8 [K = 6, N = 1] transposed to one row of 2 words; symmetric: no zeros.
// 0xFC037F80 = -66879616: codes -128, 127, 3, -4 as bytes 80 7F 03 FC.
// CHECK-DAG: memref.global "private" constant @qsl_gpu_codes_1 : memref<1x2xi32> = dense<{{\[}}[-66879616, 1280]]>
// CHECK-DAG: memref.global "private" constant @qsl_gpu_codes_2 : memref<2x2xi32>

// CHECK-LABEL: func.func @int4_asym
// CHECK: %[[X:.*]] = bufferization.to_buffer %{{.*}} read_only : tensor<2x12xf32> to memref<2x12xf32>
// Device buffers are freed by their gpu.dealloc, not by buffer deallocation.
// CHECK: %[[DX:.*]] = gpu.alloc () {bufferization.manual_deallocation} : memref<2x12xf32>
// CHECK: gpu.memcpy %[[DX]]
// CHECK: memref.get_global @qsl_gpu_codes_0
// CHECK: gpu.launch_func @qsl_kernels::@qsl_gemv_0 blocks in (%c1{{.*}}, %{{.*}}, %{{.*}}) threads in (%c128, %{{.*}}, %{{.*}}) args(%[[DX]] : memref<2x12xf32>, %{{.*}} : memref<3x2xi32>, %{{.*}} : memref<3x3xf32>, %{{.*}} : memref<3x3xf32>, %{{.*}} : memref<2x3xf32>)
// CHECK: gpu.memcpy
// CHECK: gpu.dealloc %{{.*}} {bufferization.manual_deallocation}
// CHECK: bufferization.to_tensor %{{.*}} restrict writable : memref<2x3xf32> to tensor<2x3xf32>

// CHECK-LABEL: func.func @int8_sym_n1
// CHECK: memref.collapse_shape %{{.*}} {{\[}}[0, 1], [2]] : memref<1x1x6xf32> into memref<1x6xf32>
// CHECK: gpu.launch_func @qsl_kernels::@qsl_gemv_1
// CHECK: memref.expand_shape %{{.*}} {{\[}}[0, 1], [2]] output_shape [1, 1, 1] : memref<1x1xf32> into memref<1x1x1xf32>

// CHECK-LABEL: func.func @int4_sym_f16_batch8
// CHECK: gpu.launch_func @qsl_kernels::@qsl_gemv_2 {{.*}} args({{.*}} : memref<8x16xf16>, {{.*}} : memref<2x2xi32>, {{.*}} : memref<2x2xf32>, {{.*}} : memref<8x2xf16>)

// The kernels: one warp per output column; 32-bit code words loaded once,
// unpacked by shift and mask, dequantized in registers, warp-reduced.
// CHECK-LABEL: gpu.module @qsl_kernels
// CHECK: gpu.func @qsl_gemv_0(%{{.*}}: memref<2x12xf32>, %[[CODES:.*]]: memref<3x2xi32>, %[[S:.*]]: memref<3x3xf32>, %[[Z:.*]]: memref<3x3xf32>, %{{.*}}: memref<2x3xf32>) kernel
// CHECK: memref.alloca() : memref<2xf32, #gpu.address_space<private>>
// CHECK: memref.load %[[CODES]]
// The round's fourth word, picked from the 4 loaded ones by 3 selects.
// CHECK: arith.select
// CHECK: arith.select
// CHECK: %[[WORD:.*]] = arith.select
// K = 12 leaves a partial word: guarded.
// CHECK: arith.cmpi ult, %{{.*}}, %c12
// CHECK: arith.shrui %[[WORD]]
// CHECK: arith.andi %{{.*}}, %c15_i32
// Group of 4 < 8 codes per word: scale and zero looked up per element.
// CHECK: memref.load %[[S]]
// CHECK: memref.load %[[Z]]
// CHECK: arith.uitofp
// CHECK: arith.subf
// CHECK: arith.mulf
// CHECK-COUNT-5: gpu.shuffle xor
// CHECK: gpu.func @qsl_gemv_1
// Symmetric: sign extension, no zero point.
// CHECK: arith.shli %{{.*}}, %c24_i32
// CHECK: arith.shrsi %{{.*}}, %c24_i32
// CHECK: arith.sitofp
// CHECK: gpu.func @qsl_gemv_2
// Group of 8 = codes per word: the scale is loaded once per word, and K = 16
// fills whole words, so no K guard. Each lane first loads its 4 code words
// (32 apart; guarded, as 2 words per row are less than a round), then
// decodes them one by one, each picked by a select chain.
// CHECK: memref.load %{{.*}} : memref<2x2xi32>
// CHECK: memref.load %{{.*}} : memref<2x2xi32>
// CHECK: memref.load %{{.*}} : memref<2x2xi32>
// CHECK: memref.load %{{.*}} : memref<2x2xi32>
// CHECK: arith.select
// CHECK: arith.select
// CHECK: arith.select
// CHECK-NEXT: arith.muli
// CHECK-NEXT: arith.divui
// CHECK-NEXT: memref.load %{{.*}} : memref<2x2xf32>
// CHECK-NOT: arith.cmpi ult, %{{.*}}, %c16
// CHECK: arith.extf %{{.*}} : f16 to f32
// CHECK: arith.truncf %{{.*}} : f32 to f16

// NODENSE: gpu.module @qsl_kernels

// N = 3 over 2 warps per block: 2 blocks of 64 threads.
// WARPS2: gpu.launch_func @qsl_kernels::@qsl_gemv_0 blocks in (%c2, {{.*}} threads in (%c64,

// Resident tables: globals of the kernel module in the global address
// space (uploaded with the module), read by the kernel; the launch passes
// only the activations and the output, and no table is copied per call.
// RESIDENT-LABEL: func.func @int4_asym
// RESIDENT-NOT: memref.get_global
// RESIDENT: gpu.launch_func @qsl_kernels::@qsl_gemv_0 {{.*}} args(%{{.*}} : memref<2x12xf32>, %{{.*}} : memref<2x3xf32>)
// RESIDENT-LABEL: gpu.module @qsl_kernels
// RESIDENT-DAG: memref.global @qsl_gpu_codes_0 : memref<3x2xi32, #gpu.address_space<global>> = dense<{{\[}}[1985229328, 64152],
// RESIDENT-DAG: memref.global @qsl_gpu_scales_0 : memref<3x3xf32, #gpu.address_space<global>>
// RESIDENT-DAG: memref.global @qsl_gpu_zeros_0 : memref<3x3xf32, #gpu.address_space<global>>
// RESIDENT: gpu.func @qsl_gemv_0(%{{.*}}: memref<2x12xf32>, %{{.*}}: memref<2x3xf32>) kernel
// RESIDENT: %[[G:.*]] = memref.get_global @qsl_gpu_codes_0 : memref<3x2xi32, #gpu.address_space<global>>
// RESIDENT: %[[CODES:.*]] = memref.memory_space_cast %[[G]] : memref<3x2xi32, #gpu.address_space<global>> to memref<3x2xi32>
// RESIDENT: memref.load %[[CODES]]
