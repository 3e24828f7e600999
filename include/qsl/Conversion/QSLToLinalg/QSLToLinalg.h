//===- QSLToLinalg.h - Reference lowering of qsl ops ------------*- C++ -*-===//
#ifndef QSL_CONVERSION_QSLTOLINALG_QSLTOLINALG_H
#define QSL_CONVERSION_QSLTOLINALG_QSLTOLINALG_H

#include "qsl/Dialect/QSL/IR/EncodedTensorType.h"

#include "mlir/IR/Builders.h"
#include "mlir/Transforms/DialectConversion.h"

namespace mlir {
namespace qsl {

/// Builds, with linalg/tensor/scf/arith ops, the dense tensor of type
/// `type.getDenseType()` that the encoded tensor stands for, from its side
/// tensors `storage` given in `type.getStorage()` order.
Value buildDenseApproximation(OpBuilder &b, Location loc,
                              const EncodedTensorType &type,
                              ValueRange storage);

/// Converts a tensor with a #qsl.encoding into its side tensors (1:N); every
/// other type is left alone.
class QslStorageTypeConverter : public TypeConverter {
public:
  QslStorageTypeConverter();
};

/// Patterns lowering qsl.constant, qsl.unpack, qsl.matmul and qsl.conv2d.
void populateQslToLinalgConversionPatterns(const TypeConverter &converter,
                                           RewritePatternSet &patterns);

} // namespace qsl
} // namespace mlir

#endif // QSL_CONVERSION_QSLTOLINALG_QSLTOLINALG_H
