//===- LinalgBuilders.cpp - Small IR-building helpers ----------------------===//
#include "qsl/Utils/LinalgBuilders.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/AffineMap.h"

using namespace mlir;
using namespace mlir::qsl;
using namespace mlir::qsl::builders;

Value builders::indexConst(OpBuilder &b, Location loc, int64_t v) {
  return arith::ConstantIndexOp::create(b, loc, v);
}

Value builders::zeroScalar(OpBuilder &b, Location loc, Type type) {
  return arith::ConstantOp::create(b, loc,
                                   llvm::cast<TypedAttr>(b.getZeroAttr(type)));
}

Value builders::splatTensor(OpBuilder &b, Location loc, RankedTensorType type,
                          Attribute value) {
  return arith::ConstantOp::create(b, loc, DenseElementsAttr::get(type, value));
}

Value builders::zeroFilledTensor(OpBuilder &b, Location loc,
                               ArrayRef<int64_t> shape, Type elementType,
                               ValueRange dynamicSizes) {
  Value empty =
      tensor::EmptyOp::create(b, loc, shape, elementType, dynamicSizes);
  Value zero = zeroScalar(b, loc, elementType);
  return linalg::FillOp::create(b, loc, zero, empty).getResult(0);
}

Value builders::convertFloat(OpBuilder &b, Location loc, Value v, FloatType to) {
  auto from = llvm::cast<FloatType>(v.getType());
  if (from == to)
    return v;
  if (from.getWidth() < to.getWidth())
    return arith::ExtFOp::create(b, loc, to, v);
  if (from.getWidth() > to.getWidth())
    return arith::TruncFOp::create(b, loc, to, v);
  Value wide = arith::ExtFOp::create(b, loc, b.getF32Type(), v);
  return arith::TruncFOp::create(b, loc, to, wide);
}

SmallVector<Value> builders::buildElementwise(OpBuilder &b, Location loc,
                                            Value shapeSource,
                                            ValueRange inputs,
                                            TypeRange resultElementTypes,
                                            ElementwiseBody body) {
  auto shapeType = llvm::cast<RankedTensorType>(shapeSource.getType());
  int64_t rank = shapeType.getRank();
  SmallVector<OpFoldResult> sizes =
      tensor::getMixedSizes(b, loc, shapeSource);
  SmallVector<Value> inits;
  SmallVector<Type> resultTypes;
  for (Type t : resultElementTypes) {
    inits.push_back(tensor::EmptyOp::create(b, loc, sizes, t));
    resultTypes.push_back(inits.back().getType());
  }
  SmallVector<AffineMap> maps(inputs.size() + inits.size(),
                              b.getMultiDimIdentityMap(rank));
  SmallVector<utils::IteratorType> iterators(rank,
                                             utils::IteratorType::parallel);
  auto generic = linalg::GenericOp::create(
      b, loc, resultTypes, inputs, inits, maps, iterators,
      [&](OpBuilder &nb, Location nl, ValueRange args) {
        SmallVector<Value> indices;
        for (int64_t d = 0; d < rank; ++d)
          indices.push_back(linalg::IndexOp::create(nb, nl, d));
        SmallVector<Value> results =
            body(nb, nl, args.take_front(inputs.size()), indices);
        linalg::YieldOp::create(nb, nl, results);
      });
  return SmallVector<Value>(generic.getResults());
}

Value builders::convertFloatTensor(OpBuilder &b, Location loc, Value tensor,
                                 FloatType to) {
  auto type = llvm::cast<RankedTensorType>(tensor.getType());
  if (type.getElementType() == to)
    return tensor;
  return buildElementwise(b, loc, tensor, tensor, to,
                          [&](OpBuilder &nb, Location nl, ValueRange in,
                              ValueRange) -> SmallVector<Value> {
                            return {convertFloat(nb, nl, in[0], to)};
                          })[0];
}

