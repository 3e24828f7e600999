//===- QSLToLinalg.cpp - Reference lowering of qsl ops ---------------------===//
#include "qsl/Conversion/QSLToLinalg/QSLToLinalg.h"
#include "qsl/Conversion/Passes.h"
#include "qsl/Dialect/QSL/IR/QslOps.h"

#include "qsl/Utils/LinalgBuilders.h"

#include "mlir/Dialect/Func/Transforms/FuncConversions.h"
#include "mlir/Dialect/SCF/Transforms/Patterns.h"
#include "mlir/IR/BuiltinDialect.h"
#include "mlir/IR/DialectResourceBlobManager.h"

namespace mlir {
namespace qsl {
#define GEN_PASS_DEF_QSLLOWERTOLINALGPASS
#include "qsl/Conversion/Passes.h.inc"
} // namespace qsl
} // namespace mlir

using namespace mlir;
using namespace mlir::qsl;
using namespace mlir::qsl::builders;

QslStorageTypeConverter::QslStorageTypeConverter() {
  addConversion([](Type type) { return type; });
  addConversion([](RankedTensorType type, SmallVectorImpl<Type> &results)
                    -> std::optional<LogicalResult> {
    std::optional<EncodedTensorType> view = EncodedTensorType::get(type);
    if (!view)
      return std::nullopt;
    for (const StorageTensor &s : view->getStorage())
      results.push_back(s.type);
    return success();
  });
}

namespace {

/// The dense weight behind an encoded operand (one or more side tensors).
static Value denseOperand(OpBuilder &b, Location loc, Type originalType,
                          ValueRange converted) {
  std::optional<EncodedTensorType> view = EncodedTensorType::get(originalType);
  assert(view && "operand is not an encoded tensor");
  return buildDenseApproximation(b, loc, *view, converted);
}

/// Materializes one side tensor. Sub-byte integer blobs (codes, masks, N:M
/// metadata) hold one byte per element; LLVM cannot emit a resource of
/// such elements, so they are read as i8 and truncated.
static Value materializeStorage(OpBuilder &b, Location loc,
                                ElementsAttr attr) {
  auto resource = llvm::dyn_cast<DenseResourceElementsAttr>(attr);
  auto intType = llvm::dyn_cast<IntegerType>(attr.getElementType());
  if (!resource || !intType || intType.getWidth() >= 8)
    return arith::ConstantOp::create(b, loc, llvm::cast<TypedAttr>(attr));
  auto type = llvm::cast<RankedTensorType>(attr.getType());
  Value bytes = arith::ConstantOp::create(
      b, loc,
      DenseResourceElementsAttr::get(type.clone(b.getI8Type()),
                                     resource.getRawHandle()));
  return buildElementwise(b, loc, bytes, bytes, intType,
                          [&](OpBuilder &nb, Location nl, ValueRange in,
                              ValueRange) -> SmallVector<Value> {
                            return {arith::TruncIOp::create(nb, nl, intType,
                                                            in[0])};
                          })[0];
}

struct ConstantLowering : OpConversionPattern<ConstantOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(ConstantOp op, OneToNOpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    EncodedTensorType view = *EncodedTensorType::get(op.getType());
    SmallVector<Value> parts;
    for (const StorageTensor &s : view.getStorage())
      parts.push_back(
          materializeStorage(rewriter, op.getLoc(), op.getStorage(s.role)));
    rewriter.replaceOpWithMultiple(op, {parts});
    return success();
  }
};

struct UnpackLowering : OpConversionPattern<UnpackOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(UnpackOp op, OneToNOpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    rewriter.replaceOp(op, denseOperand(rewriter, op.getLoc(),
                                        op.getSource().getType(),
                                        adaptor.getSource()));
    return success();
  }
};

