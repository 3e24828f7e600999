//===- WgmmaAsm.h - The one spelling of the kernels' wgmma ------*- C++ -*-===//
//
// sm_90a's warpgroup MMA with A in registers, as the wgmma kernel
// (lib/Conversion/QSLToGPU/WgmmaKernel.cpp) writes it in an
// llvm.inline_asm (NVVM's wgmma op takes A only from shared memory) and as
// qsl-gpu-emulate recognises it: both build the text here, so the emulator
// models exactly the instruction the kernels issue.
//
//   wgmma.mma_async.sync.aligned.m64n<N>k16.f32.f16.f16
//       {d0 .. d(N/2-1)}, {a0, a1, a2, a3}, b-desc, p, 1, 1, 0;
//
// Operands: results $0 .. $(N/2 - 1) (the f32 accumulators, "=f"); inputs
// the four f16x2 registers of A ("r"), the B matrix descriptor ("l"), the
// scale-d flag ("r", nonzero: D = A B + D), then the accumulators tied to
// the results. imm-trans-b 0: B is K-major (each of its N columns is K
// contiguous f16, an activation row). The 2:4 form, wgmma.mma_async.sp
// m64nNk32, takes the metadata register after the descriptor.
//
//===----------------------------------------------------------------------===//
#ifndef QSL_CONVERSION_QSLTOGPU_WGMMAASM_H
#define QSL_CONVERSION_QSLTOGPU_WGMMAASM_H

#include <cstdint>
#include <string>

namespace mlir {
namespace qsl {

/// The inline-asm text of wgmma m64n<n>k16 (f32 += f16 x f16, A from
/// registers, B K-major from shared memory), or with `sparse` of
/// wgmma.mma_async.sp m64n<n>k32 (A 2:4 sparse: its four registers hold
/// the kept values, the metadata register follows the descriptor, sparsity
/// selector 0: threads 4g and 4g + 1 of each quad give it).
inline std::string wgmmaAsmText(int64_t n, bool sparse = false) {
  const int64_t accs = n / 2;
  const int64_t scale = accs + (sparse ? 6 : 5);
  std::string t = "{ .reg .pred p; setp.ne.b32 p, $" + std::to_string(scale) +
                  ", 0; wgmma.mma_async" + (sparse ? ".sp" : "") +
                  ".sync.aligned.m64n" + std::to_string(n) +
                  (sparse ? "k32" : "k16") + ".f32.f16.f16 {";
  for (int64_t i = 0; i < accs; ++i)
    t += (i ? ", $" : "$") + std::to_string(i);
  t += "}, {";
  for (int64_t i = 0; i < 4; ++i)
    t += (i ? ", $" : "$") + std::to_string(accs + i);
  t += "}, $" + std::to_string(accs + 4);
  if (sparse)
    t += ", $" + std::to_string(accs + 5) + ", 0";
  t += ", p, 1, 1, 0; }";
  return t;
}

/// Its constraint string: the accumulators ("=f"), A ("r" x 4), the
/// descriptor ("l"), [the metadata ("r"),] scale-d ("r"), the accumulators
/// tied to the results.
inline std::string wgmmaAsmConstraints(int64_t n, bool sparse = false) {
  const int64_t accs = n / 2;
  std::string c;
  for (int64_t i = 0; i < accs; ++i)
    c += "=f,";
  c += sparse ? "r,r,r,r,l,r,r" : "r,r,r,r,l,r";
  for (int64_t i = 0; i < accs; ++i)
    c += "," + std::to_string(i);
  return c;
}

} // namespace qsl
} // namespace mlir

#endif // QSL_CONVERSION_QSLTOGPU_WGMMAASM_H
