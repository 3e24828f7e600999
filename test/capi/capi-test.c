/*===- capi-test.c - Exercises every entry point of the QSL C API ---------===*
 *
 *   capi-test DIR   (DIR from make_capi_inputs.py: model.onnx, x.bin,
 *                    y_ref.bin computed by onnxruntime, garbage.onnx)
 *
 * Written in C against libQSLCAPI.so alone. Every error path must come back
 * as a diagnostic and a failed/null result; numbers are compared with
 * onnxruntime's. Prints one line per failed check and a summary; exit status
 * 1 when any check failed.
 *===----------------------------------------------------------------------===*/
#include "qsl-c/QSL.h"

#include "mlir-c/BuiltinAttributes.h"
#include "mlir-c/BuiltinTypes.h"
#include "mlir-c/Diagnostics.h"
#include "mlir-c/IR.h"
#include "mlir-c/Support.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int passed = 0, failed = 0;

#define CHECK(cond)                                                            \
  do {                                                                         \
    if (cond) {                                                                \
      ++passed;                                                                \
    } else {                                                                   \
      ++failed;                                                                \
      fprintf(stderr, "capi-test.c:%d: check failed: %s\n%s", __LINE__, #cond, \
              diags);                                                          \
    }                                                                          \
  } while (0)

/* Every diagnostic the context reports, concatenated. */
static char diags[16384];

static void appendText(MlirStringRef text, void *userData) {
  (void)userData;
  size_t used = strlen(diags);
  size_t room = sizeof(diags) - used - 1;
  size_t n = text.length < room ? text.length : room;
  memcpy(diags + used, text.data, n);
  diags[used + n] = 0;
}

static MlirLogicalResult onDiagnostic(MlirDiagnostic d, void *userData) {
  (void)userData;
  mlirLocationPrint(mlirDiagnosticGetLocation(d), appendText, NULL);
  appendText(mlirStringRefCreateFromCString(": "), NULL);
  mlirDiagnosticPrint(d, appendText, NULL);
  appendText(mlirStringRefCreateFromCString("\n"), NULL);
  return mlirLogicalResultSuccess();
}

/* Checks that a diagnostic containing `needle` was reported since the last
 * call, and forgets them. */
#define EXPECT_DIAG(needle)                                                    \
  do {                                                                         \
    if (strstr(diags, needle)) {                                               \
      ++passed;                                                                \
    } else {                                                                   \
      ++failed;                                                                \
      fprintf(stderr,                                                          \
              "capi-test.c:%d: no diagnostic containing '%s'; got:\n%s\n",     \
              __LINE__, needle, diags);                                        \
    }                                                                          \
    diags[0] = 0;                                                              \
  } while (0)

static MlirStringRef str(const char *s) {
  return mlirStringRefCreateFromCString(s);
}

static float *readFloats(const char *dir, const char *name, size_t count) {
  char path[4096];
  snprintf(path, sizeof(path), "%s/%s", dir, name);
  FILE *f = fopen(path, "rb");
  if (!f) {
    fprintf(stderr, "cannot open %s\n", path);
    exit(2);
  }
  float *data = malloc(count * sizeof(float));
  size_t got = fread(data, sizeof(float), count, f);
  fclose(f);
  if (got != count) {
    fprintf(stderr, "%s: expected %zu floats, read %zu\n", path, count, got);
    exit(2);
  }
  return data;
}

/* Collects a module's text (to look for the encodings passes created). */
static char printed[1 << 20];
static void appendPrinted(MlirStringRef text, void *userData) {
  (void)userData;
  size_t used = strlen(printed);
  size_t room = sizeof(printed) - used - 1;
  size_t n = text.length < room ? text.length : room;
  memcpy(printed + used, text.data, n);
  printed[used + n] = 0;
}

