//===- Shape.cpp - ONNX shape and data-movement operators ------------------===//
//
// Constant, Shape, Reshape, Flatten, Transpose, Squeeze, Unsqueeze, Concat,
// Gather, Slice, Expand, ConstantOfShape, Range, Split, Tile, Size.
// Integer tensors known at import time (shape computations of exported
// models) are folded into constants, so shapes stay static.
//
//===----------------------------------------------------------------------===//
#include "../ImportContext.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

#include <numeric>

using namespace mlir;
using namespace mlir::qsl::onnx_import;

namespace {

int64_t product(ArrayRef<int64_t> s) {
  return std::accumulate(s.begin(), s.end(), int64_t(1),
                         std::multiplies<int64_t>());
}

/// Row-major strides of a shape.
SmallVector<int64_t> strides(ArrayRef<int64_t> shape) {
  SmallVector<int64_t> s(shape.size(), 1);
  for (int64_t i = int64_t(shape.size()) - 2; i >= 0; --i)
    s[i] = s[i + 1] * shape[i + 1];
  return s;
}

/// Emits a reshape and carries known contents along.
void setReshaped(NodeContext &n, ArrayRef<int64_t> shape) {
  std::optional<IntConst> c = n.maybeConstInput(0);
  if (c) {
    c->shape.assign(shape.begin(), shape.end());
    n.setConstResult(0, *c, n.inputType(0).getElementType());
    return;
  }
  n.setResult(0, reshapeStatic(n.b, n.loc, n.input(0), shape));
}

void constant(NodeContext &n) {
  if (n.node.attribute_size() != 1)
    fail("expects exactly one value attribute");
  const onnx::AttributeProto &a = n.node.attribute(0);
  ElementsAttr attr;
  Builder &b = n.b;
  if (a.name() == "value") {
    attr = n.importTensor(a.t());
  } else if (a.name() == "value_float") {
    attr = DenseElementsAttr::get(RankedTensorType::get({}, b.getF32Type()),
                                  a.f());
  } else if (a.name() == "value_floats") {
    SmallVector<float> v(a.floats().begin(), a.floats().end());
    attr = DenseElementsAttr::get(
        RankedTensorType::get({int64_t(v.size())}, b.getF32Type()),
        ArrayRef<float>(v));
  } else if (a.name() == "value_int") {
    attr = DenseElementsAttr::get(RankedTensorType::get({}, b.getI64Type()),
                                  static_cast<int64_t>(a.i()));
  } else if (a.name() == "value_ints") {
    SmallVector<int64_t> v(a.ints().begin(), a.ints().end());
    attr = DenseElementsAttr::get(
        RankedTensorType::get({int64_t(v.size())}, b.getI64Type()),
        ArrayRef<int64_t>(v));
  } else {
    fail("attribute '" + a.name() + "' is not supported");
  }
  std::optional<IntConst> ints = knownIntegers(attr);
  n.setResult(0, arith::ConstantOp::create(n.b, n.loc, llvm::cast<TypedAttr>(attr)),
              ints);
}

void shape(NodeContext &n) {
  n.expectArity(1, 1);
  ArrayRef<int64_t> s = n.inputType(0).getShape();
  int64_t rank = s.size();
  int64_t start = n.intAttr("start", 0), end = n.intAttr("end", rank);
  start = std::clamp<int64_t>(start < 0 ? start + rank : start, 0, rank);
  end = std::clamp<int64_t>(end < 0 ? end + rank : end, 0, rank);
  IntConst c;
  for (int64_t i = start; i < end; ++i)
    c.data.push_back(s[i]);
  c.shape = {int64_t(c.data.size())};
  n.setConstResult(0, c, n.b.getI64Type());
}

void reshape(NodeContext &n) {
  n.expectArity(2, 2);
  ArrayRef<int64_t> in = n.inputType(0).getShape();
  const IntConst &target = n.constInput(1, "shape");
  bool allowZero = n.intAttr("allowzero", 0);
  SmallVector<int64_t> out;
  int64_t inferred = -1, known = 1;
  for (auto [i, entry] : llvm::enumerate(target.data)) {
    int64_t d = entry;
    if (d == 0 && !allowZero) {
      if (i >= in.size())
        fail("shape entry " + llvm::Twine(i) + " is 0 (copy) but the input " +
             "has rank " + llvm::Twine(in.size()));
      d = in[i];
    }
    if (d == -1) {
      if (inferred >= 0)
        fail("shape " + shapeStr(target.data) + " has more than one -1");
      inferred = i;
      out.push_back(1);
      continue;
    }
    if (d < 0)
      fail("shape " + shapeStr(target.data) + " has a negative entry");
    out.push_back(d);
    known *= d;
  }
  int64_t total = product(in);
  if (inferred >= 0) {
    if (known == 0 || total % known != 0)
      fail("cannot reshape " + shapeStr(in) + " to " + shapeStr(target.data));
    out[inferred] = total / known;
  }
  if (product(out) != total)
    fail("cannot reshape " + shapeStr(in) + " (" + llvm::Twine(total) +
         " elements) to " + shapeStr(out));
  setReshaped(n, out);
}

void flatten(NodeContext &n) {
  n.expectArity(1, 1);
  ArrayRef<int64_t> in = n.inputType(0).getShape();
  int64_t rank = in.size();
  int64_t axis = n.intAttr("axis", 1);
  if (axis < -rank || axis > rank)
    fail("axis " + llvm::Twine(axis) + " is out of range for rank " +
         llvm::Twine(rank));
  if (axis < 0)
    axis += rank;
  setReshaped(n, {product(in.take_front(axis)), product(in.drop_front(axis))});
}

void transpose(NodeContext &n) {
  n.expectArity(1, 1);
  RankedTensorType t = n.inputType(0);
  int64_t rank = t.getRank();
  SmallVector<int64_t> perm = n.intsAttr("perm");
  if (perm.empty())
    for (int64_t i = rank - 1; i >= 0; --i)
      perm.push_back(i);
  SmallVector<int64_t> sorted(perm);
  llvm::sort(sorted);
  for (int64_t i = 0; i < rank; ++i)
    if (int64_t(sorted.size()) != rank || sorted[i] != i)
      fail("perm " + shapeStr(perm) + " is not a permutation of rank " +
           llvm::Twine(rank));
  SmallVector<int64_t> shape;
  for (int64_t p : perm)
    shape.push_back(t.getDimSize(p));
  Value init = tensor::EmptyOp::create(n.b, n.loc, shape, t.getElementType());
  n.setResult(0, linalg::TransposeOp::create(n.b, n.loc, n.input(0), init, perm)
                     ->getResult(0));
}

/// Axes from input `inputIndex` (opset 13 and later) or the `axes`
/// attribute, normalized.
SmallVector<int64_t> axesOf(NodeContext &n, size_t inputIndex, int64_t rank) {
  if (auto axes = n.axesInput(inputIndex, rank))
    return *axes;
  SmallVector<int64_t> axes;
  for (int64_t a : n.intsAttr("axes"))
    axes.push_back(n.axis(a, rank));
  return axes;
}

void squeeze(NodeContext &n) {
  n.expectArity(1, 2);
  ArrayRef<int64_t> in = n.inputType(0).getShape();
  SmallVector<int64_t> axes = axesOf(n, 1, in.size());
  SmallVector<int64_t> out;
  for (auto [i, d] : llvm::enumerate(in)) {
    bool listed = llvm::is_contained(axes, int64_t(i));
    if (listed && d != 1)
      fail("cannot squeeze axis " + llvm::Twine(i) + " of size " +
           llvm::Twine(d));
    if (!(listed || (axes.empty() && d == 1)))
      out.push_back(d);
  }
  setReshaped(n, out);
}

void unsqueeze(NodeContext &n) {
  n.expectArity(2, 2);
  ArrayRef<int64_t> in = n.inputType(0).getShape();
  const IntConst &axesC = n.constInput(1, "axes");
  int64_t outRank = in.size() + axesC.data.size();
  SmallVector<int64_t> axes;
  for (int64_t a : axesC.data)
    axes.push_back(n.axis(a, outRank));
  SmallVector<int64_t> out;
  size_t next = 0;
  for (int64_t i = 0; i < outRank; ++i)
    out.push_back(llvm::is_contained(axes, i) ? 1 : in[next++]);
  setReshaped(n, out);
}

void concat(NodeContext &n) {
  if (n.numInputs() < 1)
    fail("expects at least one input");
  RankedTensorType first = n.inputType(0);
  int64_t rank = first.getRank();
  int64_t axis = n.axis(n.intAttr("axis", 0), rank);
  SmallVector<int64_t> shape(first.getShape());
  shape[axis] = 0;
  bool allKnown = true;
  for (size_t i = 0; i < n.numInputs(); ++i) {
    RankedTensorType t = n.inputType(i);
    if (t.getRank() != rank || t.getElementType() != first.getElementType())
      fail("input #" + llvm::Twine(i) + " has a different rank or type");
    for (int64_t d = 0; d < rank; ++d)
      if (d != axis && t.getDimSize(d) != first.getDimSize(d))
        fail("input #" + llvm::Twine(i) + " of shape " +
             shapeStr(t.getShape()) + " does not match " +
             shapeStr(first.getShape()) + " off axis " + llvm::Twine(axis));
    shape[axis] += t.getDimSize(axis);
    allKnown &= n.maybeConstInput(i).has_value();
  }
  if (allKnown && rank == 1) {
    IntConst c;
    for (size_t i = 0; i < n.numInputs(); ++i)
      llvm::append_range(c.data, n.maybeConstInput(i)->data);
    c.shape = {int64_t(c.data.size())};
    n.setConstResult(0, c, first.getElementType());
    return;
  }
  Value out = tensor::EmptyOp::create(n.b, n.loc, shape, first.getElementType());
  int64_t offset = 0;
  for (size_t i = 0; i < n.numInputs(); ++i) {
    RankedTensorType t = n.inputType(i);
    SmallVector<int64_t> offsets(rank, 0), strides1(rank, 1);
    offsets[axis] = offset;
    out = tensor::InsertSliceOp::create(n.b, n.loc, n.input(i), out,
                                        ValueRange{}, ValueRange{}, ValueRange{},
                                        offsets, t.getShape(), strides1);
    offset += t.getDimSize(axis);
  }
  n.setResult(0, out);
}

void gather(NodeContext &n) {
  n.expectArity(2, 2);
  RankedTensorType data = n.inputType(0), idx = n.inputType(1);
  if (!llvm::isa<IntegerType>(idx.getElementType()))
    fail("indices must be integers");
  int64_t rank = data.getRank();
  if (rank < 1)
    fail("data must have rank >= 1");
  int64_t axis = n.axis(n.intAttr("axis", 0), rank);
  int64_t dim = data.getDimSize(axis);
  SmallVector<int64_t> shape(data.getShape().take_front(axis));
  llvm::append_range(shape, idx.getShape());
  llvm::append_range(shape, data.getShape().drop_front(axis + 1));

  if (n.maybeConstInput(1))
    for (int64_t i : n.maybeConstInput(1)->data)
      if (i < -dim || i >= dim)
        fail("index " + llvm::Twine(i) + " is out of range for axis " +
             llvm::Twine(axis) + " of size " + llvm::Twine(dim));
  if (n.maybeConstInput(0) && n.maybeConstInput(1)) {
    const IntConst &d = *n.maybeConstInput(0), &ix = *n.maybeConstInput(1);
    IntConst c;
    c.shape = shape;
    int64_t outer = product(data.getShape().take_front(axis));
    int64_t inner = product(data.getShape().drop_front(axis + 1));
    for (int64_t o = 0; o < outer; ++o)
      for (int64_t i : ix.data)
        for (int64_t in = 0; in < inner; ++in)
          c.data.push_back(d.data[(o * dim + (i < 0 ? i + dim : i)) * inner + in]);
    n.setConstResult(0, c, data.getElementType());
    return;
  }
  // out[p..., q..., r...] = data[p..., norm(indices[q...]), r...]
  int64_t qRank = idx.getRank(), outRank = shape.size();
  MLIRContext *ctx = n.b.getContext();
  SmallVector<AffineExpr> idxExprs;
  for (int64_t i = 0; i < qRank; ++i)
    idxExprs.push_back(getAffineDimExpr(axis + i, ctx));
  Value dataV = n.input(0);
  Value init = tensor::EmptyOp::create(n.b, n.loc, shape, data.getElementType());
  auto generic = linalg::GenericOp::create(
      n.b, n.loc, init.getType(), ValueRange{n.input(1)}, ValueRange{init},
      SmallVector<AffineMap>{AffineMap::get(outRank, 0, idxExprs, ctx),
                             n.b.getMultiDimIdentityMap(outRank)},
      SmallVector<utils::IteratorType>(outRank, utils::IteratorType::parallel),
      [&](OpBuilder &b, Location l, ValueRange args) {
        Value i = arith::IndexCastOp::create(b, l, b.getIndexType(), args[0]);
        Value dimV = arith::ConstantIndexOp::create(b, l, dim);
        Value zero = arith::ConstantIndexOp::create(b, l, 0);
        Value neg = arith::CmpIOp::create(b, l, arith::CmpIPredicate::slt, i, zero);
        i = arith::SelectOp::create(b, l, neg, arith::AddIOp::create(b, l, i, dimV), i);
        SmallVector<Value> at;
        for (int64_t d = 0; d < axis; ++d)
          at.push_back(linalg::IndexOp::create(b, l, d));
        at.push_back(i);
        for (int64_t d = axis + qRank; d < outRank; ++d)
          at.push_back(linalg::IndexOp::create(b, l, d));
        linalg::YieldOp::create(b, l,
                                ValueRange{tensor::ExtractOp::create(b, l, dataV, at)});
      });
  n.setResult(0, generic.getResult(0));
}

void slice(NodeContext &n) {
  n.expectArity(3, 5);
  RankedTensorType t = n.inputType(0);
  int64_t rank = t.getRank();
  const IntConst &starts = n.constInput(1, "starts");
  const IntConst &ends = n.constInput(2, "ends");
  size_t count = starts.data.size();
  if (ends.data.size() != count)
    fail("starts and ends have different lengths");
  SmallVector<int64_t> axes(count);
  std::iota(axes.begin(), axes.end(), 0);
  if (auto given = n.axesInput(3, rank))
    axes = *given;
  SmallVector<int64_t> steps(count, 1);
  if (n.hasInput(4))
    steps.assign(n.constInput(4, "steps").data.begin(),
                 n.constInput(4, "steps").data.end());
  if (axes.size() != count || steps.size() != count)
    fail("starts, ends, axes and steps must have the same length");
  SmallVector<int64_t> offsets(rank, 0), sizes(t.getShape()), stride(rank, 1);
  bool negative = false;
  for (size_t i = 0; i < count; ++i) {
    int64_t a = axes[i], dim = t.getDimSize(a), step = steps[i];
    if (step == 0)
      fail("step 0 is not allowed");
    int64_t s = starts.data[i], e = ends.data[i];
    if (s < 0)
      s += dim;
    if (e < 0)
      e += dim;
    if (step > 0) {
      s = std::clamp<int64_t>(s, 0, dim);
      e = std::clamp<int64_t>(e, 0, dim);
      sizes[a] = e > s ? (e - s + step - 1) / step : 0;
    } else {
      s = std::clamp<int64_t>(s, 0, dim - 1);
      e = std::clamp<int64_t>(e, -1, dim - 1);
      sizes[a] = s > e ? (s - e - step - 1) / -step : 0;
      negative = true;
    }
    offsets[a] = sizes[a] == 0 ? 0 : s;
    stride[a] = step;
  }
  if (n.maybeConstInput(0)) {
    const IntConst &d = *n.maybeConstInput(0);
    IntConst c;
    c.shape = sizes;
    SmallVector<int64_t> inStrides = strides(t.getShape());
    int64_t total = product(sizes);
    SmallVector<int64_t> coord(rank, 0);
    for (int64_t f = 0; f < total; ++f) {
      int64_t src = 0;
      for (int64_t k = 0; k < rank; ++k)
        src += (offsets[k] + coord[k] * stride[k]) * inStrides[k];
      c.data.push_back(d.data[src]);
      for (int64_t k = rank - 1; k >= 0 && ++coord[k] == sizes[k]; --k)
        coord[k] = 0;
    }
    n.setConstResult(0, c, t.getElementType());
    return;
  }
  if (product(sizes) == 0) {
    // An empty result: nothing to read (and no offset is in bounds).
    n.setResult(0, tensor::EmptyOp::create(n.b, n.loc, sizes, t.getElementType()));
    return;
  }
  if (negative) {
    // out[i...] = in[offset + i * step ...] with negative steps.
    Value src = n.input(0);
    n.setResult(0, buildBroadcastElementwise(
                       n.b, n.loc, {}, sizes, t.getElementType(),
                       [&](OpBuilder &b, Location l, ValueRange) -> Value {
                         SmallVector<Value> at;
                         for (int64_t d = 0; d < rank; ++d) {
                           Value i = linalg::IndexOp::create(b, l, d);
                           Value scaled = arith::MulIOp::create(
                               b, l, i, arith::ConstantIndexOp::create(b, l, stride[d]));
                           at.push_back(arith::AddIOp::create(
                               b, l, scaled,
                               arith::ConstantIndexOp::create(b, l, offsets[d])));
                         }
                         return tensor::ExtractOp::create(b, l, src, at);
                       }));
    return;
  }
  auto resultType = RankedTensorType::get(sizes, t.getElementType());
  n.setResult(0, tensor::ExtractSliceOp::create(
                     n.b, n.loc, resultType, n.input(0), ValueRange{},
                     ValueRange{}, ValueRange{}, offsets, sizes, stride));
}

void expand(NodeContext &n) {
  n.expectArity(2, 2);
  RankedTensorType t = n.inputType(0);
  const IntConst &target = n.constInput(1, "shape");
  SmallVector<int64_t> shape = broadcastShapes(t.getShape(), target.data);
  n.setResult(0, buildBroadcastElementwise(
                     n.b, n.loc, {n.input(0)}, shape, t.getElementType(),
                     [](OpBuilder &, Location, ValueRange v) { return v[0]; }));
}

void constantOfShape(NodeContext &n) {
  n.expectArity(1, 1);
  const IntConst &s = n.constInput(0, "shape");
  Attribute value = n.b.getF32FloatAttr(0.0f);
  Type elem = n.b.getF32Type();
  if (const onnx::AttributeProto *a = n.attr("value")) {
    ElementsAttr t = n.importTensor(a->t());
    if (t.getNumElements() != 1)
      fail("value must have exactly one element");
    elem = t.getElementType();
    value = *t.getValues<Attribute>().begin();
  }
  for (int64_t d : s.data)
    if (d < 0)
      fail("shape " + shapeStr(s.data) + " has a negative entry");
  auto type = RankedTensorType::get(s.data, elem);
  if (llvm::isa<IntegerType>(elem) && !elem.isInteger(1) &&
      product(s.data) <= 4096) {
    IntConst c;
    c.shape = s.data;
    c.data.assign(product(s.data),
                  llvm::cast<IntegerAttr>(value).getValue().getSExtValue());
    n.setConstResult(0, c, elem);
    return;
  }
  n.setResult(0, arith::ConstantOp::create(
                     n.b, n.loc, DenseElementsAttr::get(type, value)));
}

void range(NodeContext &n) {
  n.expectArity(3, 3);
  Type elem = n.inputType(0).getElementType();
  if (!llvm::isa<IntegerType>(elem))
    fail("only integer Range is supported");
  auto scalar = [&](size_t i, llvm::StringRef what) {
    const IntConst &c = n.constInput(i, what);
    if (c.data.size() != 1)
      fail(llvm::Twine(what) + " must be a scalar");
    return c.data[0];
  };
  int64_t start = scalar(0, "start"), limit = scalar(1, "limit"),
          delta = scalar(2, "delta");
  if (delta == 0)
    fail("delta must not be 0");
  IntConst c;
  for (int64_t v = start; delta > 0 ? v < limit : v > limit; v += delta)
    c.data.push_back(v);
  c.shape = {int64_t(c.data.size())};
  n.setConstResult(0, c, elem);
}

void split(NodeContext &n) {
  n.expectArity(1, 2);
  RankedTensorType t = n.inputType(0);
  int64_t rank = t.getRank();
  int64_t axis = n.axis(n.intAttr("axis", 0), rank);
  int64_t dim = t.getDimSize(axis);
  SmallVector<int64_t> sizes;
  if (n.hasInput(1)) {
    sizes.assign(n.constInput(1, "split").data.begin(),
                 n.constInput(1, "split").data.end());
  } else {
    int64_t parts = n.intAttr("num_outputs", n.numOutputs());
    if (parts < 1)
      fail("num_outputs must be positive");
    int64_t chunk = (dim + parts - 1) / parts;
    for (int64_t i = 0, left = dim; i < parts; ++i, left -= chunk)
      sizes.push_back(std::min(chunk, left));
  }
  if (int64_t(sizes.size()) != int64_t(n.numOutputs()))
    fail("split into " + llvm::Twine(sizes.size()) + " parts but the node has " +
         llvm::Twine(n.numOutputs()) + " outputs");
  if (product(sizes) < 0 ||
      std::accumulate(sizes.begin(), sizes.end(), int64_t(0)) != dim)
    fail("split sizes " + shapeStr(sizes) + " do not add up to " +
         llvm::Twine(dim));
  int64_t offset = 0;
  for (auto [i, size] : llvm::enumerate(sizes)) {
    SmallVector<int64_t> offsets(rank, 0), shape(t.getShape()), one(rank, 1);
    offsets[axis] = offset;
    shape[axis] = size;
    if (product(shape) == 0) {
      n.setResult(i, tensor::EmptyOp::create(n.b, n.loc, shape, t.getElementType()));
      continue;
    }
    n.setResult(i, tensor::ExtractSliceOp::create(
                       n.b, n.loc, RankedTensorType::get(shape, t.getElementType()),
                       n.input(0), ValueRange{}, ValueRange{}, ValueRange{},
                       offsets, shape, one));
    offset += size;
  }
}

void tile(NodeContext &n) {
  n.expectArity(2, 2);
  RankedTensorType t = n.inputType(0);
  const IntConst &reps = n.constInput(1, "repeats");
  if (int64_t(reps.data.size()) != t.getRank())
    fail("repeats must have one entry per dimension");
  SmallVector<int64_t> shape;
  for (auto [d, r] : llvm::zip_equal(t.getShape(), reps.data)) {
    if (r < 0)
      fail("repeats must be non-negative");
    shape.push_back(d * r);
  }
  Value src = n.input(0);
  ArrayRef<int64_t> inShape = t.getShape();
  n.setResult(0, buildBroadcastElementwise(
                     n.b, n.loc, {}, shape, t.getElementType(),
                     [&](OpBuilder &b, Location l, ValueRange) -> Value {
                       SmallVector<Value> at;
                       for (int64_t d = 0; d < int64_t(inShape.size()); ++d)
                         at.push_back(arith::RemUIOp::create(
                             b, l, linalg::IndexOp::create(b, l, d),
                             arith::ConstantIndexOp::create(b, l, inShape[d])));
                       return tensor::ExtractOp::create(b, l, src, at);
                     }));
}

void size(NodeContext &n) {
  n.expectArity(1, 1);
  IntConst c;
  c.data = {product(n.inputType(0).getShape())};
  n.setConstResult(0, c, n.b.getI64Type());
}

/// Trilu: keeps the upper (j - i >= k) or lower (j - i <= k) triangle of
/// the last two dimensions.
void trilu(NodeContext &n) {
  n.expectArity(1, 2);
  RankedTensorType t = n.inputType(0);
  if (t.getRank() < 2)
    fail("input must have rank >= 2");
  int64_t k = 0;
  if (n.hasInput(1)) {
    const IntConst &kc = n.constInput(1, "k");
    if (kc.data.size() != 1)
      fail("k must be a scalar");
    k = kc.data[0];
  }
  bool upper = n.intAttr("upper", 1);
  int64_t rank = t.getRank();
  Type elem = t.getElementType();
  n.setResult(0, buildBroadcastElementwise(
                     n.b, n.loc, {n.input(0)}, t.getShape(), elem,
                     [&](OpBuilder &b, Location l, ValueRange v) -> Value {
                       Value i = arith::IndexCastOp::create(
                           b, l, b.getI64Type(), linalg::IndexOp::create(b, l, rank - 2));
                       Value j = arith::IndexCastOp::create(
                           b, l, b.getI64Type(), linalg::IndexOp::create(b, l, rank - 1));
                       Value diff = arith::SubIOp::create(b, l, j, i);
                       Value kv = arith::ConstantOp::create(b, l, b.getI64IntegerAttr(k));
                       Value keep = arith::CmpIOp::create(
                           b, l, upper ? arith::CmpIPredicate::sge : arith::CmpIPredicate::sle,
                           diff, kv);
                       Value zero = arith::ConstantOp::create(
                           b, l, llvm::cast<TypedAttr>(b.getZeroAttr(elem)));
                       return arith::SelectOp::create(b, l, keep, v[0], zero);
                     }));
}

/// Pad with mode constant, edge or reflect (non-negative pads).
void pad(NodeContext &n) {
  n.expectArity(2, 4);
  RankedTensorType t = n.inputType(0);
  int64_t rank = t.getRank();
  const IntConst &pads = n.constInput(1, "pads");
  SmallVector<int64_t> axes(rank);
  std::iota(axes.begin(), axes.end(), 0);
  if (auto given = n.axesInput(3, rank))
    axes = *given;
  if (int64_t(pads.data.size()) != 2 * int64_t(axes.size()))
    fail("pads must have two entries per padded axis");
  SmallVector<int64_t> begin(rank, 0), end(rank, 0);
  for (auto [i, a] : llvm::enumerate(axes)) {
    begin[a] = pads.data[i];
    end[a] = pads.data[i + axes.size()];
    if (begin[a] < 0 || end[a] < 0)
      fail("negative pads are not supported");
  }
  std::string mode = n.stringAttr("mode", "constant");
  if (mode != "constant" && mode != "edge" && mode != "reflect")
    fail("mode '" + mode + "' is not supported");
  SmallVector<int64_t> shape;
  for (int64_t d = 0; d < rank; ++d) {
    shape.push_back(t.getDimSize(d) + begin[d] + end[d]);
    if (mode == "reflect" && (begin[d] >= t.getDimSize(d) || end[d] >= t.getDimSize(d)))
      fail("reflect pads must be smaller than the padded dimension");
  }
  Type elem = t.getElementType();
  Value src = n.input(0);
  Value cval = n.hasInput(2) ? n.input(2) : Value();
  if (cval && n.inputType(2).getNumElements() != 1)
    fail("constant_value must be a scalar");
  ArrayRef<int64_t> inShape = t.getShape();
  n.setResult(0, buildBroadcastElementwise(
                     n.b, n.loc, {}, shape, elem,
                     [&](OpBuilder &b, Location l, ValueRange) -> Value {
                       Value inside = arith::ConstantIntOp::create(b, l, 1, 1);
                       SmallVector<Value> at;
                       for (int64_t d = 0; d < rank; ++d) {
                         Value i = arith::IndexCastOp::create(
                             b, l, b.getI64Type(), linalg::IndexOp::create(b, l, d));
                         Value j = arith::SubIOp::create(
                             b, l, i, arith::ConstantOp::create(b, l, b.getI64IntegerAttr(begin[d])));
                         Value zero = arith::ConstantOp::create(b, l, b.getI64IntegerAttr(0));
                         Value last = arith::ConstantOp::create(
                             b, l, b.getI64IntegerAttr(inShape[d] - 1));
                         if (mode == "constant") {
                           Value ok = arith::AndIOp::create(
                               b, l,
                               arith::CmpIOp::create(b, l, arith::CmpIPredicate::sge, j, zero),
                               arith::CmpIOp::create(b, l, arith::CmpIPredicate::sle, j, last));
                           inside = arith::AndIOp::create(b, l, inside, ok);
                           j = arith::MaxSIOp::create(b, l, arith::MinSIOp::create(b, l, j, last), zero);
                         } else if (mode == "edge") {
                           j = arith::MaxSIOp::create(b, l, arith::MinSIOp::create(b, l, j, last), zero);
                         } else { // reflect: -j below, 2*last - j above
                           Value neg = arith::SubIOp::create(b, l, zero, j);
                           j = arith::SelectOp::create(
                               b, l, arith::CmpIOp::create(b, l, arith::CmpIPredicate::slt, j, zero),
                               neg, j);
                           Value twice = arith::ConstantOp::create(
                               b, l, b.getI64IntegerAttr(2 * (inShape[d] - 1)));
                           j = arith::SelectOp::create(
                               b, l, arith::CmpIOp::create(b, l, arith::CmpIPredicate::sgt, j, last),
                               arith::SubIOp::create(b, l, twice, j), j);
                         }
                         at.push_back(arith::IndexCastOp::create(b, l, b.getIndexType(), j));
                       }
                       Value v = tensor::ExtractOp::create(b, l, src, at);
                       if (mode != "constant")
                         return v;
                       Value fill =
                           cval ? Value(tensor::ExtractOp::create(
                                      b, l, cval,
                                      SmallVector<Value>(
                                          llvm::cast<RankedTensorType>(cval.getType()).getRank(),
                                          arith::ConstantIndexOp::create(b, l, 0))))
                                : Value(arith::ConstantOp::create(
                                      b, l, llvm::cast<TypedAttr>(b.getZeroAttr(elem))));
                       return arith::SelectOp::create(b, l, inside, v, fill);
                     }));
}

/// GatherElements: out[i...] = data[i... with axis -> indices[i...]].
void gatherElements(NodeContext &n) {
  n.expectArity(2, 2);
  RankedTensorType data = n.inputType(0), idx = n.inputType(1);
  if (data.getRank() != idx.getRank() || !llvm::isa<IntegerType>(idx.getElementType()))
    fail("indices must be integers of the data's rank");
  int64_t rank = data.getRank();
  int64_t axis = n.axis(n.intAttr("axis", 0), rank);
  int64_t dim = data.getDimSize(axis);
  Value src = n.input(0);
  n.setResult(0, buildBroadcastElementwise(
                     n.b, n.loc, {n.input(1)}, idx.getShape(), data.getElementType(),
                     [&](OpBuilder &b, Location l, ValueRange v) -> Value {
                       Value i = arith::IndexCastOp::create(b, l, b.getIndexType(), v[0]);
                       Value zero = arith::ConstantIndexOp::create(b, l, 0);
                       Value neg = arith::CmpIOp::create(b, l, arith::CmpIPredicate::slt, i, zero);
                       i = arith::SelectOp::create(
                           b, l, neg,
                           arith::AddIOp::create(b, l, i, arith::ConstantIndexOp::create(b, l, dim)),
                           i);
                       SmallVector<Value> at;
                       for (int64_t d = 0; d < rank; ++d)
                         at.push_back(d == axis ? i : Value(linalg::IndexOp::create(b, l, d)));
                       return tensor::ExtractOp::create(b, l, src, at);
                     }));
}

/// ScatterND: a copy of `data` in which each index tuple of `indices`
/// selects a slice that is replaced (or combined, per `reduction`) with the
/// matching slice of `updates`. Two scf.for loops over the flattened data.
void scatterND(NodeContext &n) {
  n.expectArity(3, 3);
  RankedTensorType data = n.inputType(0), idx = n.inputType(1), upd = n.inputType(2);
  if (!llvm::isa<IntegerType>(idx.getElementType()) || idx.getRank() < 1)
    fail("indices must be an integer tensor of rank >= 1");
  int64_t k = idx.getShape().back(), r = data.getRank();
  if (k > r)
    fail("index tuples of length " + llvm::Twine(k) + " exceed the data rank " +
         llvm::Twine(r));
  SmallVector<int64_t> updShape(idx.getShape().drop_back());
  llvm::append_range(updShape, data.getShape().drop_front(k));
  if (SmallVector<int64_t>(upd.getShape()) != updShape ||
      upd.getElementType() != data.getElementType())
    fail("updates must have shape " + shapeStr(updShape));
  std::string reduction = n.stringAttr("reduction", "none");
  if (reduction != "none" && reduction != "add" && reduction != "mul" &&
      reduction != "max" && reduction != "min")
    fail("reduction '" + reduction + "' is not supported");
  Type elem = data.getElementType();
  int64_t tuples = product(idx.getShape().drop_back());
  int64_t slice = product(data.getShape().drop_front(k));
  SmallVector<int64_t> dataStrides = strides(data.getShape());
  OpBuilder &b = n.b;
  Location loc = n.loc;
  Value flatData = reshapeStatic(b, loc, n.input(0), {product(data.getShape())});
  Value flatIdx = reshapeStatic(b, loc, n.input(1), {tuples, k});
  Value flatUpd = reshapeStatic(b, loc, n.input(2), {tuples, slice});
  Value c0 = arith::ConstantIndexOp::create(b, loc, 0);
  Value c1 = arith::ConstantIndexOp::create(b, loc, 1);
  auto outer = scf::ForOp::create(
      b, loc, c0, arith::ConstantIndexOp::create(b, loc, tuples), c1,
      ValueRange{flatData},
      [&](OpBuilder &ob, Location ol, Value t, ValueRange args) {
        Value base = arith::ConstantIndexOp::create(ob, ol, 0);
        for (int64_t j = 0; j < k; ++j) {
          Value i = tensor::ExtractOp::create(
              ob, ol, flatIdx, ValueRange{t, arith::ConstantIndexOp::create(ob, ol, j)});
          i = arith::IndexCastOp::create(ob, ol, ob.getIndexType(), i);
          Value dim = arith::ConstantIndexOp::create(ob, ol, data.getDimSize(j));
          Value neg = arith::CmpIOp::create(ob, ol, arith::CmpIPredicate::slt, i,
                                            arith::ConstantIndexOp::create(ob, ol, 0));
          i = arith::SelectOp::create(ob, ol, neg, arith::AddIOp::create(ob, ol, i, dim), i);
          base = arith::AddIOp::create(
              ob, ol, base,
              arith::MulIOp::create(
                  ob, ol, i, arith::ConstantIndexOp::create(ob, ol, dataStrides[j])));
        }
        auto inner = scf::ForOp::create(
            ob, ol, arith::ConstantIndexOp::create(ob, ol, 0),
            arith::ConstantIndexOp::create(ob, ol, slice),
            arith::ConstantIndexOp::create(ob, ol, 1), args,
            [&](OpBuilder &ib, Location il, Value s, ValueRange acc) {
              Value at = arith::AddIOp::create(ib, il, base, s);
              Value u = tensor::ExtractOp::create(ib, il, flatUpd, ValueRange{t, s});
              if (reduction != "none") {
                Value old = tensor::ExtractOp::create(ib, il, acc[0], at);
                bool f = llvm::isa<FloatType>(elem);
                if (reduction == "add")
                  u = f ? Value(arith::AddFOp::create(ib, il, old, u))
                        : Value(arith::AddIOp::create(ib, il, old, u));
                else if (reduction == "mul")
                  u = f ? Value(arith::MulFOp::create(ib, il, old, u))
                        : Value(arith::MulIOp::create(ib, il, old, u));
                else if (reduction == "max")
                  u = f ? Value(arith::MaximumFOp::create(ib, il, old, u))
                        : Value(arith::MaxSIOp::create(ib, il, old, u));
                else
                  u = f ? Value(arith::MinimumFOp::create(ib, il, old, u))
                        : Value(arith::MinSIOp::create(ib, il, old, u));
              }
              scf::YieldOp::create(
                  ib, il, ValueRange{tensor::InsertOp::create(ib, il, u, acc[0], at)});
            });
        scf::YieldOp::create(ob, ol, inner.getResults());
      });
  n.setResult(0, reshapeStatic(b, loc, outer.getResult(0), data.getShape()));
}

} // namespace

void mlir::qsl::onnx_import::registerShapeOps(OpTable &t) {
  t.add("", "ScatterND", 13, scatterND);
  t.add("", "Trilu", 14, trilu);
  t.add("", "Pad", 13, pad);
  t.add("", "GatherElements", 13, gatherElements);
  t.add("", "Constant", 13, constant);
  t.add("", "Shape", 13, shape);
  t.add("", "Size", 13, size);
  t.add("", "Reshape", 13, reshape);
  t.add("", "Flatten", 13, flatten);
  t.add("", "Transpose", 13, transpose);
  t.add("", "Squeeze", 13, squeeze);
  t.add("", "Unsqueeze", 13, unsqueeze);
  t.add("", "Concat", 13, concat);
  t.add("", "Gather", 13, gather);
  t.add("", "Slice", 13, slice);
  t.add("", "Expand", 13, expand);
  t.add("", "ConstantOfShape", 9, constantOfShape);
  t.add("", "Range", 11, range);
  t.add("", "Split", 13, split);
  t.add("", "Tile", 13, tile);
}
