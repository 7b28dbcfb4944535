{
  # Wide instructions only where a file asks for them: each engine kernel set
  # (native/src/isa_*.cc) names its target in the file itself, and each GEMM kernel set is
  # its own static library with its own flags; dispatch.cc (and gemm.cc) pick one at
  # runtime with __builtin_cpu_supports. No -march=native anywhere (the addon must run on
  # any x86-64).
  "target_defaults": {
    "cflags!": [ "-fno-exceptions" ],
    "cflags_cc!": [ "-fno-exceptions" ],
    "cflags_cc": [ "-std=c++17", "-O3", "-fexceptions", "-fPIC", "-Wno-maybe-uninitialized", "-Wno-uninitialized" ],
    "cflags": [ "-fPIC" ]
  },
  "targets": [
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
      "conditions": [
        [ "target_arch=='x64' or target_arch=='ia32'", {
          "dependencies": [ "dsa_gemm_avx2", "dsa_gemm_avx512" ]
        } ]
      ],
      "sources": [
        # every engine kernel set: native/src/isa_*.cc, each compiled for the target it names
        # itself (kernels.h DSA_TARGET); an x86 set's file is empty on other architectures
        "<!@(node -p \"require('fs').readdirSync('native/src').filter((f) => /^isa_.*[.]cc$/.test(f)).sort().map((f) => 'native/src/' + f).join(' ')\")",
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
