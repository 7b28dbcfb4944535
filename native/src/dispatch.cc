// The table of SIMD kernel sets and the runtime choice among them: the widest set this CPU
// (and OS) supports, unless a caller names one. A new kernel set is its isa_*.cc file (which
// names its own compile target, see kernels.h) plus one entry in kSets below.
//
// The CPU checks live here, in a file compiled with baseline flags: code built for a wider
// target (the isa_*.cc files) must not run before its check has passed.
#include <string>
#include "engine.h"

namespace dsa {

// Each kernel set's table, defined in its isa_*.cc file.
const Kernels* kernelsScalar();
#if defined(__x86_64__) || defined(__i386__)
const Kernels* kernelsAvx2();
const Kernels* kernelsAvx512();
const Kernels* kernelsAvx512Bf16();
#endif

namespace {

struct KernelSet {
  const char* name;
  bool (*supported)();        // CPU (and OS) check
  const Kernels* (*kernels)();
};

#if defined(__x86_64__) || defined(__i386__)
bool hasAvx2() {
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
}
bool hasAvx512() {
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
         __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("fma");
}
bool hasAvx512Bf16() { return hasAvx512() && __builtin_cpu_supports("avx512bf16"); }
#endif
bool always() { return true; }

// Widest first: bestKernels() takes the first supported entry.
const KernelSet kSets[] = {
#if defined(__x86_64__) || defined(__i386__)
    {"avx512-bf16", hasAvx512Bf16, kernelsAvx512Bf16},
    {"avx512", hasAvx512, kernelsAvx512},
    {"avx2", hasAvx2, kernelsAvx2},
#endif
    {"scalar", always, kernelsScalar},
};

const KernelSet* findSet(const std::string& name) {
  for (const KernelSet& s : kSets)
    if (name == s.name) return &s;
  return nullptr;
}

}  // namespace

std::vector<KernelSetInfo> kernelSets() {
  std::vector<KernelSetInfo> out;
  // (A set's table is constant data, so reading an unsupported set's target runs none of
  // its code.)
  for (const KernelSet& s : kSets) out.push_back({s.name, s.kernels()->target, s.supported(), s.kernels()->bf16Dot});
  return out;
}

bool cpuSupports(const std::string& name) {
  const KernelSet* s = findSet(name);
  return s && s->supported();
}

const Kernels* kernelsByName(const std::string& name) {
  const KernelSet* s = findSet(name);
  return s && s->supported() ? s->kernels() : nullptr;
}

const Kernels* bestKernels() {
  for (const KernelSet& s : kSets)
    if (s.supported()) return s.kernels();
  return kernelsScalar();
}

}  // namespace dsa