static void testEncoding(MlirContext ctx) {
  MlirAttribute parsed = mlirQslEncodingAttrParse(
      ctx, str("#qsl.encoding<quant = <bits = 4, group = 128, scale = f16, "
               "zero = i4>, sparse = <2:4>>"));
  CHECK(!mlirAttributeIsNull(parsed));
  CHECK(mlirAttributeIsAQslEncoding(parsed));
  CHECK(mlirQslEncodingAttrGetQuantBits(parsed) == 4);
  CHECK(mlirQslEncodingAttrGetQuantGroup(parsed) == 128);
  CHECK(mlirQslEncodingAttrGetSparseN(parsed) == 2);
  CHECK(mlirQslEncodingAttrGetSparseM(parsed) == 4);
  CHECK(mlirQslEncodingAttrGetLowRankRank(parsed) == 0);

  /* The builder gives the very same (uniqued) attribute. */
  MlirType f16 = mlirF16TypeGet(ctx);
  MlirAttribute built = mlirQslEncodingAttrGet(ctx, 4, 128, f16, true, 2, 4, 0,
                                               (MlirType){NULL});
  CHECK(mlirAttributeEqual(parsed, built));
  MlirAttribute lowRank = mlirQslEncodingAttrGet(ctx, 0, 0, (MlirType){NULL},
                                                 false, 0, 0, 16, f16);
  CHECK(mlirQslEncodingAttrGetLowRankRank(lowRank) == 16);
  CHECK(mlirQslEncodingAttrGetQuantBits(lowRank) == 0);
  CHECK(!mlirAttributeIsAQslEncoding(mlirUnitAttrGet(ctx)));
  CHECK(diags[0] == 0);

  /* Storage of tensor<256x128xf32> with 4-bit codes and one f16 scale and
   * one i4 zero point per 128 elements along dim 0: 4 + (16 + 4) / 128 bits
   * per element. */
  int64_t shape[] = {256, 128};
  MlirType encoded = mlirRankedTensorTypeGet(
      2, shape, mlirF32TypeGet(ctx),
      mlirQslEncodingAttrGet(ctx, 4, 128, f16, true, 0, 0, 0, (MlirType){NULL}));
  CHECK(fabs(mlirQslTensorTypeGetBitsPerElement(encoded) -
             (4.0 + 20.0 / 128.0)) < 1e-12);
  CHECK(mlirQslTensorTypeGetBitsPerElement(
            mlirRankedTensorTypeGet(2, shape, mlirF32TypeGet(ctx),
                                    mlirAttributeGetNull())) == -1);

  /* Errors: syntax, a facet the verifier rejects, not an encoding, a builder
   * call without a scale type. */
  CHECK(mlirAttributeIsNull(
      mlirQslEncodingAttrParse(ctx, str("#qsl.encoding<quant = <bits = 4"))));
  CHECK(diags[0] != 0);
  diags[0] = 0;
  CHECK(mlirAttributeIsNull(mlirQslEncodingAttrParse(
      ctx, str("#qsl.encoding<quant = <bits = 9, scale = f16>>"))));
  EXPECT_DIAG("bits");
  CHECK(mlirAttributeIsNull(mlirQslEncodingAttrParse(ctx, str("unit"))));
  EXPECT_DIAG("expected a #qsl.encoding, got unit");
  CHECK(mlirAttributeIsNull(mlirQslEncodingAttrGet(
      ctx, 4, 0, (MlirType){NULL}, false, 0, 0, 0, (MlirType){NULL})));
  EXPECT_DIAG("needs a scale type");
  CHECK(mlirAttributeIsNull(mlirQslEncodingAttrGet(
      ctx, 0, 0, (MlirType){NULL}, false, 0, 0, 0, (MlirType){NULL})));
  CHECK(diags[0] != 0);
  diags[0] = 0;
}

/* Imports the test model with batch 3. */
static MlirModule importModel(MlirContext ctx, const char *dir) {
  char path[4096];
  snprintf(path, sizeof(path), "%s/model.onnx", dir);
  MlirStringRef shapes[] = {str("x=3x16")};
  return mlirQslImportONNXFile(ctx, str(path), 1, shapes);
}

