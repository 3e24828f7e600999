//===- HostTensor.cpp - Tensors in host memory and .npy/.npz files ---------===//
#include "qsl/Runtime/HostTensor.h"

#include <zlib.h>

#include <cstring>
#include <fstream>
#include <sstream>

using namespace qsl::runtime;

size_t qsl::runtime::byteWidth(DType t) {
  switch (t) {
  case DType::I1:
  case DType::I8:
    return 1;
  case DType::F16:
  case DType::I16:
    return 2;
  case DType::F32:
  case DType::I32:
    return 4;
  case DType::F64:
  case DType::I64:
    return 8;
  }
  return 0;
}

const char *qsl::runtime::numpyDescr(DType t) {
  switch (t) {
  case DType::F16: return "<f2";
  case DType::F32: return "<f4";
  case DType::F64: return "<f8";
  case DType::I1: return "|b1";
  case DType::I8: return "|i1";
  case DType::I16: return "<i2";
  case DType::I32: return "<i4";
  case DType::I64: return "<i8";
  }
  return "";
}

const char *qsl::runtime::mlirName(DType t) {
  switch (t) {
  case DType::F16: return "f16";
  case DType::F32: return "f32";
  case DType::F64: return "f64";
  case DType::I1: return "i1";
  case DType::I8: return "i8";
  case DType::I16: return "i16";
  case DType::I32: return "i32";
  case DType::I64: return "i64";
  }
  return "";
}

bool qsl::runtime::parseMlirName(const std::string &name, DType &type) {
  for (DType t : {DType::F16, DType::F32, DType::F64, DType::I1, DType::I8,
                  DType::I16, DType::I32, DType::I64})
    if (name == mlirName(t)) {
      type = t;
      return true;
    }
  return false;
}

std::vector<int64_t> qsl::runtime::memrefDescriptor(const void *data,
                                      const std::vector<int64_t> &shape) {
  int64_t rank = shape.size();
  std::vector<int64_t> d(3 + 2 * rank, 0);
  std::memcpy(&d[0], &data, sizeof(void *));
  std::memcpy(&d[1], &data, sizeof(void *));
  int64_t stride = 1;
  for (int64_t i = rank - 1; i >= 0; --i) {
    d[3 + i] = shape[i];
    d[3 + rank + i] = stride;
    stride *= shape[i];
  }
  return d;
}

int64_t HostTensor::numElements() const {
  int64_t n = 1;
  for (int64_t d : shape)
    n *= d;
  return n;
}

std::string HostTensor::describe() const {
  std::string s = mlirName(dtype);
  s += "[";
  for (size_t i = 0; i < shape.size(); ++i)
    s += (i ? "x" : "") + std::to_string(shape[i]);
  return s + "]";
}

//===----------------------------------------------------------------------===//
// .npy
//===----------------------------------------------------------------------===//

static bool descrToDType(const std::string &d, DType &t) {
  // Unsigned and little-endian forms map to the signless types.
  static const std::pair<const char *, DType> table[] = {
      {"<f2", DType::F16}, {"<f4", DType::F32}, {"<f8", DType::F64},
      {"|b1", DType::I1},  {"|i1", DType::I8},  {"|u1", DType::I8},
      {"<i2", DType::I16}, {"<u2", DType::I16}, {"<i4", DType::I32},
      {"<u4", DType::I32}, {"<i8", DType::I64}, {"<u8", DType::I64}};
  for (const auto &[name, type] : table)
    if (d == name) {
      t = type;
      return true;
    }
  return false;
}

