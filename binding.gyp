{
  # Each SIMD kernel set is its own static library with its own flags, so only those
  # translation units use wide instructions; dispatch.cc picks one at runtime with
  # __builtin_cpu_supports. No -march=native anywhere (the addon must run on any x86-64).
  "target_defaults": {
    "cflags!": [ "-fno-exceptions" ],
    "cflags_cc!": [ "-fno-exceptions" ],
    "cflags_cc": [ "-std=c++17", "-O3", "-fexceptions", "-fPIC", "-Wno-maybe-uninitialized", "-Wno-uninitialized" ],
    "cflags": [ "-fPIC" ]
  },
  "targets": [
    {
      "target_name": "dsa_kernels_scalar",
      "type": "static_library",
      "sources": [ "native/src/isa_scalar.cc" ]
    },
    {
      "target_name": "dsa_kernels_avx2",
      "type": "static_library",
      "sources": [ "native/src/isa_avx2.cc" ],
      "cflags_cc": [ "-mavx2", "-mfma" ]
    },
    {
      "target_name": "dsa_kernels_avx512",
      "type": "static_library",
      "sources": [ "native/src/isa_avx512.cc" ],
      "cflags_cc": [ "-mavx512f", "-mavx512bw", "-mavx512vl", "-mavx512dq", "-mfma" ]
    },
    {
      "target_name": "dsa_kernels_avx512bf16",
      "type": "static_library",
      "sources": [ "native/src/isa_avx512bf16.cc" ],
      "cflags_cc": [ "-mavx512f", "-mavx512bw", "-mavx512vl", "-mavx512dq", "-mfma", "-mavx512bf16" ]
    },
    {
      "target_name": "dsa_gemm_avx2",
      "type": "static_library",
      "sources": [ "native/src/gemm_avx2.cc" ],
      "cflags_cc": [ "-mavx2", "-mfma" ]
    },
    {
      "target_name": "dsa_gemm_avx512",
      "type": "static_library",
      "sources": [ "native/src/gemm_avx512.cc" ],
      "cflags_cc": [ "-mavx512f", "-mavx512bw", "-mavx512vl", "-mavx512dq", "-mfma" ]
    },
    {
      "target_name": "dsa_engine",
      "dependencies": [ "dsa_kernels_scalar" ],
      "conditions": [
        [ "target_arch=='x64' or target_arch=='ia32'", {
          "dependencies": [ "dsa_kernels_avx2", "dsa_kernels_avx512", "dsa_kernels_avx512bf16",
                            "dsa_gemm_avx2", "dsa_gemm_avx512" ]
        } ]
      ],
      "sources": [
        "native/src/addon.cc",
        "native/src/dispatch.cc",
        "native/src/bindings.cc",
        "native/src/attention.cc",
        "native/src/indexer.cc",
        "native/src/dsa.cc",
        "native/src/quant.cc",
        "native/src/peak.cc",
        "native/src/select.cc",
        "native/src/sparse_blocked.cc",
        "native/src/gemm.cc",
        "native/src/gemm_binding.cc",
        "native/src/model/model_core.cc",
        "native/src/model/model_train.cc",
        "native/src/model/model_sparse.cc",
        "native/src/model/model_infer.cc",
        "native/src/model/model_binding.cc"
      ],
      "include_dirs": [
        "<!(node -p \"require('node-addon-api').include_dir\")"
      ],
      "defines": [ "NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS" ],
      "libraries": [ "-pthread" ]
    }
  ]
}
