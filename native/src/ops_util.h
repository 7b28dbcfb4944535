// Helpers shared by the engine's operation files (attention.cc, indexer.cc, dsa.cc, peak.cc):
// argument failures as EngineError, rounding up to a vector multiple.
#pragma once
#include <cstdint>
#include <cstring>
#include <limits>
#include <string>

#include "engine.h"

namespace dsa {
namespace ops {

constexpr float NEG_INF = -std::numeric_limits<float>::infinity();

inline int64_t roundUp(int64_t x, int64_t m) { return (x + m - 1) / m * m; }

// fp32 → bf16 bits as vcvtneps2bf16 rounds: nearest even, denormals flushed to ±0, NaN quiet.
inline uint32_t bf16Bits(float f) {
  uint32_t b;
  std::memcpy(&b, &f, 4);
  if ((b & 0x7fffffffu) > 0x7f800000u) return (b >> 16) | 0x40u;
  if ((b & 0x7f800000u) == 0) return (b >> 16) & 0x8000u;
  return (b + 0x7fffu + ((b >> 16) & 1u)) >> 16;
}

[[noreturn]] inline void fail(const char* code, const std::string& msg) { throw EngineError(code, msg); }

}  // namespace ops
}  // namespace dsa
