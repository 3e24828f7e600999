//===- HostTensor.h - Tensors in host memory and .npy/.npz files -*- C++ -*-===//
//
// MLIR-free: the runtime side of QSL reads and writes numpy files so that
// models run on inputs made anywhere.
//
//===----------------------------------------------------------------------===//
#ifndef QSL_RUNTIME_HOSTTENSOR_H
#define QSL_RUNTIME_HOSTTENSOR_H

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace qsl {
namespace runtime {

/// Element types the runtime moves between files and compiled code.
enum class DType { F16, F32, F64, I1, I8, I16, I32, I64 };

/// Bytes of one element.
size_t byteWidth(DType type);
/// The numpy descriptor ('<f4', '|b1', ...).
const char *numpyDescr(DType type);
/// The MLIR element type spelling ('f32', 'i1', ...).
const char *mlirName(DType type);
/// Parses an MLIR element type spelling; false when unsupported.
bool parseMlirName(const std::string &name, DType &type);

struct HostTensor {
  DType dtype = DType::F32;
  std::vector<int64_t> shape;
  /// Row-major element bytes; kept 64-byte aligned for compiled code.
  std::vector<uint8_t> bytes;

  int64_t numElements() const;
  std::string describe() const; // "f32[2x3]"
};

/// The memref descriptor compiled code reads for a dense row-major buffer:
/// {allocated, aligned, offset = 0, sizes..., strides...} as int64 words.
std::vector<int64_t> memrefDescriptor(const void *data,
                                      const std::vector<int64_t> &shape);

/// Reads one array from .npy bytes; on failure returns false and sets
/// `error`.
bool parseNpy(const uint8_t *data, size_t size, HostTensor &out,
              std::string &error);
std::vector<uint8_t> serializeNpy(const HostTensor &tensor);

/// Reads every array of an .npz archive (stored or deflated members, ZIP64
/// as numpy writes it), keyed by name without the ".npy" suffix.
bool readNpz(const std::string &path, std::map<std::string, HostTensor> &out,
             std::string &error);
/// Writes an uncompressed .npz archive.
bool writeNpz(const std::string &path,
              const std::map<std::string, HostTensor> &tensors,
              std::string &error);

} // namespace runtime
} // namespace qsl

#endif // QSL_RUNTIME_HOSTTENSOR_H