Value builders::flatten(OpBuilder &b, Location loc, Value tensor) {
  auto type = llvm::cast<RankedTensorType>(tensor.getType());
  if (type.getRank() == 1)
    return tensor;
  ReassociationIndices all;
  for (int64_t d = 0; d < type.getRank(); ++d)
    all.push_back(d);
  auto flatType =
      RankedTensorType::get({type.getNumElements()}, type.getElementType());
  return tensor::CollapseShapeOp::create(b, loc, flatType, tensor,
                                         ArrayRef<ReassociationIndices>{all});
}

Value builders::unflatten(OpBuilder &b, Location loc, Value flat,
                        RankedTensorType type) {
  if (type.getRank() == 1)
    return flat;
  ReassociationIndices all;
  for (int64_t d = 0; d < type.getRank(); ++d)
    all.push_back(d);
  return tensor::ExpandShapeOp::create(b, loc, type, flat,
                                       ArrayRef<ReassociationIndices>{all});
}

// A vector [n] is the matrix [n, 1]; higher ranks fold dims 1.. into one.
static SmallVector<ReassociationIndices> matrixReassociation(int64_t rank) {
  if (rank == 1)
    return {{0, 1}};
  ReassociationIndices rest;
  for (int64_t d = 1; d < rank; ++d)
    rest.push_back(d);
  return {{0}, rest};
}

Value builders::toMatrix(OpBuilder &b, Location loc, Value tensor) {
  auto type = llvm::cast<RankedTensorType>(tensor.getType());
  if (type.getRank() == 2)
    return tensor;
  auto matrixType = RankedTensorType::get(
      {type.getDimSize(0), type.getNumElements() / type.getDimSize(0)},
      type.getElementType());
  if (type.getRank() == 1)
    return tensor::ExpandShapeOp::create(b, loc, matrixType, tensor,
                                         matrixReassociation(1));
  return tensor::CollapseShapeOp::create(b, loc, matrixType, tensor,
                                         matrixReassociation(type.getRank()));
}

Value builders::fromMatrix(OpBuilder &b, Location loc, Value matrix,
                         RankedTensorType type) {
  if (type.getRank() == 2)
    return matrix;
  if (type.getRank() == 1)
    return tensor::CollapseShapeOp::create(b, loc, type, matrix,
                                           matrixReassociation(1));
  return tensor::ExpandShapeOp::create(b, loc, type, matrix,
                                       matrixReassociation(type.getRank()));
}

/// Contractions accumulate in f32 (f64 for f64 results).
FloatType builders::accumulatorType(Builder &b, Type resultElementType) {
  if (llvm::cast<FloatType>(resultElementType).getWidth() > 32)
    return b.getF64Type();
  return b.getF32Type();
}

/// `init += x * w` over `maps`/`iterators` in init's (accumulator) element
/// type, then rounded once to `resultElementType`.
Value builders::buildContraction(OpBuilder &b, Location loc, Value x, Value w,
                              Value init, ArrayRef<AffineMap> maps,
                              ArrayRef<utils::IteratorType> iterators,
                              Type resultElementType) {
  auto acc = llvm::cast<FloatType>(getElementTypeOrSelf(init.getType()));
  auto generic = linalg::GenericOp::create(
      b, loc, init.getType(), ValueRange{x, w}, ValueRange{init}, maps,
      iterators, [&](OpBuilder &nb, Location nl, ValueRange args) {
        Value prod =
            arith::MulFOp::create(nb, nl, convertFloat(nb, nl, args[0], acc),
                                  convertFloat(nb, nl, args[1], acc));
        linalg::YieldOp::create(
            nb, nl, ValueRange{arith::AddFOp::create(nb, nl, args[2], prod)});
      });
  return convertFloatTensor(b, loc, generic.getResult(0),
                            llvm::cast<FloatType>(resultElementType));
}


