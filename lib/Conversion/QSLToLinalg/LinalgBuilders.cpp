//===- LinalgBuilders.cpp - Small IR-building helpers ----------------------===//
#include "LinalgBuilders.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

using namespace mlir;
using namespace mlir::qsl;
using namespace mlir::qsl::lowering;

Value lowering::indexConst(OpBuilder &b, Location loc, int64_t v) {
  return arith::ConstantIndexOp::create(b, loc, v);
}

Value lowering::zeroScalar(OpBuilder &b, Location loc, Type type) {
  return arith::ConstantOp::create(b, loc,
                                   llvm::cast<TypedAttr>(b.getZeroAttr(type)));
}

Value lowering::splatTensor(OpBuilder &b, Location loc, RankedTensorType type,
                          Attribute value) {
  return arith::ConstantOp::create(b, loc, DenseElementsAttr::get(type, value));
}

Value lowering::zeroFilledTensor(OpBuilder &b, Location loc,
                               ArrayRef<int64_t> shape, Type elementType,
                               ValueRange dynamicSizes) {
  Value empty =
      tensor::EmptyOp::create(b, loc, shape, elementType, dynamicSizes);
  Value zero = zeroScalar(b, loc, elementType);
  return linalg::FillOp::create(b, loc, zero, empty).getResult(0);
}

Value lowering::convertFloat(OpBuilder &b, Location loc, Value v, FloatType to) {
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

SmallVector<Value> lowering::buildElementwise(OpBuilder &b, Location loc,
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

Value lowering::convertFloatTensor(OpBuilder &b, Location loc, Value tensor,
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

Value lowering::flatten(OpBuilder &b, Location loc, Value tensor) {
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

Value lowering::unflatten(OpBuilder &b, Location loc, Value flat,
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

Value lowering::toMatrix(OpBuilder &b, Location loc, Value tensor) {
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

Value lowering::fromMatrix(OpBuilder &b, Location loc, Value matrix,
                         RankedTensorType type) {
  if (type.getRank() == 2)
    return matrix;
  if (type.getRank() == 1)
    return tensor::CollapseShapeOp::create(b, loc, type, matrix,
                                           matrixReassociation(1));
  return tensor::ExpandShapeOp::create(b, loc, type, matrix,
                                       matrixReassociation(type.getRank()));
}
