// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
#pragma once
// Kernel bodies of histogram (histogram.hpp). On host spaces each tile
// counts into its own row of private counts (no atomics, no sharing), and a
// second kernel adds the rows up bin by bin; devices, and host histograms
// with more bins than elements per tile, count with atomic increments.

#include "config.hpp"
#include "policy.hpp"
#include "tiles.hpp"

#include <Kokkos_Core.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>
#include <type_traits>

namespace weft::detail {

/// The sign of n_0 x_0 + ... + n_{N-1} x_{N-1} (each term subtracted where
/// `subtract` says), exactly, for finite doubles x_i and counts n_i below
/// 2^54. Fixed point in units of 2^-1074, of which every finite double is a
/// whole number: a 53-bit significand times a count fits 107 bits, placed
/// at the double's exponent (its lowest bit at most 2045 units up). Only the
/// 64-bit words the terms reach are formed, in two's complement: from the
/// lowest term's first word to two words above the highest's first, where
/// each term is below 2^43 and the sum of N <= 4 keeps the sign bit clear.
template <std::size_t N>
KOKKOS_INLINE_FUNCTION int exact_sign_of_sum(const double (&x)[N], const std::uint64_t (&n)[N],
                                             const bool (&subtract)[N]) {
  static_assert(N <= 4, "four terms at most keep the top word's sign bit clear");
  std::uint64_t part[N][3];  // each term's three words, from its first
  int first[N];
  bool negative[N];
  int low = 64, top = -1;
  for (std::size_t i = 0; i < N; ++i) {
    std::uint64_t bits;
    std::memcpy(&bits, &x[i], sizeof bits);
    const auto field = static_cast<int>((bits >> 52) & 0x7ff);
    const std::uint64_t significand = (bits & ((std::uint64_t(1) << 52) - 1)) | (field ? std::uint64_t(1) << 52 : 0);
    first[i] = -1;
    negative[i] = false;
    if (significand == 0 || n[i] == 0) continue;
    // significand * n as 128 bits, from 32-bit halves (no __int128 on devices).
    const std::uint64_t a0 = significand & 0xffffffffu, a1 = significand >> 32;
    const std::uint64_t b0 = n[i] & 0xffffffffu, b1 = n[i] >> 32;
    const std::uint64_t p00 = a0 * b0, p01 = a0 * b1, p10 = a1 * b0, p11 = a1 * b1;
    const std::uint64_t mid = (p00 >> 32) + (p01 & 0xffffffffu) + (p10 & 0xffffffffu);
    const std::uint64_t lo = (p00 & 0xffffffffu) | (mid << 32);
    const std::uint64_t hi = p11 + (p01 >> 32) + (p10 >> 32) + (mid >> 32);
    const int shift = field ? field - 1 : 0;  // of the significand's lowest bit, in units of 2^-1074
    const int r = shift % 64;
    part[i][0] = lo << r;
    part[i][1] = (hi << r) | (r ? lo >> (64 - r) : 0);
    part[i][2] = r ? hi >> (64 - r) : 0;
    first[i] = shift / 64;
    negative[i] = ((bits >> 63) != 0) != subtract[i];
    low = first[i] < low ? first[i] : low;
    top = first[i] + 2 > top ? first[i] + 2 : top;
  }
  if (top < 0) return 0;
  std::uint64_t w[34];  // from 2^-1074 past bit 2045 + 107
  const int words = top - low + 1;
  for (int k = 0; k < words; ++k) w[k] = 0;
  for (std::size_t i = 0; i < N; ++i) {
    if (first[i] < 0) continue;
    std::uint64_t carry = 0;  // a borrow when subtracting
    for (int k = first[i] - low, j = 0; k < words; ++k, ++j) {
      const std::uint64_t p = j < 3 ? part[i][j] : 0;
      if (j >= 3 && carry == 0) break;
      const std::uint64_t before = w[k];
      if (negative[i]) {
        const std::uint64_t d = before - p;
        w[k] = d - carry;
        carry = (before < p || d < carry) ? 1 : 0;
      } else {
        const std::uint64_t s = before + p;
        w[k] = s + carry;
        carry = (s < p || w[k] < carry) ? 1 : 0;
      }
    }
  }
  if (w[words - 1] >> 63) return -1;
  for (int k = 0; k < words; ++k)
    if (w[k] != 0) return 1;
  return 0;
}

KOKKOS_INLINE_FUNCTION double fused_multiply_add(double a, double b, double c) {
#if defined(__CUDA_ARCH__) || defined(__HIP_DEVICE_COMPILE__)
  return ::fma(a, b, c);
#else
  return std::fma(a, b, c);
#endif
}

/// Value -> bin of `bins` equal bins over [lo, hi): the edges are the
/// doubles nearest lo + k (hi - lo) / bins (real arithmetic, ties to even),
/// and x goes to bin b when edge(b) <= x < edge(b + 1), a value on an edge
/// to the bin above it; -1 outside [lo, hi), NaN too. Any finite lo < hi:
/// the factors are formed on the range scaled by a power of two, so nothing
/// overflows (hi - lo of [-DBL_MAX, DBL_MAX)) or leaves the range of double
/// (bins / (hi - lo) of a subnormal range). A value's position t = x a - c
/// (bins times 2^fraction from lo; x pre a - c below 2^-900, where a alone
/// would overflow) costs what a plain histogram's
/// (x - lo) * (bins / (hi - lo)) does, a multiplication and a subtraction,
/// and it is final unless it lies within `near` units of a bin's start;
/// only there do exact tests against the edges decide. Random data almost
/// never gets there; data on or next to the edges does, and costs an exact
/// test (a few hundred integer operations) per value, except a value whose
/// position is computed exactly and is whole (integers on an integer grid).
struct equal_bin_map {
  double lo, hi;
  double a, c;          // t = x pre a - c: pre a = 2^fraction bins / (hi - lo), c = lo pre a
  double pre;           // 2^600 for ranges below 2^-900 (a alone would overflow), else 1
  std::int64_t bins;
  int fraction;         // bits of the position below the bin number
  std::int64_t mask;    // 2^fraction - 1
  std::int64_t near;    // more than t's rounding error, and than half an ulp of x, in units of t
  std::int64_t twice_near;
  bool exact_factors;   // a and c hold their real values: x a - c, if exact, is the position