/// result[b..., m, n] = sum_k x[b..., m, k] * W[k, n], accumulated in f32.
struct MatmulLowering : OpConversionPattern<MatmulOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(MatmulOp op, OneToNOpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value x = adaptor.getInput().front();
    Value w = denseOperand(rewriter, loc, op.getWeight().getType(),
                           adaptor.getWeight());
    RankedTensorType resultType = op.getType();
    FloatType acc = accumulatorType(rewriter, resultType.getElementType());

    int64_t rank = resultType.getRank();
    SmallVector<Value> dynamicSizes;
    for (int64_t d = 0; d + 1 < rank; ++d)
      if (resultType.isDynamicDim(d))
        dynamicSizes.push_back(tensor::DimOp::create(rewriter, loc, x, d));
    Value init =
        zeroFilledTensor(rewriter, loc, resultType.getShape(), acc, dynamicSizes);

    // Loops batch..., m, k, n (n innermost: contiguous rows of W and the
    // result), or batch..., m, n, k for a transposed W (both along K).
    MLIRContext *ctx = rewriter.getContext();
    int64_t numLoops = rank + 1;
    bool transposed = op.getTransposeW();
    int64_t kPos = transposed ? rank : rank - 1, nPos = transposed ? rank - 1 : rank;
    AffineExpr n = getAffineDimExpr(nPos, ctx), k = getAffineDimExpr(kPos, ctx);
    SmallVector<AffineExpr> xExprs, outExprs;
    for (int64_t d = 0; d + 1 < rank; ++d) {
      xExprs.push_back(getAffineDimExpr(d, ctx));
      outExprs.push_back(getAffineDimExpr(d, ctx));
    }
    outExprs.push_back(n);
    xExprs.push_back(k);
    SmallVector<AffineExpr> wExprs =
        op.getTransposeW() ? SmallVector<AffineExpr>{n, k}
                           : SmallVector<AffineExpr>{k, n};
    SmallVector<AffineMap> maps{AffineMap::get(numLoops, 0, xExprs, ctx),
                                AffineMap::get(numLoops, 0, wExprs, ctx),
                                AffineMap::get(numLoops, 0, outExprs, ctx)};
    SmallVector<utils::IteratorType> iterators(numLoops,
                                               utils::IteratorType::parallel);
    iterators[kPos] = utils::IteratorType::reduction;
    rewriter.replaceOp(op, buildContraction(rewriter, loc, x, w, init, maps,
                                            iterators,
                                            resultType.getElementType()));
    return success();
  }
};

/// Grouped NCHW x OIHW convolution: pad, split channels into groups, one
/// linalg.generic over (n, g, o, oh, ow, i, kh, kw), merge groups.
struct Conv2DLowering : OpConversionPattern<Conv2DOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(Conv2DOp op, OneToNOpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value x = adaptor.getInput().front();
    Value w = denseOperand(rewriter, loc, op.getFilter().getType(),
                           adaptor.getFilter());
    rewriter.replaceOp(op, buildConv2D(rewriter, loc, x, w, op.getStrides(),
                                       op.getDilations(), op.getPads(),
                                       op.getGroups(), op.getType()));
    return success();
  }
};

struct QslLowerToLinalgPass
    : public qsl::impl::QslLowerToLinalgPassBase<QslLowerToLinalgPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    WalkResult packs = module.walk([](PackOp pack) {
      pack.emitError()
          << "qsl.pack of a run-time value has no reference lowering; "
             "compression passes must replace it with qsl.constant first";
      return WalkResult::interrupt();
    });
    if (packs.wasInterrupted())
      return signalPassFailure();

    MLIRContext *ctx = &getContext();
    QslStorageTypeConverter converter;
    RewritePatternSet patterns(ctx);
    populateQslToLinalgConversionPatterns(converter, patterns);

    ConversionTarget target(*ctx);
    target.addIllegalDialect<QslDialect>();
    target.markUnknownOpDynamicallyLegal(
        [&](Operation *op) { return converter.isLegal(op); });
    target.addDynamicallyLegalOp<func::FuncOp>([&](func::FuncOp op) {
      return converter.isSignatureLegal(op.getFunctionType()) &&
             converter.isLegal(&op.getBody());
    });
    // Encoded values may also flow through scf.if/for/while.
    scf::populateSCFStructuralTypeConversionTarget(converter, target);
    if (failed(applyPartialConversion(module, target, std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace

void mlir::qsl::populateQslToLinalgConversionPatterns(
    const TypeConverter &converter, RewritePatternSet &patterns) {
  patterns.add<ConstantLowering, UnpackLowering, MatmulLowering,
               Conv2DLowering>(converter, patterns.getContext());
  populateFunctionOpInterfaceTypeConversionPattern<func::FuncOp>(patterns,
                                                                 converter);
  populateCallOpTypeConversionPattern(patterns, converter);
  populateReturnOpTypeConversionPattern(patterns, converter);
  scf::populateSCFStructuralTypeConversions(converter, patterns);
}