bool qsl::runtime::parseNpy(const uint8_t *data, size_t size, HostTensor &out,
                            std::string &error) {
  if (size < 10 || std::memcmp(data, "\x93NUMPY", 6) != 0) {
    error = "not a .npy array";
    return false;
  }
  int major = data[6];
  size_t headerLen, offset;
  if (major == 1) {
    headerLen = data[8] | (data[9] << 8);
    offset = 10;
  } else {
    if (size < 12) {
      error = "truncated .npy header";
      return false;
    }
    headerLen = data[8] | (data[9] << 8) | (data[10] << 16) |
                (size_t(data[11]) << 24);
    offset = 12;
  }
  if (offset + headerLen > size) {
    error = "truncated .npy header";
    return false;
  }
  std::string header(reinterpret_cast<const char *>(data + offset), headerLen);
  auto field = [&](const std::string &key) -> std::string {
    size_t k = header.find("'" + key + "'");
    if (k == std::string::npos)
      return "";
    size_t colon = header.find(':', k);
    return colon == std::string::npos ? "" : header.substr(colon + 1);
  };
  std::string descr = field("descr");
  size_t q1 = descr.find('\''), q2 = descr.find('\'', q1 + 1);
  if (q1 == std::string::npos || q2 == std::string::npos ||
      !descrToDType(descr.substr(q1 + 1, q2 - q1 - 1), out.dtype)) {
    error = "unsupported .npy dtype in header " + header;
    return false;
  }
  if (field("fortran_order").find("True") < field("fortran_order").find(',')) {
    error = "Fortran-ordered arrays are not supported";
    return false;
  }
  std::string shape = field("shape");
  size_t open = shape.find('('), close = shape.find(')');
  out.shape.clear();
  std::stringstream dims(shape.substr(open + 1, close - open - 1));
  std::string dim;
  while (std::getline(dims, dim, ','))
    if (dim.find_first_not_of(" ") != std::string::npos)
      out.shape.push_back(std::stoll(dim));
  size_t bytes = size_t(out.numElements()) * byteWidth(out.dtype);
  if (offset + headerLen + bytes > size) {
    error = "array data is truncated";
    return false;
  }
  out.bytes.assign(data + offset + headerLen, data + offset + headerLen + bytes);
  return true;
}

std::vector<uint8_t> qsl::runtime::serializeNpy(const HostTensor &t) {
  std::string header = "{'descr': '" + std::string(numpyDescr(t.dtype)) +
                       "', 'fortran_order': False, 'shape': (";
  for (int64_t d : t.shape)
    header += std::to_string(d) + ",";
  header += "), }";
  size_t total = 10 + header.size() + 1;
  header.append((64 - total % 64) % 64, ' ');
  header += '\n';
  std::vector<uint8_t> out = {0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0,
                              uint8_t(header.size() & 0xff),
                              uint8_t(header.size() >> 8)};
  out.insert(out.end(), header.begin(), header.end());
  out.insert(out.end(), t.bytes.begin(), t.bytes.end());
  return out;
}

//===----------------------------------------------------------------------===//
// .npz (ZIP)
//===----------------------------------------------------------------------===//

static uint32_t le32(const uint8_t *p) {
  return p[0] | (p[1] << 8) | (p[2] << 16) | (uint32_t(p[3]) << 24);
}
static uint16_t le16(const uint8_t *p) { return p[0] | (p[1] << 8); }
static uint64_t le64(const uint8_t *p) {
  return uint64_t(le32(p)) | (uint64_t(le32(p + 4)) << 32);
}