  /// Host only. Requires finite lo < hi and 0 < bins <= 2^52.
  static equal_bin_map make(double lo, double hi, std::int64_t bins) {
    // Scaled by a power of two to [-8, 8], lo and hi have a difference and
    // a ratio bins / difference inside the range of double.
    int e = 0;
    std::frexp(std::max(std::abs(lo), std::abs(hi)), &e);
    const double scale = std::ldexp(1.0, std::clamp(-e, -1021, 1021));
    const double lo_s = lo * scale, hi_s = hi * scale, width = hi_s - lo_s;
    int bits = 0;  // of bins
    while (bits < 63 && (std::int64_t(1) << bits) <= bins) ++bits;
    const int fraction = std::max(0, 52 - bits);  // positions below 2^53: exact in double and int64
    const double whole = std::ldexp(static_cast<double>(bins), fraction);
    const double per_unit = whole / width;
    // t = fl(fl(x a) - c) against the exact position: a and c carry 3 and 4
    // roundings, the product and the difference one each, relative to
    // |x| a <= max(|lo|, |hi|) a and to t: at most 2^-50 2^fraction bins
    // (1 + 8 max(|lo|, |hi|) / (hi - lo)), plus what an underflow loses
    // (below 2^-1074, negligible). An edge, the double nearest its real
    // value, lies within half an ulp of it, at most 2^-53 max(|lo|, |hi|) +
    // 2^-1075 (subnormals): 2^fraction bins that much / (hi - lo) more.
    // near is 7 times the sum, and at least 2.
    const double big = std::max(std::abs(lo_s), std::abs(hi_s));
    const double spread = 1 + big / width + std::ldexp(scale, -1075 + 47) / width;
    const double bound = std::ldexp((static_cast<double>(bins) + 1) * spread, fraction - 44) + 2;
    const std::int64_t near = bound < 0x1p61 ? static_cast<std::int64_t>(bound) : std::int64_t(1) << 61;
    const double pre = scale > 0x1p900 ? 0x1p600 : 1.0;  // x pre is exact: |x| < 2^-900
    const double a = (scale / pre) * per_unit, c = lo_s * per_unit;
    const double back = width - hi_s;
    const double width_error = (hi_s - (width - back)) + (-lo_s - back);  // hi_s - lo_s - width, exactly
    const bool exact_factors = lo_s / scale == lo && hi_s / scale == hi && width_error == 0 &&
                               std::fma(per_unit, width, -whole) == 0 && std::fma(lo_s, per_unit, -c) == 0 &&
                               a / (scale / pre) == per_unit;
    return {lo, hi, a, c, pre, bins, fraction, (std::int64_t(1) << fraction) - 1, near, 2 * near, exact_factors};
  }