Value builders::buildConv2D(OpBuilder &b, Location loc, Value x, Value w,
                            ArrayRef<int64_t> strides,
                            ArrayRef<int64_t> dilations, ArrayRef<int64_t> pads,
                            int64_t groups, RankedTensorType resultType) {
  MLIRContext *ctx = b.getContext();
  Value input = x;
  auto elementType = llvm::cast<FloatType>(resultType.getElementType());
  FloatType acc = accumulatorType(b, elementType);
  auto xType = llvm::cast<RankedTensorType>(x.getType());
  auto wType = llvm::cast<RankedTensorType>(w.getType());

  if (llvm::any_of(pads, [](int64_t p) { return p != 0; })) {
    SmallVector<int64_t> low{0, 0, pads[0], pads[1]};
    SmallVector<int64_t> high{0, 0, pads[2], pads[3]};
    SmallVector<int64_t> paddedShape(xType.getShape());
    for (int64_t i = 0; i < 2; ++i)
      if (!xType.isDynamicDim(2 + i))
        paddedShape[2 + i] += pads[i] + pads[i + 2];
    auto paddedType =
        RankedTensorType::get(paddedShape, xType.getElementType());
    x = tensor::PadOp::create(b, loc, paddedType, x,
                              getAsIndexOpFoldResult(ctx, low),
                              getAsIndexOpFoldResult(ctx, high),
                              zeroScalar(b, loc, xType.getElementType()));
    xType = paddedType;
  }

  // [N, C, H, W] -> [N, G, C/G, H, W] and [O, I, kh, kw] -> [G, O/G, I, kh, kw].
  SmallVector<OpFoldResult> xSizes = tensor::getMixedSizes(b, loc, x);
  int64_t c = xType.getDimSize(1), o = wType.getDimSize(0);
  SmallVector<OpFoldResult> xGrouped{xSizes[0], b.getIndexAttr(groups),
                                     b.getIndexAttr(c / groups),
                                     xSizes[2], xSizes[3]};
  SmallVector<int64_t> xGroupedShape{xType.getDimSize(0), groups, c / groups,
                                     xType.getDimSize(2), xType.getDimSize(3)};
  SmallVector<ReassociationIndices> split{{0}, {1, 2}, {3}, {4}};
  x = tensor::ExpandShapeOp::create(
      b, loc, RankedTensorType::get(xGroupedShape, xType.getElementType()), x,
      split, xGrouped);
  SmallVector<int64_t> wGroupedShape{groups, o / groups, wType.getDimSize(1),
                                     wType.getDimSize(2), wType.getDimSize(3)};
  w = tensor::ExpandShapeOp::create(
      b, loc, RankedTensorType::get(wGroupedShape, wType.getElementType()), w,
      SmallVector<ReassociationIndices>{{0, 1}, {2}, {3}, {4}});

  SmallVector<int64_t> outShape{resultType.getDimSize(0), groups, o / groups,
                                resultType.getDimSize(2),
                                resultType.getDimSize(3)};
  SmallVector<Value> dynamicSizes;
  for (int64_t d : {0, 2, 3})
    if (resultType.isDynamicDim(d))
      dynamicSizes.push_back(tensor::DimOp::create(b, loc, input, d));
  Value init = zeroFilledTensor(b, loc, outShape, acc, dynamicSizes);

  auto d = [&](unsigned i) { return getAffineDimExpr(i, ctx); };
  // d0=n d1=g d2=o d3=i d4=kh d5=kw d6=oh d7=ow: the output pixels are the
  // innermost loops, so each weight is applied along a contiguous row.
  SmallVector<AffineMap> maps{
      AffineMap::get(8, 0,
                     {d(0), d(1), d(3), d(6) * strides[0] + d(4) * dilations[0],
                      d(7) * strides[1] + d(5) * dilations[1]},
                     ctx),
      AffineMap::get(8, 0, {d(1), d(2), d(3), d(4), d(5)}, ctx),
      AffineMap::get(8, 0, {d(0), d(1), d(2), d(6), d(7)}, ctx)};
  SmallVector<utils::IteratorType> iterators(8, utils::IteratorType::parallel);
  for (int i : {3, 4, 5})
    iterators[i] = utils::IteratorType::reduction;
  // Contract in the accumulator type, merge the groups, round once.
  Value out = buildContraction(b, loc, x, w, init, maps, iterators, acc);
  out = tensor::CollapseShapeOp::create(
      b, loc, RankedTensorType::get(resultType.getShape(), acc), out,
      SmallVector<ReassociationIndices>{{0}, {1, 2}, {3}, {4}});
  return convertFloatTensor(b, loc, out, elementType);
}
