// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
#pragma once
// Kernel bodies of histogram (histogram.hpp). Equal bins first find their
// edges, exactly, into a table (a kernel over the edges). On host spaces
// each tile counts into its own row of private counts (no atomics, no
// sharing), and a second kernel adds the rows up bin by bin; devices, and
// host histograms with more bins than elements per tile, count with atomic
// increments.

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

KOKKOS_INLINE_FUNCTION double magnitude(double x) { return x < 0 ? -x : x; }

/// Doubles in order as unsigned integers, -0.0 just below +0.0, and back.
KOKKOS_INLINE_FUNCTION std::uint64_t ordered_bits(double x) {
  std::uint64_t b;
  std::memcpy(&b, &x, sizeof b);
  return (b >> 63) ? ~b : b | (std::uint64_t(1) << 63);
}

KOKKOS_INLINE_FUNCTION double from_ordered_bits(std::uint64_t k) {
  const std::uint64_t b = (k >> 63) ? k & ~(std::uint64_t(1) << 63) : ~k;
  double x;
  std::memcpy(&x, &b, sizeof x);
  return x;
}

/// Value -> bin of `bins` equal bins over [lo, hi): the edges are the
/// doubles nearest lo + k (hi - lo) / bins (real arithmetic, ties to even),
/// and x goes to bin b when edge(b) <= x < edge(b + 1), a value on an edge
/// to the bin above it; -1 outside [lo, hi), NaN too. Any finite lo < hi:
/// the factors are formed on the range scaled by a power of two, so nothing
/// overflows (hi - lo of [-DBL_MAX, DBL_MAX)) or leaves the range of double
/// (bins / (hi - lo) of a subnormal range).
///
/// The edges are found once per call (edge(), a kernel over the table). A
/// value's position t = x a - c (bins times 2^fraction from lo; x pre a - c
/// below 2^-900, where a alone would overflow) costs what a plain
/// histogram's (x - lo) * (bins / (hi - lo)) does; lowered by its error
/// bound, its bin number is x's bin or up to `reach` bins below, and
/// comparisons with the table decide: one comparison, reach being 1,
/// unless the bins are narrower than about a thousand doubles (or more than
/// about 2^42), where a bisection over reach + 1 edges does.
struct equal_bin_map {
  double lo, hi;
  double a, c;          // t = x pre a - c: pre a = 2^fraction bins / (hi - lo), c = lo pre a
  double pre;           // 2^600 for ranges below 2^-900 (a alone would overflow), else 1
  double scale;         // the power of two that takes lo and hi into [-8, 8]
  std::int64_t bins;
  int fraction;         // bits of the position below the bin number
  std::int64_t near;    // bounds t's error, in units of t
  std::int64_t reach;   // candidate(x) is x's bin or up to reach bins below

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
    // near, 7 times the sum and at least 2, bounds how far t lies from
    // 2^fraction b .. 2^fraction (b + 1) for x in bin b.
    const double big = std::max(std::abs(lo_s), std::abs(hi_s));
    const double spread = 1 + big / width + std::ldexp(scale, -1075 + 47) / width;
    const double bound = std::ldexp((static_cast<double>(bins) + 1) * spread, fraction - 44) + 2;
    const std::int64_t near = bound < 0x1p61 ? static_cast<std::int64_t>(bound) : std::int64_t(1) << 61;
    const std::int64_t reach = (2 * near + (std::int64_t(1) << fraction) - 1) >> fraction;
    const double pre = scale > 0x1p900 ? 0x1p600 : 1.0;  // x pre is exact: |x| < 2^-900
    const double a = (scale / pre) * per_unit, c = lo_s * per_unit;
    return {lo, hi, a, c, pre, scale, bins, fraction, near, reach};
  }

  /// For x in bin b (lo <= x < hi): a bin number from b - reach to b.
  template <bool Pre>
  KOKKOS_INLINE_FUNCTION std::int64_t candidate(double x) const {
    // t lies within [2^fraction b - near, 2^fraction (b + 1) + near), so
    // the cast is defined, and u - near within [2^fraction b - 2 near,
    // 2^fraction (b + 1)) (truncation moves t by under 1, towards zero).
    const auto u = static_cast<std::int64_t>((Pre ? x * pre : x) * a - c);
    return (u - near) >> fraction;
  }

  /// Edge k, 0 <= k <= bins. Most edges come from floating point with a
  /// bound on its error (nearest()); the rest (an edge at or near zero in a
  /// wide range, ties, subnormals) are the least double at or above the
  /// edge by exact tests (at_or_above), searched outward from the estimate,
  /// doubling the step, then by bisection: two tests when the estimate is
  /// right or one double off, about 130 at worst.
  KOKKOS_FUNCTION double edge(std::int64_t k) const {
    if (k <= 0) return lo;
    if (k >= bins) return hi;
    double estimate;
    if (nearest(k, estimate)) return estimate;
    std::uint64_t first = ordered_bits(lo), last = ordered_bits(hi);  // holds the edge; last is at or above it
    std::uint64_t g = ordered_bits(estimate);
    g = g < first ? first : g > last ? last : g;
    if (at_or_above(g, k)) {
      last = g;
      for (std::uint64_t step = 1; first < last; step *= 2) {
        const std::uint64_t probe = last - first > step ? last - step : first;
        if (!at_or_above(probe, k)) {
          first = probe + 1;
          break;
        }
        last = probe;
      }
    } else {
      first = g + 1;
      for (std::uint64_t step = 1; first < last; step *= 2) {
        const std::uint64_t probe = last - first > step ? first + step - 1 : last;
        if (at_or_above(probe, k)) {
          last = probe;
          break;
        }
        first = probe + 1;
      }
    }
    while (first < last) {
      const std::uint64_t mid = first + (last - first) / 2;
      if (at_or_above(mid, k))
        last = mid;
      else
        first = mid + 1;
    }
    return from_ordered_bits(first);
  }

  /// Sets y to an estimate of edge(k), 0 < k < bins, and says whether it
  /// is certainly the edge. In the scaled range, S = (bins - k) lo_s +
  /// k hi_s = bins e is s + r: s the rounded sum of the products, r the
  /// error terms (fma for the products' low parts, two-sum for the sum's).
  /// y = fl(fl(s + r) / bins), corrected once, is the edge when the
  /// residual S - bins y, known to within `error`, lies inside (-bins/2 of
  /// the gap below y, bins/2 of the gap above) by more than that. Not sure
  /// (about one edge in 2^45 at random, and the exact search decides): an
  /// edge near a midpoint between doubles, a sum that cancels to near zero,
  /// an edge that would be subnormal unscaled (a second rounding).
  KOKKOS_INLINE_FUNCTION bool nearest(std::int64_t k, double& y) const {
    const double lo_s = lo * scale, hi_s = hi * scale, n = static_cast<double>(bins);
    const double below = static_cast<double>(bins - k), above = static_cast<double>(k);
    const double p1 = below * lo_s, p2 = above * hi_s;
    const double p1_low = fused_multiply_add(below, lo_s, -p1), p2_low = fused_multiply_add(above, hi_s, -p2);
    const double s = p1 + p2, back = s - p1;
    const double r = ((p1 - (s - back)) + (p2 - back)) + p1_low + p2_low;
    y = (s + r) / n;
    const double q = n * y, q_low = fused_multiply_add(n, y, -q);
    const double d = s - q;
    double residual = d + (r - q_low);
    // Two roundings can leave y a double off: step by residual / n, and
    // take the step times n off the residual.
    const double moved = y + residual / n;
    const double shift = (moved - y) * n;
    residual -= shift;
    // r's two additions err by under 4.1 2^-106 (|p1| + |p2|); the
    // residual's four operations by under 2^-52 of their terms each
    // (counted at 2^-50). Underflow (lo_s, hi_s, the low parts) loses
    // under 2^52 2^-1075 + 3 2^-1075: 2^-1000 covers it, and where y's
    // spacing is as small (y near zero) nothing is sure.
    const double error =
        (magnitude(p1) + magnitude(p2)) * 0x1p-100 +
        (magnitude(d) + magnitude(r) + magnitude(q_low) + magnitude(shift) + magnitude(residual)) * 0x1p-50 + 0x1p-1000;
    y = moved;
    const std::uint64_t i = ordered_bits(y);
    const double gap_up = from_ordered_bits(i + 1) - y, gap_down = y - from_ordered_bits(i - 1);
    const bool sure = residual + error < 0.5 * n * gap_up && residual - error > -0.5 * n * gap_down;
    y /= scale;
    return sure && magnitude(y) >= 0x1p-1021;
  }

  /// Whether the double x of ordered bits i, lo <= x <= hi, is >= edge(k),
  /// 0 < k < bins. hi is; below it, the real edge e = lo + k (hi - lo) /
  /// bins rounds to x or below exactly when e lies below the midpoint m
  /// between x and the next double up, or on it with x even.
  KOKKOS_INLINE_FUNCTION bool at_or_above(std::uint64_t i, std::int64_t k) const {
    const double x = from_ordered_bits(i);
    if (x >= hi) return true;
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
    const auto n = static_cast<std::uint64_t>(bins);
    const std::uint64_t counts[4] = {n, n, 2 * (n - static_cast<std::uint64_t>(k)), 2 * static_cast<std::uint64_t>(k)};
    const bool subtract[4] = {false, false, true, true};
    const int side = exact_sign_of_sum(terms, counts, subtract);
    return side > 0 || (side == 0 && (bits & 1) == 0);
  }
};