  /// The bin of x; Pre: pre != 1 (a second multiplication, for tiny ranges only).
  template <bool Pre>
  KOKKOS_INLINE_FUNCTION std::int64_t bin(double x) const {
    if (!(x >= lo && x < hi)) return -1;  // NaN too
    // Within [-near, 2^fraction bins + near]: the cast is defined.
    const auto u = static_cast<std::int64_t>((Pre ? x * pre : x) * a - c);
    // Whether t lies within `near` of a bin's start (the range's end
    // included), in one test.
    if (((u + near) & mask) >= twice_near) [[likely]]
      return u >> fraction;
    return exact(x, u);
  }

  /// The bin of x in [lo, hi), whose computed position u lies within near
  /// of a bin's start (or anywhere, if near is that large), by exact tests
  /// against the edges.
  WEFT_NOINLINE KOKKOS_FUNCTION std::int64_t exact(double x, std::int64_t u) const {
    if (twice_near < mask) {
      // The true position lies within near of edge k's, and the edges
      // before and after it are 2^fraction away (rounded to doubles, less
      // than near closer): the bin is k - 1 or k.
      if (exact_factors) {  // x on edge k, its position computed exactly: bin k
        const double y = x * pre, p = y * a;
        if (fused_multiply_add(y, a, -p) == 0) {
          const double t = p - c, back = t - p;
          if ((p - (t - back)) + (-c - back) == 0 && t >= 0 && t < 0x1p53) {
            const auto whole = static_cast<std::int64_t>(t);
            if (static_cast<double>(whole) == t && (whole & mask) == 0 && (whole >> fraction) < bins)
              return whole >> fraction;
          }
        }
      }
      const std::int64_t k = (u + near) >> fraction;
      if (k <= 0) return 0;
      if (k >= bins) return bins - 1;
      return at_or_above(x, k) ? k : k - 1;
    }
    // Edges closer than the rounding errors (bins narrower than the spacing
    // of doubles, or a huge count): the last k with x >= edge(k), by bisection.
    std::int64_t first = 0, last = bins - 1;
    while (first < last) {
      const std::int64_t mid = first + (last - first + 1) / 2;
      if (at_or_above(x, mid)) first = mid;
      else last = mid - 1;
    }
    return first;
  }

