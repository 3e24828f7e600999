// RUN: qsl-opt %s --split-input-file --qsl-gpu-emulate --verify-diagnostics

// Kernels must be lowered to NVVM first.
module attributes {gpu.container_module} {
  gpu.module @k {
    // expected-error @below {{qsl-gpu-emulate: the kernel module must be in the LLVM dialect (run qsl-gpu-pipeline with format=emulator first); found gpu.func}}
    gpu.func @f() kernel {
      gpu.return
    }
  }
}

// -----

// An NVVM op the emulator does not model is named, never dropped.
module attributes {gpu.container_module} {
  gpu.module @k {
    llvm.func @f() attributes {gpu.kernel, nvvm.kernel} {
      // expected-error @below {{qsl-gpu-emulate: the emulator does not model nvvm.read.ptx.sreg.clusterid.x}}
      %0 = nvvm.read.ptx.sreg.clusterid.x : i32
      llvm.return
    }
  }
}

// -----

// So is inline asm other than the sparse mma nvgpu lowers to.
module attributes {gpu.container_module} {
  gpu.module @k {
    llvm.func @f() attributes {gpu.kernel, nvvm.kernel} {
      // expected-error @below {{qsl-gpu-emulate: inline asm the emulator does not model: trap;}}
      llvm.inline_asm has_side_effects "trap;", "" : () -> ()
      llvm.return
    }
  }
}

// -----

// And an mma.sync shape other than m16n8k16 with f16 operands.
module attributes {gpu.container_module} {
  gpu.module @k {
    llvm.func @f(%a: vector<2xf16>, %b: vector<2xf16>, %c: f32) attributes {gpu.kernel, nvvm.kernel} {
      // expected-error @below {{qsl-gpu-emulate: only mma.sync m16n8k16.row.col with f16 operands and f32 accumulators is emulated}}
      %d = nvvm.mma.sync A[%a, %a] B[%b] C[%c, %c, %c, %c]
        {layoutA = #nvvm.mma_layout<row>, layoutB = #nvvm.mma_layout<col>,
         shape = #nvvm.shape<m = 16, n = 8, k = 8>}
        : (vector<2xf16>, vector<2xf16>, f32) -> !llvm.struct<(f32, f32, f32, f32)>
      llvm.return
    }
  }
}

// -----

// ldmatrix forms other than m8n8 b16 (here the 8-bit m16n16 of sm_100).
module attributes {gpu.container_module} {
  gpu.module @k {
    llvm.func @f(%p: !llvm.ptr<3>) attributes {gpu.kernel, nvvm.kernel} {
      // expected-error @below {{qsl-gpu-emulate: only ldmatrix m8n8 b16 (x1, x2, x4) is emulated}}
      %0 = nvvm.ldmatrix %p {num = 1 : i32, layout = #nvvm.mma_layout<col>, shape = #nvvm.ld_st_matrix_shape<m = 16, n = 16>, eltType = #nvvm.ld_st_matrix_elt_type<b8>} : (!llvm.ptr<3>) -> !llvm.struct<(i32, i32)>
      llvm.return
    }
  }
}
