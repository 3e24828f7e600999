//===- GemvKernel.cpp - The bandwidth-bound dequantizing GEMV ---------===//
//
// Batch 1-8: one warp per output column; each lane loads whole 32-bit code
// words, unpacks and dequantizes them in registers, multiplies with every
// batch row, and the warp reduces with gpu.shuffle xor.
//
//===----------------------------------------------------------------------===//
#include "Kernels.h"

#include "qsl/Compress/GpuLayout.h"

#include <algorithm>

namespace mlir {
namespace qsl {
namespace gpu_kernels {

std::string substitute(std::string text,
                       const std::map<std::string, std::string> &vars) {
  // Values may hold placeholders themselves (XT, YT): repeat until none is
  // left that `vars` knows.
  for (bool changed = true; changed;) {
    changed = false;
    for (const auto &[name, value] : vars) {
      std::string token = "@@" + name + "@@";
      for (size_t pos = text.find(token); pos != std::string::npos;
           pos = text.find(token, pos + value.size())) {
        text.replace(pos, token.size(), value);
        changed = true;
      }
    }
  }
  return text;
}

std::string typeName(Type t) { return t.isF16() ? "f16" : "f32"; }

std::map<std::string, std::string> shapeVars(llvm::StringRef name,
                                             const KernelShape &s) {
  return {{"NAME", name.str()},
          {"M", std::to_string(s.m)},
          {"N", std::to_string(s.n)},
          {"K", std::to_string(s.k)},
          {"W", std::to_string(::qsl::compress::gpuWordsPerRow(s.k, s.bits))},
          {"G", std::to_string(s.groups)},
          {"WARPS", std::to_string(s.warps)},
          {"THREADS", std::to_string(32 * s.warps)},
          {"TI", typeName(s.inType)},
          {"TO", typeName(s.outType)},
          {"XT", s.conv ? "memref<" + std::to_string(s.conv->images) + "x" +
                              std::to_string(s.conv->channels) + "x" +
                              std::to_string(s.conv->height) + "x" +
                              std::to_string(s.conv->width) + "x" +
                              typeName(s.inType) + ">"
                        : "memref<@@M@@x@@K@@x@@TI@@>"},
          {"YT", s.conv ? "memref<" + std::to_string(s.conv->images) +
                              "x@@N@@x" +
                              std::to_string(s.conv->outH * s.conv->outW) +
                              "x" + typeName(s.outType) + ">"
                        : "memref<@@M@@x@@N@@x@@TO@@>"}};
}

std::string plainKernelHeader(const KernelShape &s) {
  if (s.halfValues)
    return R"(
module {
  gpu.module @qsl_kernels {
    gpu.func @@@NAME@@(%x: @@XT@@, %vals: memref<@@N@@x@@K@@xf16>, %y: @@YT@@)
        kernel attributes {known_block_size = array<i32: @@THREADS@@, 1, 1>} {
)";
  std::string tables =
      s.codebook ? "%cb: memref<@@N@@x" + std::to_string(s.groups * s.codebook) +
                       "xf32>"
      : s.symmetric
          ? "%scales: memref<@@N@@x@@G@@xf32>"
          : "%scales: memref<@@N@@x@@G@@xf32>, %zeros: memref<@@N@@x@@G@@xf32>";
  return R"(
module {
  gpu.module @qsl_kernels {
    gpu.func @@@NAME@@(%x: @@XT@@, %codes: memref<@@N@@x@@W@@xi32>,
        )" + tables + R"(, %y: @@YT@@)
        kernel attributes {known_block_size = array<i32: @@THREADS@@, 1, 1>} {
)";
}

std::string threadPerElementPrologue(const std::string &out) {
  return "      %tid = gpu.thread_id x\n"
         "      %bid = gpu.block_id x\n"
         "      %first = arith.muli %bid, %cTHREADS : index\n"
         "      " + out + " = arith.addi %first, %tid : index\n"
         "      %inb = arith.cmpi ult, " + out + ", %cTOTAL : index\n";
}

std::string kernelFooter() {
  return "      gpu.return\n    }\n  }\n}\n";
}

std::string loadAsF32(const std::string &dst, const std::string &memref,
                      const std::string &idx, const std::string &shape,
                      bool f16, const std::string &indent) {
  if (!f16)
    return indent + dst + " = memref.load " + memref + "[" + idx +
           "] : memref<" + shape + "xf32>\n";
  return indent + dst + "h = memref.load " + memref + "[" + idx +
         "] : memref<" + shape + "xf16>\n" + indent + dst + " = arith.extf " +
         dst + "h : f16 to f32\n";
}

std::string storeFromF32(const std::string &v, const std::string &memref,
                         const std::string &idx, const std::string &type,
                         bool f16, const std::string &indent) {
  std::string stored = f16 ? v + "h" : v;
  std::string round =
      f16 ? indent + stored + " = arith.truncf " + v + " : f32 to f16\n" : "";
  return round + indent + "memref.store " + stored + ", " + memref + "[" +
         idx + "] : " + type + "\n";
}

std::string warpReduceAndStore(const std::string &y, const std::string &col,
                               const std::string &yType, bool f16,
                               const std::string &guard,
                               const std::string &addend) {
  std::string sum = "%r5", add;
  if (!addend.empty()) {
    add = "          %radd = memref.load " + addend + "[%rm, " + col +
          "] : memref<@@M@@x@@N@@xf32>\n"
          "          %rsum = arith.addf %r5, %radd : f32\n";
    sum = "%rsum";
  }
  std::string store = add + storeFromF32(sum, y, "%rm, " + col,
                                         "memref<" + yType + ">", f16,
                                         "          ");
  std::string write = guard.empty()
                          ? "      %rwrite = arith.andi %rlane0, %rlane0 : i1\n"
                          : "      %rwrite = arith.andi %rlane0, " + guard +
                                " : i1\n";
  return "      %ro16 = arith.constant 16 : i32\n"
         "      %ro8 = arith.constant 8 : i32\n"
         "      %ro4 = arith.constant 4 : i32\n"
         "      %ro2 = arith.constant 2 : i32\n"
         "      %ro1 = arith.constant 1 : i32\n"
         "      %rwidth = arith.constant 32 : i32\n"
         "      %rc0 = arith.constant 0 : index\n"
         "      %rc1 = arith.constant 1 : index\n"
         "      %rcM = arith.constant @@M@@ : index\n"
         "      %rlane0 = arith.cmpi eq, %lane, %rc0 : index\n" +
         write +
         "      scf.for %rm = %rc0 to %rcM step %rc1 {\n"
         "        %r0 = memref.load %acc[%rm] : memref<@@M@@xf32, "
         "#gpu.address_space<private>>\n"
         "        %rs1, %rv1 = gpu.shuffle xor %r0, %ro16, %rwidth : f32\n"
         "        %r1 = arith.addf %r0, %rs1 : f32\n"
         "        %rs2, %rv2 = gpu.shuffle xor %r1, %ro8, %rwidth : f32\n"
         "        %r2 = arith.addf %r1, %rs2 : f32\n"
         "        %rs3, %rv3 = gpu.shuffle xor %r2, %ro4, %rwidth : f32\n"
         "        %r3 = arith.addf %r2, %rs3 : f32\n"
         "        %rs4, %rv4 = gpu.shuffle xor %r3, %ro2, %rwidth : f32\n"
         "        %r4 = arith.addf %r3, %rs4 : f32\n"
         "        %rs5, %rv5 = gpu.shuffle xor %r4, %ro1, %rwidth : f32\n"
         "        %r5 = arith.addf %r4, %rs5 : f32\n"
         "        scf.if %rwrite {\n" +
         store +
         "        }\n"
         "      }\n";
}

std::string warpPerOutputPrologue(const std::string &out) {
  return "      %zero = arith.constant 0.0 : f32\n"
         "      %tid = gpu.thread_id x\n"
         "      %bid = gpu.block_id x\n"
         "      %lane = arith.remui %tid, %c32 : index\n"
         "      %warp = arith.divui %tid, %c32 : index\n"
         "      %first = arith.muli %bid, %cWARPS : index\n"
         "      " + out + " = arith.addi %first, %warp : index\n"
         "      %acc = memref.alloca() : memref<@@M@@xf32, "
         "#gpu.address_space<private>>\n"
         "      scf.for %m = %c0 to %cM step %c1 {\n"
         "        memref.store %zero, %acc[%m] : memref<@@M@@xf32, "
         "#gpu.address_space<private>>\n"
         "      }\n";
}

std::map<std::string, std::string> decodeVars(llvm::StringRef name,
                                              const KernelShape &s) {
  std::map<std::string, std::string> v = shapeVars(name, s);
  v["GL"] = std::to_string(s.groupLen);
  v["CPW"] = std::to_string(32 / s.bits);
  v["BITS"] = std::to_string(s.bits);
  v["SHL"] = std::to_string(32 - s.bits);
  v["MASK"] = std::to_string((1u << s.bits) - 1u);
  v["E"] = std::to_string(std::max<int64_t>(s.codebook, 1));
  v["GE"] = std::to_string(s.groups * s.codebook);
  return v;
}

std::string decodeConstants() {
  return R"(      %cCPW = arith.constant @@CPW@@ : index
      %cGL = arith.constant @@GL@@ : index
      %cE = arith.constant @@E@@ : index
      %cBITS = arith.constant @@BITS@@ : i32
      %cSHL = arith.constant @@SHL@@ : i32
      %cMASK = arith.constant @@MASK@@ : i32
)";
}

std::string groupLoadText(const KernelShape &s, const std::string &k) {
  std::string text =
      s.codebook ? R"(
          %g = arith.divui )" + k + R"(, %cGL : index
          %cbase = arith.muli %g, %cE : index)"
                 : R"(
          %g = arith.divui )" + k + R"(, %cGL : index
          %s = memref.load %scales[%n, %g] : memref<@@N@@x@@G@@xf32>)";
  if (!s.symmetric && !s.codebook)
    text += R"(
          %z = memref.load %zeros[%n, %g] : memref<@@N@@x@@G@@xf32>)";
  return text;
}

std::string decodeText(const KernelShape &s) {
  return s.codebook ? R"(
              %qi = arith.index_cast %q : i32 to index
              %ci = arith.addi %cbase, %qi : index
              %wv = memref.load %cb[%n, %ci] : memref<@@N@@x@@GE@@xf32>)"
         : s.symmetric ? R"(
              %qs = arith.shli %q, %cSHL : i32
              %qx = arith.shrsi %qs, %cSHL : i32
              %qf = arith.sitofp %qx : i32 to f32
              %wv = arith.mulf %qf, %s : f32)"
                       : R"(
              %qf = arith.uitofp %q : i32 to f32
              %d = arith.subf %qf, %z : f32
              %wv = arith.mulf %d, %s : f32)";
}

