//===- GroupedConvKernel.cpp - Grouped and depthwise convolutions ---------===//
//
// A grouped convolution's GEMM per group is tiny (depthwise: one output
// channel over kh*kw taps), so it runs on CUDA cores: one thread per output
// element y[image, o, oh, ow] walks the C/groups * kh * kw taps of its
// group, reads the input pixel (zero in the padding) and decodes the
// weight W[o, k] from the code words, like the GEMV does.
//
//===----------------------------------------------------------------------===//
#include "Kernels.h"

namespace mlir {
namespace qsl {
namespace gpu_kernels {

std::string buildGroupedConvKernelText(llvm::StringRef name,
                                       const KernelShape &s) {
  const ConvGeometry &g = *s.conv;
  std::map<std::string, std::string> v = decodeVars(name, s);
  auto set = [&](const char *key, int64_t value) {
    v[key] = std::to_string(value);
  };
  set("TOTAL", g.images * s.n * g.outH * g.outW);
  set("P", g.outH * g.outW);
  set("OW", g.outW);
  set("OPG", s.n / g.groups);
  set("CG", g.channels / g.groups);
  set("TAPS", g.kh * g.kw);
  set("KW", g.kw);
  set("SH", g.strideH);
  set("SW", g.strideW);
  set("DH", g.dilH);
  set("DW", g.dilW);
  set("PT", g.padTop);
  set("PL", g.padLeft);
  set("H", g.height);
  set("WD", g.width);
  set("THREADS", kGroupedConvThreads);

  std::string loadX = s.inType.isF16() ? R"(
              %xh = memref.load %x[%img, %c, %hh, %ww] : @@XT@@
              %xl = arith.extf %xh : f16 to f32
              scf.yield %xl : f32)"
                                       : R"(
              %xl = memref.load %x[%img, %c, %hh, %ww] : @@XT@@
              scf.yield %xl : f32)";
  std::string store = s.outType.isF16() ? R"(
        %rh = arith.truncf %sum : f32 to f16
        memref.store %rh, %y[%img, %n, %p] : @@YT@@)"
                                        : R"(
        memref.store %sum, %y[%img, %n, %p] : @@YT@@)";
  std::string text = plainKernelHeader(s) + R"(      %c0 = arith.constant 0 : index
      %c1 = arith.constant 1 : index
      %cK = arith.constant @@K@@ : index
      %cTOTAL = arith.constant @@TOTAL@@ : index
      %cTHREADS = arith.constant @@THREADS@@ : index
      %cP = arith.constant @@P@@ : index
      %cOW = arith.constant @@OW@@ : index
      %cN = arith.constant @@N@@ : index
      %cOPG = arith.constant @@OPG@@ : index
      %cCG = arith.constant @@CG@@ : index
      %cTAPS = arith.constant @@TAPS@@ : index
      %cKW = arith.constant @@KW@@ : index
      %cSH = arith.constant @@SH@@ : index
      %cSW = arith.constant @@SW@@ : index
      %cDH = arith.constant @@DH@@ : index
      %cDW = arith.constant @@DW@@ : index
      %cPT = arith.constant @@PT@@ : index
      %cPL = arith.constant @@PL@@ : index
      %cH = arith.constant @@H@@ : index
      %cWD = arith.constant @@WD@@ : index
      %zero = arith.constant 0.0 : f32
)" + decodeConstants() + threadPerElementPrologue("%t") +
                     R"(      scf.if %inb {
        %p = arith.remui %t, %cP : index
        %tq = arith.divui %t, %cP : index
        %n = arith.remui %tq, %cN : index
        %img = arith.divui %tq, %cN : index
        %oh = arith.divui %p, %cOW : index
        %ow = arith.remui %p, %cOW : index
        %grp0 = arith.divui %n, %cOPG : index
        %cbase0 = arith.muli %grp0, %cCG : index
        %ohs = arith.muli %oh, %cSH : index
        %ows = arith.muli %ow, %cSW : index
        %sum = scf.for %k = %c0 to %cK step %c1 iter_args(%acc = %zero) -> (f32) {
          %cl = arith.divui %k, %cTAPS : index
          %r = arith.remui %k, %cTAPS : index
          %i = arith.divui %r, %cKW : index
          %j = arith.remui %r, %cKW : index
          %c = arith.addi %cbase0, %cl : index
          %id = arith.muli %i, %cDH : index
          %jd = arith.muli %j, %cDW : index
          %h0 = arith.addi %ohs, %id : index
          %w0 = arith.addi %ows, %jd : index
          %hh = arith.subi %h0, %cPT : index
          %ww = arith.subi %w0, %cPL : index
          %hge = arith.cmpi sge, %hh, %c0 : index
          %hlt = arith.cmpi slt, %hh, %cH : index
          %wge = arith.cmpi sge, %ww, %c0 : index
          %wlt = arith.cmpi slt, %ww, %cWD : index
          %in1 = arith.andi %hge, %hlt : i1
          %in2 = arith.andi %wge, %wlt : i1
          %inside = arith.andi %in1, %in2 : i1
          %xv = scf.if %inside -> (f32) {)" +
                     loadX + R"(
          } else {
            scf.yield %zero : f32
          }
          %wi = arith.divui %k, %cCPW : index
          %ji = arith.remui %k, %cCPW : index
          %word = memref.load %codes[%n, %wi] : memref<@@N@@x@@W@@xi32>
          %jc = arith.index_cast %ji : index to i32
          %sh = arith.muli %jc, %cBITS : i32
          %tw = arith.shrui %word, %sh : i32
          %q = arith.andi %tw, %cMASK : i32)" +
                     groupLoadText(s, "%k") + decodeText(s) + R"(
          %xw = arith.mulf %xv, %wv : f32
          %nacc = arith.addf %acc, %xw : f32
          scf.yield %nacc : f32
        })" + store + R"(
      }
)" + kernelFooter();
  return substitute(text, v);
}

} // namespace gpu_kernels
} // namespace qsl
} // namespace mlir
