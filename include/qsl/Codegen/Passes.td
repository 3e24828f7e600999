//===- Passes.td - QSL code generation passes ---------------*- tablegen -*-===//
#ifndef QSL_CODEGEN_PASSES_TD
#define QSL_CODEGEN_PASSES_TD

include "mlir/Pass/PassBase.td"

def QslCpuTileAndVectorizePass
    : Pass<"qsl-cpu-tile-and-vectorize", "func::FuncOp"> {
  let summary = "Tile contractions into register blocks and vectorize them";
  let description = [{
    Rewrites every static-shaped `linalg` contraction on tensors (any
    `linalg.generic` whose body is a multiply-accumulate and whose indexing
    maps are projected permutations: MatMul, Gemm, batched attention
    products, Einsum) into a register-blocked loop nest for the CPU:

    * the two innermost parallel dimensions of the result (M and N) are
      tiled by `tile-m` x `tile-n`, every other parallel dimension by 1 and
      the reduction dimensions by 1, with loops ordered batch, N, M, K so
      that one K x `tile-n` panel of the right operand stays in cache while
      all M tiles stream past it;
    * loops whose trip count does not divide evenly are peeled, so the main
      loop has full static tiles (the remainder stays scalar);
    * the full tiles are vectorized to `vector.contract` (lowered later to
      outer products, i.e. broadcast + FMA), and the accumulator is hoisted
      out of the K loop so that it lives in registers.

    Everything else is left as is. The result is still on tensors; the
    CPU pipeline bufferizes it and lowers vectors to LLVM.

    ```
    $ qsl-opt --qsl-cpu-tile-and-vectorize="tile-m=4 tile-n=16" model.mlir
    ```
  }];
  let options = [
    Option<"tileM", "tile-m", "int64_t", "4",
           "Rows of the result computed per register block">,
    Option<"tileN", "tile-n", "int64_t", "16",
           "Columns of the result per register block (a multiple of the "
           "vector width)">,
  ];
  let dependentDialects = ["scf::SCFDialect", "vector::VectorDialect",
                           "tensor::TensorDialect", "affine::AffineDialect",
                           "arith::ArithDialect"];
}

def QslCpuFuseElementwisePass
    : Pass<"qsl-cpu-fuse-elementwise", "func::FuncOp"> {
  let summary = "Fuse chains of elementwise linalg ops, sparing contractions";
  let description = [{
    Fuses producer/consumer pairs of all-parallel `linalg.generic` ops on
    tensors (upstream's elementwise fusion patterns) so that a chain such as
    bias add -> GELU -> residual add becomes one loop nest with no
    intermediate buffer. Two kinds of fusion are refused because they would
    cost more than they save:

    * into a contraction (what `qsl-cpu-tile-and-vectorize` register-blocks):
      its body must stay a plain multiply-accumulate;
    * of a producer that has other users, which would recompute it.

    Reshapes are propagated through elementwise ops only where that enables
    a fusion; constants are not folded into the fused bodies.
  }];
  let dependentDialects = ["linalg::LinalgDialect", "tensor::TensorDialect",
                           "arith::ArithDialect"];
}

#endif // QSL_CODEGEN_PASSES_TD