std::string wordRounds(int64_t words, const std::string &body) {
  const int64_t u = kGemvWordsInFlight;
  bool guard = words % (32 * u) != 0;
  std::string open = guard ? R"(
            %win = arith.cmpi ult, %w, %cW : index
            scf.if %win {)"
                           : "";
  std::string close = guard ? R"(
            })"
                            : "";
  // The round's loads as SSA values %wl<i> (zero past W when guarded), so
  // that they stay in registers, then the word of iteration %u picked by a
  // select chain.
  std::string loads, pick;
  for (int64_t i = 0; i < u; ++i) {
    std::string n = std::to_string(i);
    loads += "\n          %wo" + n + " = arith.constant " +
             std::to_string(32 * i) + " : index\n          %wa" + n +
             " = arith.addi %w0, %wo" + n + " : index";
    if (guard)
      loads += "\n          %wi" + n + " = arith.cmpi ult, %wa" + n +
               ", %cW : index\n          %wl" + n + " = scf.if %wi" + n +
               " -> (i32) {\n            %wv" + n +
               " = memref.load %codes[%n, %wa" + n +
               "] : memref<@@N@@x@@W@@xi32>\n            scf.yield %wv" +
               n + " : i32\n          } else {\n            %wz" + n +
               " = arith.constant 0 : i32\n            scf.yield %wz" + n +
               " : i32\n          }";
    else
      loads += "\n          %wl" + n + " = memref.load %codes[%n, %wa" + n +
               "] : memref<@@N@@x@@W@@xi32>";
    if (i == 0)
      continue;
    std::string prev = i == 1 ? "%wl0" : "%ws" + std::to_string(i - 1);
    std::string cur = i + 1 == u ? "%word" : "%ws" + n;
    pick += "\n            %wc" + n + " = arith.constant " + n +
            " : index\n            %we" + n + " = arith.cmpi eq, %u, %wc" +
            n + " : index\n            " + cur + " = arith.select %we" + n +
            ", %wl" + n + ", " + prev + " : i32";
  }
  return R"(
        %cU = arith.constant )" +
         std::to_string(u) + R"( : index
        %cSTRIDE = arith.constant )" +
         std::to_string(32 * u) + R"( : index
        scf.for %w0 = %lane to %cW step %cSTRIDE {)" +
         loads + R"(
          scf.for %u = %c0 to %cU step %c1 {
            %wu = arith.muli %u, %c32 : index
            %w = arith.addi %w0, %wu : index)" +
         open + pick + body + close + R"(
          }
        })";
}

