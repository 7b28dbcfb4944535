// Helpers shared by the engine's operation files (attention.cc, indexer.cc, dsa.cc, peak.cc):
// argument failures as EngineError, rounding up to a vector multiple.
#pragma once
#include <cstdint>
#include <limits>
#include <string>

#include "engine.h"

namespace dsa {
namespace ops {

constexpr float NEG_INF = -std::numeric_limits<float>::infinity();

inline int64_t roundUp(int64_t x, int64_t m) { return (x + m - 1) / m * m; }

[[noreturn]] inline void fail(const char* code, const std::string& msg) { throw EngineError(code, msg); }

}  // namespace ops
}  // namespace dsa
