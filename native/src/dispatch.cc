// Runtime choice of the kernel set: the widest one this CPU (and OS) supports.
#include <string>
#include "engine.h"

namespace dsa {

bool cpuSupports(const std::string& name) {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_cpu_init();
  if (name == "scalar") return true;
  if (name == "avx2") return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  const bool avx512 = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
                      __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq") &&
                      __builtin_cpu_supports("fma");
  if (name == "avx512") return avx512;
  if (name == "avx512-bf16") return avx512 && __builtin_cpu_supports("avx512bf16");
  return false;
#else
  return name == "scalar";
#endif
}

const Kernels* kernelsByName(const std::string& name) {
  if (!cpuSupports(name)) return nullptr;
#if defined(__x86_64__) || defined(__i386__)
  if (name == "avx512-bf16") return kernelsAvx512Bf16();
  if (name == "avx512") return kernelsAvx512();
  if (name == "avx2") return kernelsAvx2();
#endif
  if (name == "scalar") return kernelsScalar();
  return nullptr;
}

const Kernels* bestKernels() {
  for (const char* n : {"avx512-bf16", "avx512", "avx2", "scalar"})
    if (const Kernels* k = kernelsByName(n)) return k;
  return kernelsScalar();
}

}  // namespace dsa
