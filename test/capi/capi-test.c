/*===- capi-test.c - Exercises every entry point of the QSL C API ---------===*
 *
 *   capi-test DIR   (DIR from make_capi_inputs.py: model.onnx, x.bin,
 *                    y_ref.bin computed by onnxruntime, garbage.onnx,
 *                    calibration sets x.bin, x2.bin and calib/)
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

/* A growing text buffer for MlirStringCallback results. */
typedef struct Text {
  char *data;
  size_t length;
} Text;

static void appendToText(MlirStringRef piece, void *userData) {
  Text *t = (Text *)userData;
  t->data = realloc(t->data, t->length + piece.length + 1);
  memcpy(t->data + t->length, piece.data, piece.length);
  t->length += piece.length;
  t->data[t->length] = 0;
}

/* The report of `module` as JSON text (NULL on failure); free() it. */
static char *reportOf(MlirModule module, int64_t importedBytes) {
  Text t = {NULL, 0};
  if (mlirLogicalResultIsFailure(
          mlirQslModuleGetReport(module, importedBytes, appendToText, &t))) {
    free(t.data);
    return NULL;
  }
  return t.data;
}

/* `report` without its "name" lines: modules imported or loaded into one
 * context get uniqued resource (weight) names. */
static char *withoutNames(const char *report) {
  char *out = malloc(strlen(report) + 1), *o = out;
  for (const char *line = report; *line;) {
    const char *end = strchr(line, '\n');
    size_t n = end ? (size_t)(end - line + 1) : strlen(line);
    const char *name = strstr(line, "\"name\":");
    if (!name || name >= line + n) {
      memcpy(o, line, n);
      o += n;
    }
    line += n;
  }
  *o = 0;
  return out;
}

static bool sameReports(const char *a, const char *b) {
  if (!a || !b)
    return false;
  char *x = withoutNames(a), *y = withoutNames(b);
  bool same = strcmp(x, y) == 0;
  free(x);
  free(y);
  return same;
}

/* The signature as text: "in x f32 3x16;out y f32 3x4;". */
static void describeSignature(bool isInput, MlirQslBuffer sig, void *userData) {
  char piece[256];
  int n = snprintf(piece, sizeof(piece), "%s %.*s %d ", isInput ? "in" : "out",
                   (int)sig.name.length, sig.name.data, (int)sig.dtype);
  for (intptr_t d = 0; d < sig.rank; ++d)
    n += snprintf(piece + n, sizeof(piece) - n, "%s%lld", d ? "x" : "",
                  (long long)sig.shape[d]);
  snprintf(piece + n, sizeof(piece) - n, ";");
  appendToText(mlirStringRefCreateFromCString(piece), userData);
}

/* Streams the calibration sets of a CallbackSets, failing at `failAt`. */
typedef struct CallbackSets {
  const MlirQslBuffer *sets;
  intptr_t count, failAt;
} CallbackSets;

static int nextSet(intptr_t index, intptr_t *numBuffers,
                   const MlirQslBuffer **buffers, void *userData) {
  CallbackSets *s = (CallbackSets *)userData;
  if (index == s->failAt)
    return -1;
  if (index >= s->count)
    return 0;
  *numBuffers = 1;
  *buffers = &s->sets[index];
  return 1;
}

/* Runs a compiled copy of `module` on x into y (3x4). */
static bool runOn(MlirModule module, const float *x, float *y) {
  MlirOperation copy = mlirOperationClone(mlirModuleGetOperation(module));
  MlirModule compiled = mlirModuleFromOperation(copy);
  bool ok = mlirLogicalResultIsSuccess(
      mlirQslCompileForCPU(compiled, str("main_graph"), true));
  MlirQslExecutable exe = ok ? mlirQslExecutableCreate(compiled)
                             : (MlirQslExecutable){NULL};
  mlirModuleDestroy(compiled);
  if (mlirQslExecutableIsNull(exe))
    return false;
  int64_t xShape[] = {3, 16}, yShape[] = {3, 4};
  MlirQslBuffer in = {str("x"), MlirQslDTypeF32, 2, xShape, (void *)x,
                      sizeof(float) * 48};
  MlirQslBuffer out = {str("y"), MlirQslDTypeF32, 2, yShape, y,
                       sizeof(float) * 12};
  ok = mlirLogicalResultIsSuccess(mlirQslExecutableRun(exe, 1, &in, 1, &out));
  mlirQslExecutableDestroy(exe);
  return ok;
}

/* Calibration (caller buffers, a callback, .npz files), GPTQ on the
 * statistics, the report, the signature, save and load. */