/// The MLIR text of the kernel `name` (a gpu.module holding one gpu.func).
std::string buildGemvKernelText(llvm::StringRef name, const KernelShape &s) {
  int64_t perWord = 32 / s.bits;
  std::map<std::string, std::string> v = decodeVars(name, s);

  // Scale (and zero) of the group: once per word when a word never straddles
  // two groups, else per element.
  bool perWordGroup = s.groupLen % perWord == 0;
  std::string wordGroup = perWordGroup ? groupLoadText(s, "%k0") : "";
  std::string elemGroup = perWordGroup ? "" : groupLoadText(s, "%k");
  std::string decode = decodeText(s);
  std::string loadX = s.inType.isF16() ? R"(
                %xh = memref.load %x[%m, %k] : memref<@@M@@x@@K@@xf16>
                %xv = arith.extf %xh : f16 to f32)"
                                       : R"(
                %xv = memref.load %x[%m, %k] : memref<@@M@@x@@K@@xf32>)";

  // The element loop of one word, guarded only when K leaves a partial word.
  std::string element = R"(
              %ji = arith.index_cast %j : index to i32
              %sh = arith.muli %ji, %cBITS : i32
              %t = arith.shrui %word, %sh : i32
              %q = arith.andi %t, %cMASK : i32)" +
                        elemGroup + decode + R"(
              scf.for %m = %c0 to %cM step %c1 {)" +
                        loadX + R"(
                %a = memref.load %acc[%m] : memref<@@M@@xf32, #gpu.address_space<private>>
                %xw = arith.mulf %xv, %wv : f32
                %p = arith.addf %a, %xw : f32
                memref.store %p, %acc[%m] : memref<@@M@@xf32, #gpu.address_space<private>>
              })";
  if (s.k % perWord != 0)
    element = R"(
            %kin = arith.cmpi ult, %k, %cK : index
            scf.if %kin {)" +
              element + R"(
            })";

  std::string text = plainKernelHeader(s) + R"(      %c0 = arith.constant 0 : index
      %c1 = arith.constant 1 : index
      %c32 = arith.constant 32 : index
      %cM = arith.constant @@M@@ : index
      %cN = arith.constant @@N@@ : index
      %cK = arith.constant @@K@@ : index
      %cW = arith.constant @@W@@ : index
      %cWARPS = arith.constant @@WARPS@@ : index
)" + decodeConstants() + warpPerOutputPrologue("%n") + R"(      %inb = arith.cmpi ult, %n, %cN : index
      scf.if %inb {)" +
                     wordRounds(::qsl::compress::gpuWordsPerRow(s.k, s.bits),
                                R"(
            %k0 = arith.muli %w, %cCPW : index)" +
                                    wordGroup + R"(
            scf.for %j = %c0 to %cCPW step %c1 {
              %k = arith.addi %k0, %j : index)" +
                                    element + R"(
            })") +
                     R"(
      }
)" + warpReduceAndStore("%y", "%n", "@@M@@x@@N@@x@@TO@@",
                          s.outType.isF16(), "%inb") +
                     kernelFooter();
  return substitute(text, v);
}

} // namespace gpu_kernels
} // namespace qsl
} // namespace mlir