bool qsl::runtime::readNpz(const std::string &path,
                           std::map<std::string, HostTensor> &out,
                           std::string &error) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    error = "cannot open '" + path + "'";
    return false;
  }
  std::vector<uint8_t> file((std::istreambuf_iterator<char>(in)),
                            std::istreambuf_iterator<char>());
  if (file.size() >= 6 && std::memcmp(file.data(), "\x93NUMPY", 6) == 0) {
    error = "'" + path + "' is a single .npy array; pass an .npz archive";
    return false;
  }
  // End of central directory: the last "PK\5\6" record.
  size_t eocd = std::string::npos;
  for (size_t i = file.size() >= 22 ? file.size() - 22 : 0; i + 1 > 0; --i) {
    if (le32(&file[i]) == 0x06054b50) {
      eocd = i;
      break;
    }
    if (i == 0)
      break;
  }
  if (eocd == std::string::npos) {
    error = "'" + path + "' is not an .npz (zip) archive";
    return false;
  }
  uint64_t entries = le16(&file[eocd + 10]);
  uint64_t cdOffset = le32(&file[eocd + 16]);
  if (cdOffset == 0xffffffff && eocd >= 20 &&
      le32(&file[eocd - 20]) == 0x07064b50) {
    uint64_t z64 = le64(&file[eocd - 20 + 8]);
    if (z64 + 56 <= file.size() && le32(&file[z64]) == 0x06064b50) {
      entries = le64(&file[z64 + 32]);
      cdOffset = le64(&file[z64 + 48]);
    }
  }
  size_t p = cdOffset;
  for (uint64_t e = 0; e < entries; ++e) {
    if (p + 46 > file.size() || le32(&file[p]) != 0x02014b50) {
      error = "corrupt central directory in '" + path + "'";
      return false;
    }
    uint16_t method = le16(&file[p + 10]);
    uint64_t csize = le32(&file[p + 20]), usize = le32(&file[p + 24]);
    uint16_t nameLen = le16(&file[p + 28]), extraLen = le16(&file[p + 30]),
             commentLen = le16(&file[p + 32]);
    uint64_t local = le32(&file[p + 42]);
    std::string name(reinterpret_cast<const char *>(&file[p + 46]), nameLen);
    // ZIP64 extra field: the sizes/offset that overflowed 32 bits, in order.
    for (size_t x = p + 46 + nameLen; x + 4 <= p + 46 + nameLen + extraLen;) {
      uint16_t id = le16(&file[x]), len = le16(&file[x + 2]);
      if (id == 1) {
        size_t f = x + 4;
        if (usize == 0xffffffff) { usize = le64(&file[f]); f += 8; }
        if (csize == 0xffffffff) { csize = le64(&file[f]); f += 8; }
        if (local == 0xffffffff) { local = le64(&file[f]); f += 8; }
      }
      x += 4 + len;
    }
    p += 46 + nameLen + extraLen + commentLen;
    if (local + 30 > file.size() || le32(&file[local]) != 0x04034b50) {
      error = "corrupt member '" + name + "' in '" + path + "'";
      return false;
    }
    size_t dataAt = local + 30 + le16(&file[local + 26]) + le16(&file[local + 28]);
    if (dataAt + csize > file.size()) {
      error = "truncated member '" + name + "' in '" + path + "'";
      return false;
    }
    std::vector<uint8_t> member;
    if (method == 0) {
      member.assign(file.begin() + dataAt, file.begin() + dataAt + csize);
    } else if (method == 8) {
      member.resize(usize);
      z_stream zs{};
      zs.next_in = &file[dataAt];
      zs.avail_in = static_cast<uInt>(csize);
      zs.next_out = member.data();
      zs.avail_out = static_cast<uInt>(usize);
      if (inflateInit2(&zs, -15) != Z_OK || inflate(&zs, Z_FINISH) != Z_STREAM_END) {
        inflateEnd(&zs);
        error = "cannot inflate member '" + name + "' in '" + path + "'";
        return false;
      }
      inflateEnd(&zs);
    } else {
      error = "member '" + name + "' uses unsupported compression " +
              std::to_string(method);
      return false;
    }
    if (name.size() > 4 && name.compare(name.size() - 4, 4, ".npy") == 0)
      name.resize(name.size() - 4);
    HostTensor t;
    std::string why;
    if (!parseNpy(member.data(), member.size(), t, why)) {
      error = "array '" + name + "' in '" + path + "': " + why;
      return false;
    }
    out[name] = std::move(t);
  }
  return true;
}

static void put16(std::vector<uint8_t> &o, uint16_t v) {
  o.push_back(v & 0xff);
  o.push_back(v >> 8);
}
static void put32(std::vector<uint8_t> &o, uint32_t v) {
  put16(o, v & 0xffff);
  put16(o, v >> 16);
}

bool qsl::runtime::writeNpz(const std::string &path,
                            const std::map<std::string, HostTensor> &tensors,
                            std::string &error) {
  std::vector<uint8_t> out, central;
  for (const auto &[name, tensor] : tensors) {
    std::vector<uint8_t> data = serializeNpy(tensor);
    if (data.size() >= 0xffffffffu || out.size() >= 0xffffffffu) {
      error = "array '" + name + "' is too large for an uncompressed .npz";
      return false;
    }
    std::string file = name + ".npy";
    uint32_t crc = crc32(0L, data.data(), static_cast<uInt>(data.size()));
    uint32_t offset = static_cast<uint32_t>(out.size());
    put32(out, 0x04034b50); put16(out, 20); put16(out, 0); put16(out, 0);
    put16(out, 0); put16(out, 0x21); put32(out, crc);
    put32(out, data.size()); put32(out, data.size());
    put16(out, file.size()); put16(out, 0);
    out.insert(out.end(), file.begin(), file.end());
    out.insert(out.end(), data.begin(), data.end());
    put32(central, 0x02014b50); put16(central, 20); put16(central, 20);
    put16(central, 0); put16(central, 0); put16(central, 0); put16(central, 0x21);
    put32(central, crc); put32(central, data.size()); put32(central, data.size());
    put16(central, file.size()); put16(central, 0); put16(central, 0);
    put16(central, 0); put16(central, 0); put32(central, 0); put32(central, offset);
    central.insert(central.end(), file.begin(), file.end());
  }
  uint32_t cdOffset = static_cast<uint32_t>(out.size());
  out.insert(out.end(), central.begin(), central.end());
  put32(out, 0x06054b50); put16(out, 0); put16(out, 0);
  put16(out, tensors.size()); put16(out, tensors.size());
  put32(out, central.size()); put32(out, cdOffset); put16(out, 0);
  std::ofstream f(path, std::ios::binary);
  if (!f.write(reinterpret_cast<const char *>(out.data()), out.size())) {
    error = "cannot write '" + path + "'";
    return false;
  }
  return true;
}
