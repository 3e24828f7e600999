//===- ElementsAccess.h - Read and write constant tensor contents -*- C++ -*-=//
//
// Element values of a constant, whether it is an inline DenseElementsAttr or
// a dense_resource blob (one element per ceil(width / 8) bytes, the layout
// the importer and the compression passes write), and the reverse.
//
//===----------------------------------------------------------------------===//
#ifndef QSL_UTILS_ELEMENTSACCESS_H
#define QSL_UTILS_ELEMENTSACCESS_H

#include "mlir/IR/BuiltinAttributeInterfaces.h"
#include "mlir/IR/BuiltinTypes.h"

#include <optional>
#include <vector>

namespace mlir {
namespace qsl {

/// Float elements in row-major order; std::nullopt when `attr` is not a
/// float constant or its resource data is unavailable.
std::optional<std::vector<double>> readFloatElements(ElementsAttr attr);
/// Integer elements, sign-extended (i1: 0/1; `isUnsigned`: zero-extended).
std::optional<std::vector<int64_t>> readIntElements(ElementsAttr attr,
                                                    bool isUnsigned = false);

/// A constant of `type` holding `values` (rounded to nearest even into the
/// float type), resp. the low bits of `values` for an integer type. Tensors
/// of more than 16 elements become a dense_resource blob called `name`
/// (made unique by the context); i1 tensors are always inline.
ElementsAttr makeFloatElements(RankedTensorType type, ArrayRef<double> values,
                               StringRef name);
ElementsAttr makeIntElements(RankedTensorType type, ArrayRef<int64_t> values,
                             StringRef name);

/// The resource key of a dense_resource constant, else "".
StringRef resourceName(ElementsAttr attr);

} // namespace qsl
} // namespace mlir

#endif // QSL_UTILS_ELEMENTSACCESS_H
