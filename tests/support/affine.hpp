#pragma once
// A non-commutative, exact operation for scans and by-key reductions:
// x -> a*x + b over the integers mod 2^64. Composition is associative but
// not commutative, and exact, so any reordering of the operands shows.

#include <Kokkos_Core.hpp>

#include <cstdint>
#include <random>
#include <vector>

namespace weft_test {

struct affine {
  std::uint64_t a;
  std::uint64_t b;
  friend bool operator==(const affine&, const affine&) = default;
};

/// Apply f, then g.
struct then {
  KOKKOS_INLINE_FUNCTION affine operator()(const affine& f, const affine& g) const {
    return {g.a * f.a, g.a * f.b + g.b};
  }
};

/// n random maps with odd slopes, from a fixed seed.
inline std::vector<affine> random_affine(std::size_t n, std::uint64_t seed) {
  std::mt19937_64 engine(seed);
  std::vector<affine> out(n);
  for (auto& f : out) f = {engine() | 1, engine()};
  return out;
}

}  // namespace weft_test