/* Compiles, runs on x and compares y with onnxruntime's. */
static void compileAndCompare(MlirModule module,
                              const float *x, const float *yRef, bool vectorize,
                              const char *what) {
  CHECK(mlirLogicalResultIsSuccess(
      mlirQslCompileForCPU(module, str("main_graph"), vectorize)));
  MlirQslExecutable exe = mlirQslExecutableCreate(module);
  CHECK(!mlirQslExecutableIsNull(exe));
  if (mlirQslExecutableIsNull(exe))
    return;
  CHECK(mlirQslExecutableGetNumInputs(exe) == 1);
  CHECK(mlirQslExecutableGetNumOutputs(exe) == 1);
  MlirQslBuffer in = mlirQslExecutableGetInput(exe, 0);
  CHECK(strncmp(in.name.data, "x", in.name.length) == 0 && in.name.length == 1);
  CHECK(in.dtype == MlirQslDTypeF32 && in.rank == 2 && in.shape[0] == 3 &&
        in.shape[1] == 16 && in.sizeInBytes == 3 * 16 * 4 && !in.data);
  MlirQslBuffer outSig = mlirQslExecutableGetOutput(exe, 0);
  CHECK(outSig.name.length == 1 && outSig.name.data[0] == 'y');
  CHECK(outSig.rank == 2 && outSig.shape[0] == 3 && outSig.shape[1] == 4);
  CHECK(mlirQslExecutableGetOutput(exe, 1).rank == -1);
  CHECK(mlirQslDTypeGetByteWidth(MlirQslDTypeF16) == 2 &&
        mlirQslDTypeGetByteWidth(MlirQslDTypeI64) == 8);

  int64_t xShape[] = {3, 16}, yShape[] = {3, 4};
  float y[12];
  for (int i = 0; i < 12; ++i)
    y[i] = NAN;
  MlirQslBuffer inputs[] = {
      {str("x"), MlirQslDTypeF32, 2, xShape, (void *)x, sizeof(float) * 48}};
  MlirQslBuffer outputs[] = {
      {str("y"), MlirQslDTypeF32, 2, yShape, y, sizeof(y)}};
  CHECK(mlirLogicalResultIsSuccess(
      mlirQslExecutableRun(exe, 1, inputs, 1, outputs)));
  double maxErr = 0, maxRef = 0;
  for (int i = 0; i < 12; ++i) {
    double err = fabs((double)y[i] - yRef[i]);
    maxErr = isnan(err) || err > maxErr ? (isnan(err) ? INFINITY : err) : maxErr;
    maxRef = fabs(yRef[i]) > maxRef ? fabs(yRef[i]) : maxRef;
  }
  printf("capi-test: %s: max |y - onnxruntime| = %.3g (max |y| %.3g)\n", what,
         maxErr, maxRef);
  CHECK(maxRef > 0 && maxErr <= 1e-5 * maxRef);

  /* Wrong buffers: shape, dtype, byte size, name, missing, given twice. */
  int64_t badShape[] = {2, 16};
  MlirQslBuffer bad = inputs[0];
  bad.shape = badShape;
  CHECK(mlirLogicalResultIsFailure(mlirQslExecutableRun(exe, 1, &bad, 1, outputs)));
  EXPECT_DIAG("input 'x' is f32[2x16] but the model was compiled for f32[3x16]");
  bad = inputs[0];
  bad.dtype = MlirQslDTypeF64;
  CHECK(mlirLogicalResultIsFailure(mlirQslExecutableRun(exe, 1, &bad, 1, outputs)));
  EXPECT_DIAG("input 'x' is f64[3x16] but the model was compiled for f32[3x16]");
  bad = inputs[0];
  bad.dtype = (MlirQslDType)42;
  CHECK(mlirLogicalResultIsFailure(mlirQslExecutableRun(exe, 1, &bad, 1, outputs)));
  EXPECT_DIAG("input 'x' is ?[3x16]");
  bad = inputs[0];
  bad.sizeInBytes = 100;
  CHECK(mlirLogicalResultIsFailure(mlirQslExecutableRun(exe, 1, &bad, 1, outputs)));
  EXPECT_DIAG("input 'x' has 100 bytes, f32[3x16] needs 192");
  bad = inputs[0];
  bad.data = NULL;
  CHECK(mlirLogicalResultIsFailure(mlirQslExecutableRun(exe, 1, &bad, 1, outputs)));
  EXPECT_DIAG("input 'x' has no data");
  bad = inputs[0];
  bad.name = str("z");
  CHECK(mlirLogicalResultIsFailure(mlirQslExecutableRun(exe, 1, &bad, 1, outputs)));
  EXPECT_DIAG("input 'x' is missing (expected f32[3x16])");
  MlirQslBuffer extra[] = {inputs[0], inputs[0]};
  extra[1].name = str("z");
  CHECK(mlirLogicalResultIsFailure(mlirQslExecutableRun(exe, 2, extra, 1, outputs)));
  EXPECT_DIAG("'z' is not a model input");
  extra[1].name = str("x");
  CHECK(mlirLogicalResultIsFailure(mlirQslExecutableRun(exe, 2, extra, 1, outputs)));
  EXPECT_DIAG("input 'x' is given twice");
  CHECK(mlirLogicalResultIsFailure(mlirQslExecutableRun(exe, 1, inputs, 0, NULL)));
  EXPECT_DIAG("output 'y' is missing");
  mlirQslExecutableDestroy(exe);
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: capi-test DIR\n");
    return 2;
  }
  const char *dir = argv[1];
  float *x = readFloats(dir, "x.bin", 48);
  float *yRef = readFloats(dir, "y_ref.bin", 12);

  /* Registration: twice is harmless (no duplicate pass or option
   * registration in this process). */
  mlirQslRegisterPasses();
  mlirQslRegisterPasses();
  MlirDialectRegistry registry = mlirDialectRegistryCreate();
  mlirQslRegisterAllDialects(registry);
  mlirDialectHandleInsertDialect(mlirGetDialectHandle__qsl__(), registry);
  MlirContext ctx = mlirContextCreate();
  mlirContextAppendDialectRegistry(ctx, registry);
  mlirDialectRegistryDestroy(registry);
  mlirContextAttachDiagnosticHandler(ctx, onDiagnostic, NULL, NULL);
  MlirDialect qsl = mlirContextGetOrLoadDialect(ctx, str("qsl"));
  CHECK(!mlirDialectIsNull(qsl));

  testEncoding(ctx);

  /* Import errors: missing file, malformed file, bad shape spec. */
  MlirModule none = mlirQslImportONNXFile(ctx, str("/nonexistent/m.onnx"), 0, NULL);
  CHECK(mlirModuleIsNull(none));
  EXPECT_DIAG("/nonexistent/m.onnx");
  char garbage[4096];
  snprintf(garbage, sizeof(garbage), "%s/garbage.onnx", dir);
  CHECK(mlirModuleIsNull(mlirQslImportONNXFile(ctx, str(garbage), 0, NULL)));
  EXPECT_DIAG("garbage.onnx");
  MlirStringRef badSpec[] = {str("x=3by16")};
  CHECK(mlirModuleIsNull(mlirQslImportONNXFile(ctx, str(garbage), 1, badSpec)));
  EXPECT_DIAG("bad input shape spec");
  char modelPath[4096];
  snprintf(modelPath, sizeof(modelPath), "%s/model.onnx", dir);
  CHECK(mlirModuleIsNull(mlirQslImportONNXFile(ctx, str(modelPath), 0, NULL)));
  EXPECT_DIAG("batch");

  /* The model as imported, through the vectorizing and reference pipelines. */
  MlirModule plain = importModel(ctx, dir);
  CHECK(!mlirModuleIsNull(plain));
  CHECK(diags[0] == 0);
  compileAndCompare(plain, x, yRef, true, "uncompressed, vectorized");
  mlirModuleDestroy(plain);
  MlirModule reference = importModel(ctx, dir);
  compileAndCompare(reference, x, yRef, false, "uncompressed, reference");
  mlirModuleDestroy(reference);

  /* Pipeline errors: unknown pass, unknown preset. The module is unchanged. */
  MlirModule compressed = importModel(ctx, dir);
  CHECK(mlirLogicalResultIsFailure(
      mlirQslRunPassPipeline(compressed, str("qsl-no-such-pass"))));
  EXPECT_DIAG("invalid pass pipeline 'qsl-no-such-pass'");
  CHECK(mlirLogicalResultIsFailure(mlirQslRunPassPipeline(
      compressed, str("qsl-compress-pipeline{preset=w3}"))));
  EXPECT_DIAG("unknown preset 'w3'; valid presets: w8, w4g128, 2:4, 2:4-w4g128");
  CHECK(mlirLogicalResultIsFailure(
      mlirQslRunPassPipeline(compressed, str("builtin.module(canonicalize"))));
  CHECK(diags[0] != 0);
  diags[0] = 0;

  /* int8 per channel: both weights become qsl.constants with an 8-bit quant
   * facet, and the compiled model still matches onnxruntime (the weights
   * are exact int8 codes times their scales). */
  CHECK(mlirLogicalResultIsSuccess(mlirQslRunPassPipeline(
      compressed, str("builtin.module(qsl-compress-pipeline{preset=w8},canonicalize)"))));
  CHECK(diags[0] == 0);
  printed[0] = 0;
  mlirOperationPrint(mlirModuleGetOperation(compressed), appendPrinted, NULL);
  const char *first = strstr(printed, "quant = <bits = 8, scale = f16>");
  CHECK(first && strstr(first + 1, "qsl.matmul"));
  int encodedWeights = 0;
  for (const char *p = strstr(printed, "qsl.constant"); p;
       p = strstr(p + 1, "qsl.constant"))
    ++encodedWeights;
  CHECK(encodedWeights == 2);
  compileAndCompare(compressed, x, yRef, true, "w8, vectorized");

  /* Compile and JIT errors: no such entry, a module not compiled. */
  MlirModule again = importModel(ctx, dir);
  CHECK(mlirLogicalResultIsFailure(
      mlirQslCompileForCPU(again, str("no_such_function"), true)));
  EXPECT_DIAG("no function 'no_such_function' to run");
  CHECK(mlirQslExecutableIsNull(mlirQslExecutableCreate(again)));
  EXPECT_DIAG("no qsl.entry signature");
  mlirModuleDestroy(again);
  mlirModuleDestroy(compressed);

  /* A second context in the same process works the same way. */
  MlirContext second = mlirContextCreate();
  MlirDialectRegistry r2 = mlirDialectRegistryCreate();
  mlirQslRegisterAllDialects(r2);
  mlirContextAppendDialectRegistry(second, r2);
  mlirDialectRegistryDestroy(r2);
  MlirModule parsed = mlirModuleCreateParse(
      second, str("func.func @f(%x: tensor<2x4xf32>) -> tensor<2x4xf32> {\n"
                  "  return %x : tensor<2x4xf32>\n}"));
  CHECK(!mlirModuleIsNull(parsed));
  CHECK(mlirLogicalResultIsSuccess(
      mlirQslRunPassPipeline(parsed, str("qsl-compress-pipeline{preset=2:4}"))));
  mlirModuleDestroy(parsed);
  mlirContextDestroy(second);

  mlirContextDestroy(ctx);
  free(x);
  free(yRef);
  printf("capi-test: %d checks passed, %d failed\n", passed, failed);
  return failed ? 1 : 0;
}