/// The edge table of a map: edges(k) = edge(k), k = 0 .. bins.
template <class Edges>
struct edge_table_functor {
  Edges edges;
  equal_bin_map map;
  KOKKOS_INLINE_FUNCTION void operator()(std::int64_t k) const { edges(k) = map.edge(k); }
};

template <class Exec>
Kokkos::View<double*, typename Exec::memory_space> equal_bin_edges(const Exec& exec, const equal_bin_map& map) {
  Kokkos::View<double*, typename Exec::memory_space> edges(
      Kokkos::view_alloc(Kokkos::WithoutInitializing, std::string("weft::histogram::edges")),
      static_cast<std::size_t>(map.bins + 1));
  Kokkos::parallel_for("weft::histogram", range(exec, map.bins + 1), edge_table_functor<decltype(edges)>{edges, map});
  return edges;
}

/// Equal bins of a view's values (converted to double). Pre: the map's pre
/// != 1 (tiny ranges); Wide: its reach > 1 (bins narrower than about a
/// thousand doubles, or more than about 2^42 bins).
template <class View, class Edges, bool Pre, bool Wide>
struct equal_bins {
  View v;
  equal_bin_map map;
  Edges edges;  // equal_bin_edges(exec, map)
  KOKKOS_INLINE_FUNCTION std::int64_t operator()(std::int64_t i) const {
    const auto x = static_cast<double>(v(i));
    if (!(x >= map.lo && x < map.hi)) return -1;  // NaN too
    const std::int64_t k = map.template candidate<Pre>(x);
    if constexpr (!Wide) {
      // x's bin or the one below (-1 .. bins - 1): one comparison decides.
      return k + (x >= edges(k + 1));
    } else {
      // The last bin from k to k + reach whose edge is <= x, by bisection.
      std::int64_t first = k < 0 ? 0 : k, last = k + map.reach;
      last = last > map.bins - 1 ? map.bins - 1 : last;
      while (first < last) {
        const std::int64_t mid = first + (last - first + 1) / 2;
        if (x >= edges(mid))
          first = mid;
        else
          last = mid - 1;
      }
      return first;
    }
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
    // Local copies: read through `this`, the bin map's members and the
    // counts' pointer and stride would be reloaded after every count (they
    // could alias the counts).
    const auto row = Kokkos::subview(counts, t, Kokkos::ALL);
    for (std::int64_t b = 0; b < bins; ++b) row(b) = 0;
    const BinOf local = bin_of;
    const std::int64_t end = tiles.end(t);
    for (std::int64_t i = tiles.begin(t); i < end; ++i) {
      const std::int64_t b = local(i);
      if (b >= 0) ++row(b);
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

template <bool Pre, bool Wide, class Exec, class View, class Edges, class Counts>
void count_equal_bins_as(const Exec& exec, const View& v, const equal_bin_map& map, const Edges& edges,
                         const Counts& counts) {
  count_bins(exec, extent(v), equal_bins<View, Edges, Pre, Wide>{v, map, edges}, counts, "weft::histogram");
}

/// counts(b) = how many values of v lie in bin b of map: the edge table
/// (none for no values), then the counts. Does not block.
template <class Exec, class View, class Counts>
void count_equal_bins(const Exec& exec, const View& v, const equal_bin_map& map, const Counts& counts) {
  using edges_t = Kokkos::View<const double*, typename Exec::memory_space>;
  const edges_t edges = extent(v) > 0 ? edges_t(equal_bin_edges(exec, map)) : edges_t();
  const bool pre = map.pre != 1, wide = map.reach > 1;
  if (!pre && !wide)
    count_equal_bins_as<false, false>(exec, v, map, edges, counts);
  else if (!pre)
    count_equal_bins_as<false, true>(exec, v, map, edges, counts);
  else if (!wide)
    count_equal_bins_as<true, false>(exec, v, map, edges, counts);
  else
    count_equal_bins_as<true, true>(exec, v, map, edges, counts);
}

}  // namespace weft::detail