static void testCompression(MlirContext ctx, const char *dir, const float *x,
                            const float *x2) {
  int64_t xShape[] = {3, 16}, shortShape[] = {2, 16};
  MlirQslBuffer sets[] = {
      {str("x"), MlirQslDTypeF32, 2, xShape, (void *)x, sizeof(float) * 48},
      {str("x"), MlirQslDTypeF32, 2, xShape, (void *)x2, sizeof(float) * 48}};
  intptr_t setSizes[] = {1, 1};
  const char *gptq = "qsl-quantize{bits=4 group=8 method=gptq}";

  /* The signature of the imported function, with and without a batch. */
  MlirModule byArray = importModel(ctx, dir);
  Text sig = {NULL, 0};
  CHECK(mlirLogicalResultIsSuccess(mlirQslModuleGetSignature(
      byArray, str("main_graph"), describeSignature, &sig)));
  CHECK(sig.data && strcmp(sig.data, "in x 1 3x16;out y 1 3x4;") == 0);
  free(sig.data);
  MlirModule dynamic = mlirModuleCreateParse(
      ctx, str("func.func @main_graph(%a: tensor<?x16xf32> {onnx.name = \"a\"},"
               " %b: tensor<4xbf16>) -> tensor<?x16xf32> {\n"
               "  return %a : tensor<?x16xf32>\n}"));
  sig = (Text){NULL, 0};
  CHECK(mlirLogicalResultIsSuccess(mlirQslModuleGetSignature(
      dynamic, str("main_graph"), describeSignature, &sig)));
  CHECK(sig.data && strcmp(sig.data, "in a 1 -1x16;in arg1 -1 4;out result0 1 -1x16;") == 0);
  free(sig.data);
  CHECK(mlirLogicalResultIsFailure(mlirQslModuleGetSignature(
      dynamic, str("nope"), describeSignature, NULL)));
  EXPECT_DIAG("no function 'nope'");
  mlirModuleDestroy(dynamic);

  /* Constants as imported: w1 16x8, b1 8, w2 8x4 in f32. */
  CHECK(mlirQslModuleGetConstantBytes(byArray) == 4 * (128 + 8 + 32));
  int64_t imported = mlirQslModuleGetConstantBytes(byArray);

  /* The same two sets through the three entries give the same statistics,
   * hence the same GPTQ weights and the same report. */
  CHECK(mlirLogicalResultIsSuccess(
      mlirQslCalibrate(byArray, str("main_graph"), 2, setSizes, sets)));
  MlirModule byCallback = importModel(ctx, dir);
  CallbackSets streamed = {sets, 2, -1};
  CHECK(mlirLogicalResultIsSuccess(mlirQslCalibrateWithCallback(
      byCallback, str("main_graph"), nextSet, &streamed)));
  MlirModule byFiles = importModel(ctx, dir);
  char calibDir[4096];
  snprintf(calibDir, sizeof(calibDir), "%s/calib", dir);
  MlirStringRef paths[] = {str(calibDir)};
  CHECK(mlirLogicalResultIsSuccess(
      mlirQslCalibrateFromFiles(byFiles, str("main_graph"), 1, paths)));
  CHECK(diags[0] == 0);
  CHECK(mlirLogicalResultIsSuccess(mlirQslParsePassPipeline(ctx, str(gptq))));
  MlirModule all[] = {byArray, byCallback, byFiles};
  char *reports[3];
  for (int i = 0; i < 3; ++i) {
    CHECK(mlirLogicalResultIsSuccess(mlirQslRunPassPipeline(all[i], str(gptq))));
    reports[i] = reportOf(all[i], imported);
    CHECK(reports[i] != NULL);
  }
  CHECK(diags[0] == 0);
  if (reports[0] && reports[1] && reports[2]) {
    CHECK(sameReports(reports[0], reports[1]));
    CHECK(sameReports(reports[0], reports[2]));
    /* Two weights, each with 2 sets x 3 tokens of statistics; totals
     * against the imported size. */
    CHECK(strstr(reports[0], "\"method\": \"gptq w4 g8"));
    CHECK(strstr(reports[0], "\"calibration_tokens\": 6"));
    CHECK(strstr(reports[0], "\"compressed_weights\": 2"));
    CHECK(strstr(reports[0], "\"model_bytes_before\": 672"));
    CHECK(strstr(reports[0], "\"output_error\""));
  }
  printf("capi-test: report after calibration and GPTQ:\n%s\n",
         reports[0] ? reports[0] : "(none)");

  /* Save and load: the same module (metadata included), the same numbers. */
  char saved[4096];
  snprintf(saved, sizeof(saved), "%s/saved.mlirbc", dir);
  CHECK(mlirLogicalResultIsSuccess(mlirQslModuleSave(byArray, str(saved))));
  MlirModule loaded = mlirQslModuleLoad(ctx, str(saved));
  CHECK(!mlirModuleIsNull(loaded));
  if (!mlirModuleIsNull(loaded)) {
    char *again = reportOf(loaded, imported);
    CHECK(sameReports(again, reports[0]));
    free(again);
    float y1[12], y2[12];
    CHECK(runOn(byArray, x, y1));
    CHECK(runOn(loaded, x, y2));
    CHECK(memcmp(y1, y2, sizeof(y1)) == 0);
    /* Saving over the file a module was loaded from. */
    CHECK(mlirLogicalResultIsSuccess(mlirQslModuleSave(loaded, str(saved))));
    mlirModuleDestroy(loaded);
  }
  /* Stripped, the report has no statistics left to use. */
  mlirQslStripCompressionMetadata(byCallback);
  char *stripped = reportOf(byCallback, -1);
  CHECK(stripped && !strstr(stripped, "calibration_tokens") &&
        strstr(stripped, "\"compressed_weights\": 2"));
  free(stripped);
  for (int i = 0; i < 3; ++i) {
    free(reports[i]);
    mlirModuleDestroy(all[i]);
  }

  /* Errors. Calibration: a wrong shape or name in the second set, a bad
   * dtype, no sets, a callback that stops, missing files. */
  MlirModule fresh = importModel(ctx, dir);
  MlirQslBuffer bad[] = {sets[0], sets[1]};
  bad[1].shape = shortShape;
  bad[1].sizeInBytes = sizeof(float) * 32;
  CHECK(mlirLogicalResultIsFailure(
      mlirQslCalibrate(fresh, str("main_graph"), 2, setSizes, bad)));
  EXPECT_DIAG("calibration input set 1: input 'x' is f32[2x16] but the model "
              "was compiled for f32[3x16]");
  bad[1] = sets[1];
  bad[1].name = str("z");
  CHECK(mlirLogicalResultIsFailure(
      mlirQslCalibrate(fresh, str("main_graph"), 2, setSizes, bad)));
  EXPECT_DIAG("calibration input set 1: input 'x' is missing");
  bad[1] = sets[1];
  bad[1].dtype = (MlirQslDType)42;
  CHECK(mlirLogicalResultIsFailure(
      mlirQslCalibrate(fresh, str("main_graph"), 2, setSizes, bad)));
  EXPECT_DIAG("calibration input set 1: input 'x' has an invalid dtype 42");
  bad[1] = sets[1];
  bad[1].sizeInBytes = 7;
  CHECK(mlirLogicalResultIsFailure(
      mlirQslCalibrate(fresh, str("main_graph"), 2, setSizes, bad)));
  EXPECT_DIAG("input 'x' has 7 bytes, f32[3x16] needs 192");
  intptr_t twice[] = {2};
  CHECK(mlirLogicalResultIsFailure(
      mlirQslCalibrate(fresh, str("main_graph"), 1, twice, sets)));
  EXPECT_DIAG("input 'x' is given twice");
  CHECK(mlirLogicalResultIsFailure(
      mlirQslCalibrate(fresh, str("main_graph"), 0, NULL, NULL)));
  EXPECT_DIAG("no calibration inputs");
  CHECK(mlirLogicalResultIsFailure(
      mlirQslCalibrate(fresh, str("no_such_function"), 2, setSizes, sets)));
  EXPECT_DIAG("no function 'no_such_function' to calibrate");
  streamed.failAt = 1;
  CHECK(mlirLogicalResultIsFailure(mlirQslCalibrateWithCallback(
      fresh, str("main_graph"), nextSet, &streamed)));
  EXPECT_DIAG("calibration input set 1: stopped by the input callback");
  MlirStringRef missing[] = {str("/nonexistent/calib")};
  CHECK(mlirLogicalResultIsFailure(
      mlirQslCalibrateFromFiles(fresh, str("main_graph"), 1, missing)));
  EXPECT_DIAG("calibration input '/nonexistent/calib' does not exist");
  /* Pipelines that do not parse. */
  CHECK(mlirLogicalResultIsFailure(
      mlirQslParsePassPipeline(ctx, str("qsl-quantize{bits=four}"))));
  EXPECT_DIAG("invalid pass pipeline");
  /* Save to an unwritable place; load what is not there or not a module. */
  CHECK(mlirLogicalResultIsFailure(
      mlirQslModuleSave(fresh, str("/nonexistent/dir/m.mlirbc"))));
  EXPECT_DIAG("cannot save the module to '/nonexistent/dir/m.mlirbc'");
  CHECK(mlirModuleIsNull(mlirQslModuleLoad(ctx, str("/nonexistent/m.mlirbc"))));
  EXPECT_DIAG("cannot load a module from '/nonexistent/m.mlirbc'");
  char garbage[4096];
  snprintf(garbage, sizeof(garbage), "%s/garbage.onnx", dir);
  CHECK(mlirModuleIsNull(mlirQslModuleLoad(ctx, str(garbage))));
  CHECK(diags[0] != 0);
  diags[0] = 0;
  mlirModuleDestroy(fresh);
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: capi-test DIR\n");
    return 2;
  }
  const char *dir = argv[1];
  float *x = readFloats(dir, "x.bin", 48);
  float *yRef = readFloats(dir, "y_ref.bin", 12);
  float *x2 = readFloats(dir, "x2.bin", 48);

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
      compressed, str("qsl-compress-pipeline{preset=w9}"))));
  EXPECT_DIAG("step 'w9' of 'w9': expected w<bits>[g<group>] with 2 <= bits <= 8");
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

  testCompression(ctx, dir, x, x2);

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
  free(x2);
  printf("capi-test: %d checks passed, %d failed\n", passed, failed);
  return failed ? 1 : 0;
}