  /// Whether x >= edge(k), 0 < k < bins: the real edge e = lo + k (hi - lo)
  /// / bins rounds to x or below it exactly when e <= x, or e lies below the
  /// midpoint m between x and the next double up, or on it with x even.
  KOKKOS_INLINE_FUNCTION bool at_or_above(double x, std::int64_t k) const {
    const auto n = static_cast<std::uint64_t>(bins), below = static_cast<std::uint64_t>(bins - k),
               above = static_cast<std::uint64_t>(k);
    {  // bins x - (bins - k) lo - k hi = bins (x - e)
      const double terms[3] = {x, lo, hi};
      const std::uint64_t counts[3] = {n, below, above};
      const bool subtract[3] = {false, true, true};
      if (exact_sign_of_sum(terms, counts, subtract) >= 0) return true;
    }
    std::uint64_t bits;
    std::memcpy(&bits, &x, sizeof bits);
    // The next double up: one more in magnitude, one less for negatives,
    // the smallest subnormal after a zero (x < hi, so never past DBL_MAX).
    const std::uint64_t up_bits =
        (bits << 1) == 0 ? 1 : (bits >> 63) ? bits - 1 : bits + 1;
    double up;
    std::memcpy(&up, &up_bits, sizeof up);
    // bins (x + up) - 2 (bins - k) lo - 2 k hi = 2 bins (m - e)
    const double terms[4] = {x, up, lo, hi};
    const std::uint64_t counts[4] = {n, n, 2 * below, 2 * above};
    const bool subtract[4] = {false, false, true, true};
    const int side = exact_sign_of_sum(terms, counts, subtract);
    return side > 0 || (side == 0 && (bits & 1) == 0);
  }
};

/// Equal bins of a view's values (converted to double).
template <class View, bool Pre>
struct equal_bins {
  View v;
  equal_bin_map map;
  KOKKOS_INLINE_FUNCTION std::int64_t operator()(std::int64_t i) const {
    return map.template bin<Pre>(static_cast<double>(v(i)));
  }
};

/// Integer bin indices as given; -1 outside [0, bins).
template <class View>
struct given_bins {
  View v;
  std::int64_t bins;
  KOKKOS_INLINE_FUNCTION std::int64_t operator()(std::int64_t i) const {
    const auto b = v(i);
    if constexpr (std::is_signed_v<decltype(b)>) {
      if (b < 0) return -1;
    }
    return static_cast<std::int64_t>(b) < bins ? static_cast<std::int64_t>(b) : -1;
  }
};

template <class BinOf, class Private>
struct private_count_functor {
  BinOf bin_of;
  Private counts;  // tiles x bins
  tiling tiles;
  std::int64_t bins;
  KOKKOS_INLINE_FUNCTION void operator()(std::int64_t t) const {
    for (std::int64_t b = 0; b < bins; ++b) counts(t, b) = 0;
    // A local copy: read through `this`, the bin map's members would be
    // reloaded after every count (they could alias the counts).
    const BinOf local = bin_of;
    const std::int64_t end = tiles.end(t);
    for (std::int64_t i = tiles.begin(t); i < end; ++i) {
      const std::int64_t b = local(i);
      if (b >= 0) ++counts(t, b);
    }
  }
};

template <class Private, class Counts>
struct sum_rows_functor {
  Private rows;
  Counts counts;
  std::int64_t tiles;
  KOKKOS_INLINE_FUNCTION void operator()(std::int64_t b) const {
    std::int64_t sum = 0;
    for (std::int64_t t = 0; t < tiles; ++t) sum += rows(t, b);
    counts(b) = sum;
  }
};

template <class BinOf, class Counts>
struct atomic_count_functor {
  BinOf bin_of;
  Counts counts;
  KOKKOS_INLINE_FUNCTION void operator()(std::int64_t i) const {
    const std::int64_t b = bin_of(i);
    if (b >= 0) Kokkos::atomic_add(&counts(b), std::int64_t(1));
  }
};

template <class View>
struct zero_functor {
  View v;
  KOKKOS_INLINE_FUNCTION void operator()(std::int64_t i) const { v(i) = 0; }
};

/// counts(b) = how many i have bin_of(i) == b, over [0, n). Does not block.
template <class Exec, class BinOf, class Counts>
void count_bins(const Exec& exec, std::int64_t n, const BinOf& bin_of, const Counts& counts, const char* label) {
  const std::int64_t bins = extent(counts);
  if (bins == 0) return;
  const tiling tiles = make_tiling(exec, n);
  if (host_kernels<Exec> && tiles.count > 0 && bins <= tiles.size) {
    Kokkos::View<std::int64_t**, Kokkos::LayoutRight, typename Exec::memory_space> rows(
        Kokkos::view_alloc(Kokkos::WithoutInitializing, std::string("weft::histogram::rows")),
        static_cast<std::size_t>(tiles.count), static_cast<std::size_t>(bins));
    Kokkos::parallel_for(label, range(exec, tiles.count),
                         private_count_functor<BinOf, decltype(rows)>{bin_of, rows, tiles, bins});
    Kokkos::parallel_for(label, range(exec, bins), sum_rows_functor<decltype(rows), Counts>{rows, counts, tiles.count});
  } else {
    Kokkos::parallel_for(label, range(exec, bins), zero_functor<Counts>{counts});
    if (n > 0) Kokkos::parallel_for(label, range(exec, n), atomic_count_functor<BinOf, Counts>{bin_of, counts});
  }
}

}  // namespace weft::detail
