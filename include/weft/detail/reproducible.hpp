// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
#pragma once
// Kernels of the reproducible sums (reproducible.hpp): binned summation on
// a fixed grid, after ReproBLAS (Demmel, Ahrens, Nguyen, "Efficient
// reproducible floating point summation and BLAS", 2016), with integer bins.
//
// The grid: bin g (g = 0 .. 65) has the unit u_g = 2^(32 g - 1074); the
// bins of all doubles, 32 bits apart. A value x is cut into slices from the
// top down: s_g(x) = RN(r / u_g) u_g, r -= s_g, rounding to nearest, ties to
// even. Every x with |x| <= 2^31 u_g has s_h(x) = 0 for h > g, so the slices
// below any bin that high are the same whichever bin the cutting starts at.
// An accumulator keeps the counts s_g / u_g, summed as 64-bit integers, of
// the three bins I, I-1, I-2, where I is the top index of the largest value
// deposited (index_of); whatever lies below bin I-2 is dropped. Integer sums
// are exact and associative, and raising I only drops bins whose contents
// are themselves exact sums of slices, so the accumulator of a set of values
// is a function of the set alone: of no order, grouping, thread count, rank
// count or backend. Its value is the sum of the three bins to within one
// ulp, by a fixed formula of the bins alone (repro_value).
//
// Error: each value loses |r| <= u_{I-2} / 2 <= 2^-64 max|x|, so
// |result - exact sum| <= n 2^-64 max|x| + one ulp of the result.
// Limits: up to 2^32 values per accumulator (the bins' headroom).

#include "../error.hpp"
#include "../functional.hpp"
#include "host_loops.hpp"
#include "policy.hpp"

#include <Kokkos_Core.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <iterator>
#include <limits>
#include <type_traits>
#include <vector>

namespace weft::detail {

template <class Op>
inline constexpr bool is_reproducible_plus = false;
template <class U>
inline constexpr bool is_reproducible_plus<reproducible_plus<U>> = true;

/// Whether folding with Op into a T takes the reproducible path: weft's
/// reproducible_plus on float or double (on integers it is plain plus).
template <class Op, class T>
concept reproducible_fold =
    is_reproducible_plus<std::remove_cvref_t<Op>> && (std::is_same_v<T, float> || std::is_same_v<T, double>);

/// The state of a reproducible sum: what the algorithms fold, the ranks
/// exchange and scans carry. Trivially copyable, no padding.
struct repro_sum {
  std::int32_t index;    // grid index of bin[0]; 0 until something is added
  std::uint32_t special;  // 1: NaN seen, 2: +inf seen, 4: -inf seen
  std::uint64_t bin[3];   // two's complement counts of bins index, index-1, index-2 (wrapping)
};

inline constexpr int repro_bin_bits = 32;
inline constexpr int repro_max_index = 65;     // index_of the largest double
inline constexpr int repro_unscaled_max = 63;  // above, 1.5 / u_g * 2^52 would overflow

KOKKOS_INLINE_FUNCTION std::uint64_t bits_of(double x) {
  std::uint64_t b;
  std::memcpy(&b, &x, sizeof b);
  return b;
}

KOKKOS_INLINE_FUNCTION double from_bits(std::uint64_t b) {
  double x;
  std::memcpy(&x, &b, sizeof x);
  return x;
}

/// 2^e for -1074 <= e <= 1023, from its bits (device code has no ldexp we
/// trust to be exact); 0 below 2^-1074, as in IEEE arithmetic (the windows
/// of the lowest top indexes reach there, and only zeros reach those bins).
KOKKOS_INLINE_FUNCTION double pow2(int e) {
  if (e < -1074) return 0.0;
  return e >= -1022 ? from_bits(static_cast<std::uint64_t>(e + 1023) << 52)
                    : from_bits(std::uint64_t(1) << (e + 1074));
}

/// The most values one reproducible sum takes, init included: each adds
/// at most 2^31 to a bin's 64-bit count, so 2^32 of them cannot overflow it.
inline constexpr std::int64_t repro_max_values = std::int64_t(1) << 32;

/// Refuses a sum of more values than the bins hold (a wrong sum, silently,
/// otherwise). `n` counts the values of the whole call, on every rank.
inline void check_repro_count(const char* algorithm, std::int64_t n) {
  require(n < repro_max_values, algorithm, ": weft::reproducible_plus sums at most 2^32 - 1 values in one call",
          " (the headroom of its 64-bit bins), and this call has ", n);
}

/// The product of extents (all > 0), or INT64_MAX if it would pass it.
template <class Extents>
std::int64_t saturated_product(const Extents& n) {
  std::int64_t points = 1;
  for (std::size_t d = 0; d < std::size(n); ++d)
    points = n[d] > std::numeric_limits<std::int64_t>::max() / points ? std::numeric_limits<std::int64_t>::max()
                                                                       : points * n[d];
  return points;
}

/// The top bin index a finite value needs: the smallest g (from the
/// exponent field alone) with |x| <= 2^31 u_g. 1 for zero and subnormals.
KOKKOS_INLINE_FUNCTION int index_of_exponent(std::uint64_t exponent_field) {
  return static_cast<int>((exponent_field + 52) >> 5);
}
KOKKOS_INLINE_FUNCTION int index_of(double x) { return index_of_exponent((bits_of(x) >> 52) & 0x7ff); }

/// The extractors of the three bins below a top index: M_k = 1.5 * 2^52 u,
/// so that (M_k + r) - M_k is r rounded to a multiple of u, ties to even.
/// Top indexes above repro_unscaled_max work on values scaled by 2^-32
/// per bin too high (exact for every value whose slices there are not 0).
struct repro_window {
  double scale;
  double m[3];
  std::uint64_t m_bits[3];

  KOKKOS_INLINE_FUNCTION explicit repro_window(int index) {
    const int shift = index > repro_unscaled_max ? index - repro_unscaled_max : 0;
    scale = pow2(-repro_bin_bits * shift);
    for (int k = 0; k < 3; ++k) {
      // 1.5 * 2^(32 g - 1022) for the (scaled) bin g; for g = -1 (top index
      // 1) a subnormal, but only zeros reach that bin (see deposit).
      m[k] = 1.5 * pow2(repro_bin_bits * (index - shift - k) - 1022);
      m_bits[k] = bits_of(m[k]);
    }
  }

  /// Adds the slices of finite x (index_of(x) <= the window's index) to the
  /// counts, each count offset by m_bits: the caller subtracts those once.
  /// Every step is exact: M + r stays in M's binade (|r| <= 2^31 u), and the
  /// remainder r - q fits in a double. The count of a slice is the
  /// difference of the bits of M + r and M. (A bin below 2^-1074 sees only
  /// zeros: every double is a multiple of u_0 = 2^-1074.)
  KOKKOS_INLINE_FUNCTION void deposit_offset(std::uint64_t& c0, std::uint64_t& c1, std::uint64_t& c2,
                                             double x) const {
    deposit_offset_unscaled(c0, c1, c2, x * scale);
  }
  KOKKOS_INLINE_FUNCTION void deposit_offset_unscaled(std::uint64_t& c0, std::uint64_t& c1, std::uint64_t& c2,
                                                      double r0) const {
    const double t0 = add_rn(m[0], r0);
    c0 += bits_of(t0);
    const double r1 = r0 - (t0 - m[0]);
    const double t1 = add_rn(m[1], r1);
    c1 += bits_of(t1);
    const double r2 = r1 - (t1 - m[1]);
    const double t2 = add_rn(m[2], r2);
    c2 += bits_of(t2);
  }

  KOKKOS_INLINE_FUNCTION void deposit(repro_sum& acc, double x) const {
    std::uint64_t c0 = 0, c1 = 0, c2 = 0;
    deposit_offset(c0, c1, c2, x);
    acc.bin[0] += c0 - m_bits[0];
    acc.bin[1] += c1 - m_bits[1];
    acc.bin[2] += c2 - m_bits[2];
  }

  // nvcc would contract f(x) * y + M into one fused multiply-add, and round
  // the product differently from the host: __dadd_rn is never contracted.
  KOKKOS_INLINE_FUNCTION static double add_rn(double a, double b) {
#if defined(__CUDA_ARCH__)
    return __dadd_rn(a, b);
#else
    return a + b;
#endif
  }
};

KOKKOS_INLINE_FUNCTION void repro_init(repro_sum& acc) {
  acc.index = 0;
  acc.special = 0;
  acc.bin[0] = acc.bin[1] = acc.bin[2] = 0;
}

/// The accumulator of no values.
KOKKOS_INLINE_FUNCTION repro_sum repro_empty() { return repro_sum{0, 0u, {0, 0, 0}}; }

/// Moves acc's top bin up to `index` (>= acc.index), dropping the bins that
/// fall off the bottom: their contents are sums of slices the higher window
/// does not keep for any value.
KOKKOS_INLINE_FUNCTION void repro_raise(repro_sum& acc, int index) {
  const int d = index - acc.index;
  if (d <= 0) return;
  for (int k = 2; k >= 0; --k) acc.bin[k] = k >= d ? acc.bin[k - d] : 0;
  acc.index = index;
}

/// Adds one value of any kind: NaN and infinities are remembered aside.
KOKKOS_INLINE_FUNCTION void repro_add(repro_sum& acc, double x) {
  const std::uint64_t b = bits_of(x);
  const std::uint64_t exponent = (b >> 52) & 0x7ff;
  if (exponent == 0x7ff) {
    acc.special |= (b & 0xfffffffffffffull) ? 1u : ((b >> 63) ? 4u : 2u);
    return;
  }
  repro_raise(acc, index_of_exponent(exponent));
  repro_window(acc.index).deposit(acc, x);
}

/// dst = the accumulator of both sets of values (commutative, associative, exact).
KOKKOS_INLINE_FUNCTION void repro_join(repro_sum& dst, const repro_sum& src) {
  dst.special |= src.special;
  repro_sum s = src;
  if (s.index > dst.index) repro_raise(dst, s.index);
  else repro_raise(s, dst.index);
  for (int k = 0; k < 3; ++k) dst.bin[k] += s.bin[k];
}

/// The sum of bins (index, index-1, index-2) holding counts b0, b1, b2, as
/// a double within one ulp (faithfully rounded), in a few operations: what
/// scans pay per element. The lower bins are carried up to 32 bits each,
/// so the value is hi * 2^64 + lo (in units of the bottom bin) with lo
/// taken in [-2^63, 2^63). hi converts exactly up to 2^53 (beyond, lo is
/// below its rounding), lo with an error under half an ulp of any value
/// with hi != 0, and the sum rounds once more: under one ulp in all. A
/// subnormal result is exact (lo then has few significant bits).
KOKKOS_INLINE_FUNCTION double repro_bins_value(int index, std::uint64_t b0, std::uint64_t b1, std::uint64_t b2) {
  const auto c2 = static_cast<std::int64_t>(b2);
  const std::int64_t c1 = static_cast<std::int64_t>(b1) + (c2 >> 32);  // arithmetic shifts: floor division
  std::int64_t hi = static_cast<std::int64_t>(b0) + (c1 >> 32);
  const std::uint64_t low = (static_cast<std::uint64_t>(c1) << 32) | (static_cast<std::uint64_t>(c2) & 0xffffffffull);
  hi += static_cast<std::int64_t>(low >> 63);  // low >= 2^63 is low - 2^64 and one more hi
  const auto lo = static_cast<std::int64_t>(low);
  double d = static_cast<double>(hi) * 18446744073709551616.0 + static_cast<double>(lo);
  // Scale by the bottom bin's unit 2^e in at most two exact steps (a value
  // past the largest double becomes an infinity).
  int e = repro_bin_bits * (index - 2) - 1074;
  if (e < -1000) {
    d *= pow2(-1000);
    e += 1000;
  } else if (e > 1000) {
    d *= pow2(1000);
    e -= 1000;
  }
  return d * pow2(e < 1023 ? e : 1023);
}

/// The value of NaNs and infinities added (special != 0): what IEEE addition gives.
KOKKOS_INLINE_FUNCTION double repro_special_value(std::uint32_t special) {
  if ((special & 1u) || special == 6u) return from_bits(0x7ff8000000000000ull);
  return from_bits(special == 2u ? 0x7ff0000000000000ull : 0xfff0000000000000ull);
}

/// The accumulator's value: the sum of its bins within one ulp, or NaN /
/// an infinity if such values were added.
KOKKOS_INLINE_FUNCTION double repro_value(const repro_sum& acc) {
  if (acc.special) return repro_special_value(acc.special);
  return repro_bins_value(acc.index, acc.bin[0], acc.bin[1], acc.bin[2]);
}

/// A reproducible sum of T (float or double) as the algorithms fold it.
struct repro_fold_functor_base {
  using value_type = repro_sum;
  KOKKOS_INLINE_FUNCTION void init(value_type& acc) const { repro_init(acc); }
  KOKKOS_INLINE_FUNCTION void join(value_type& dst, const value_type& src) const { repro_join(dst, src); }
#if KOKKOS_VERSION < 40000
  KOKKOS_INLINE_FUNCTION void join(volatile value_type& dst, const volatile value_type& src) const {
    repro_join(const_cast<value_type&>(dst), const_cast<const value_type&>(src));
  }
#endif
};

/// Host kernels fold blocks of this many values: small enough to stay in
/// the first-level cache should a block need a second pass.
inline constexpr std::int64_t repro_block = 1024;

/// Independent lanes of the host loops below (element i0 + k into lane
/// k % repro_lanes): a compiler keeps one chain of additions in order, and
/// at -O2 GCC vectorizes only loops of a constant trip count. The lanes'
/// counts are integers, so how the values are spread over them does not
/// matter. 8: the three counts of 8 lanes fill 12 of the 16 SSE registers.
inline constexpr std::int64_t repro_lanes = 8;

/// The largest |x| a window of top index `index` takes, exclusive: values
/// below it have index_of(x) <= index (an exponent field up to 32 index -
/// 21), and NaN, infinities and larger values are not below it. 0 for
/// index 0, which takes nothing (zeros have index 1).
inline double repro_limit(int index) {
  if (index <= 0) return 0.0;
  const int e = repro_bin_bits * index - 21 - 1022;  // 2^e: the first double with a larger exponent field
  return e > 1023 ? std::numeric_limits<double>::infinity() : pow2(e);
}

/// Deposits map(i0) .. map(i1 - 1) into count offsets c (see
/// deposit_offset) with `window`; with Check, returns false as soon as a
/// block of lanes held a value not below `limit` (counts then unusable).
template <bool Check, bool Scaled, class Map>
bool repro_deposit_run(const Map& map, std::int64_t i0, std::int64_t i1, const repro_window& window, double limit,
                       std::uint64_t (&c)[3]) {
  std::uint64_t c0[repro_lanes] = {}, c1[repro_lanes] = {}, c2[repro_lanes] = {};
  const std::int64_t lanes_end = i0 + (i1 - i0) / repro_lanes * repro_lanes;
  for (std::int64_t i = i0; i < lanes_end; i += repro_lanes) {
    double xs[repro_lanes];
    std::uint64_t over = 0;
    WEFT_DETAIL_UNROLL_BLOCK
    for (std::int64_t l = 0; l < repro_lanes; ++l) {
      xs[l] = static_cast<double>(map(i + l));
      if constexpr (Check) over |= !(std::abs(xs[l]) < limit);
    }
    if constexpr (Check) {
      if (over) return false;
    }
    WEFT_DETAIL_UNROLL_BLOCK
    for (std::int64_t l = 0; l < repro_lanes; ++l) {
      if constexpr (Scaled)
        window.deposit_offset(c0[l], c1[l], c2[l], xs[l]);
      else
        window.deposit_offset_unscaled(c0[l], c1[l], c2[l], xs[l]);
    }
  }
  for (std::int64_t i = lanes_end; i < i1; ++i) {
    const double x = static_cast<double>(map(i));
    if constexpr (Check) {
      if (!(std::abs(x) < limit)) return false;
    }
    const std::int64_t l = i - lanes_end;
    if constexpr (Scaled)
      window.deposit_offset(c0[l], c1[l], c2[l], x);
    else
      window.deposit_offset_unscaled(c0[l], c1[l], c2[l], x);
  }
  for (std::int64_t l = 0; l < repro_lanes; ++l) {
    c[0] += c0[l];
    c[1] += c1[l];
    c[2] += c2[l];
  }
  return true;
}

template <bool Check, class Map>
bool repro_deposit_block(const Map& map, std::int64_t i0, std::int64_t i1, repro_sum& acc) {
  const repro_window window(acc.index);
  std::uint64_t c[3] = {0, 0, 0};
  const double limit = Check ? repro_limit(acc.index) : 0.0;
  const bool done = window.scale == 1.0  // all but the top two bins of the grid: no multiplication
                        ? repro_deposit_run<Check, false>(map, i0, i1, window, limit, c)
                        : repro_deposit_run<Check, true>(map, i0, i1, window, limit, c);
  if (!done) return false;
  const std::uint64_t n = static_cast<std::uint64_t>(i1 - i0);
  for (int k = 0; k < 3; ++k) acc.bin[k] += c[k] - n * window.m_bits[k];
  return true;
}

/// Folds map(i0) .. map(i1 - 1) into acc on the host, in one pass when the
/// block's values all fit acc's window (what a block after the first
/// usually finds): deposited as read, with |x| checked against the
/// window's limit. Otherwise (the first block, a larger value, a NaN or an
/// infinity) the block is read again: one pass for its largest exponent (a
/// signed 32-bit maximum of the high words of |x|, which SSE2 vectorizes),
/// then, with the window raised to it, one depositing the block, now in
/// cache. Either way each value is deposited with the window of the
/// largest top index of acc and the block, as one value at a time would be.
template <class Map>
void repro_fold_block(const Map& map, std::int64_t i0, std::int64_t i1, repro_sum& acc) {
  if (repro_deposit_block<true>(map, i0, i1, acc)) return;
  std::int32_t tops[repro_lanes] = {};
  const std::int64_t lanes_end = i0 + (i1 - i0) / repro_lanes * repro_lanes;
  for (std::int64_t i = i0; i < lanes_end; i += repro_lanes) {
    WEFT_DETAIL_UNROLL_BLOCK
    for (std::int64_t l = 0; l < repro_lanes; ++l) {
      const auto high = static_cast<std::int32_t>((bits_of(static_cast<double>(map(i + l))) >> 32) & 0x7fffffffu);
      tops[l] = high > tops[l] ? high : tops[l];
    }
  }
  for (std::int64_t i = lanes_end; i < i1; ++i) {
    const auto high = static_cast<std::int32_t>((bits_of(static_cast<double>(map(i))) >> 32) & 0x7fffffffu);
    tops[0] = high > tops[0] ? high : tops[0];
  }
  std::int32_t top = 0;
  for (std::int64_t l = 0; l < repro_lanes; ++l) top = tops[l] > top ? tops[l] : top;
  const auto exponent = static_cast<std::uint64_t>(top) >> 20;
  if (exponent == 0x7ff) {  // a NaN or an infinity: value by value
    for (std::int64_t i = i0; i < i1; ++i) repro_add(acc, static_cast<double>(map(i)));
    return;
  }
  repro_raise(acc, index_of_exponent(exponent));
  repro_deposit_block<false>(map, i0, i1, acc);
}

/// Host: each work item folds one block.
template <class Map>
struct repro_block_functor : repro_fold_functor_base {
  Map map;
  std::int64_t n;
  void operator()(std::int64_t block, repro_sum& acc) const {
    const std::int64_t i0 = block * repro_block;
    repro_fold_block(map, i0, i0 + repro_block < n ? i0 + repro_block : n, acc);
  }
};

/// Device: value by value.
template <class Map>
struct repro_element_functor : repro_fold_functor_base {
  Map map;
  KOKKOS_INLINE_FUNCTION void operator()(std::int64_t i, repro_sum& acc) const {
    repro_add(acc, static_cast<double>(map(i)));
  }
};

/// The accumulator of map(0) .. map(n-1). Blocks.
template <class Exec, class Map>
repro_sum repro_fold_range(const Exec& exec, const char* label, std::int64_t n, Map map) {
  check_repro_count(label, n);
  repro_sum acc;
  repro_init(acc);
  if (n == 0) return acc;
  if constexpr (host_kernels<Exec>) {
    Kokkos::parallel_reduce(label, range(exec, (n + repro_block - 1) / repro_block),
                            repro_block_functor<Map>{{}, map, n}, acc);
  } else {
    Kokkos::parallel_reduce(label, range(exec, n), repro_element_functor<Map>{{}, map}, acc);
  }
  return acc;
}

/// Over a 2-D or 3-D box, value by value (the order does not matter).
template <class Map>
struct repro_md_functor : repro_fold_functor_base {
  Map map;
  KOKKOS_INLINE_FUNCTION void operator()(std::int64_t i, std::int64_t j, repro_sum& acc) const {
    repro_add(acc, static_cast<double>(map(i, j)));
  }
  KOKKOS_INLINE_FUNCTION void operator()(std::int64_t i, std::int64_t j, std::int64_t k, repro_sum& acc) const {
    repro_add(acc, static_cast<double>(map(i, j, k)));
  }
};

template <class Exec, int Rank, class Map>
repro_sum repro_fold_box(const Exec& exec, const char* label, const point<Rank>& n, Map map) {
  repro_sum acc;
  repro_init(acc);
  for (int d = 0; d < Rank; ++d)
    if (n[d] == 0) return acc;
  check_repro_count(label, saturated_product(n));
  using policy = Kokkos::MDRangePolicy<
      Exec, Kokkos::Rank<static_cast<unsigned>(Rank), Kokkos::Iterate::Right, Kokkos::Iterate::Right>,
      Kokkos::IndexType<std::int64_t>>;
  Kokkos::parallel_reduce(label, policy(exec, point<Rank>{}, n), repro_md_functor<Map>{{}, map}, acc);
  return acc;
}

/// The reproducible sum of init and the accumulated values, as T.
template <class T>
T repro_result(repro_sum acc, const T& init) {
  repro_add(acc, static_cast<double>(init));
  return static_cast<T>(repro_value(acc));
}

// ---- Scans ----

/// repro_bins_value's scaling by the bottom bin's unit, as two factors:
/// (d * a) * b is the bits of its one or two steps (a is 1 when it takes one).
struct repro_value_scale {
  double a, b;
  explicit repro_value_scale(int index) {
    int e = repro_bin_bits * (index - 2) - 1074;
    a = 1.0;
    if (e < -1000) {
      a = pow2(-1000);
      e += 1000;
    } else if (e > 1000) {
      a = pow2(1000);
      e -= 1000;
    }
    b = pow2(e < 1023 ? e : 1023);
  }
};

/// Offsets that bias running counts (b0, b1, b2) for repro_biased_value.
inline constexpr std::uint64_t repro_bias_top =
    0x4338000000000000ull - (std::uint64_t(1) << 31);  // bits of 1.5 * 2^52, less 2^31
inline constexpr std::uint64_t repro_bias_low = std::uint64_t(1) << 63;

/// repro_bins_value(index, b0, b1, b2), bit for bit, from r0 = b0 +
/// repro_bias_top and r1 = b1 + repro_bias_low, r2 = b2 + repro_bias_low
/// (wrapping), in operations SSE2 has for two lanes at once: 64-bit integer
/// adds, logical shifts and masks, and doubles (no 64-bit arithmetic shift,
/// no 64-bit integer conversion). Valid while |b0| < 2^50 and |b1| < 2^62 as
/// signed integers (the scan checks that before each group). The steps:
/// w = b1 + floor(b2 / 2^32) + 2^31 + 2^63 is c1 + 2^31 of repro_bins_value
/// (+ 2^63); its low 32 bits, less 2^31, are lo's signed top half, and
/// floor(w / 2^32) - 2^31 is what c1 adds to hi, carry included. hi
/// (|hi| < 2^51) converts exactly as the bits of 1.5 * 2^52 + hi, lo's two
/// halves as the bits of 2^52 + h; lo's halves then sum with lo's one
/// rounding, and hi * 2^64 + lo rounds once, as the 64-bit conversions of
/// repro_bins_value and its sum do.
KOKKOS_INLINE_FUNCTION double repro_biased_value(std::uint64_t r0, std::uint64_t r1, std::uint64_t r2,
                                                 const repro_value_scale& scale) {
  const std::uint64_t w = r1 + (r2 >> 32);
  const double hi = from_bits(r0 + (w >> 32)) - 0x1.8p52;
  const double lo_top = from_bits((w & 0xffffffffull) | 0x4330000000000000ull) - (0x1p52 + 0x1p31);
  const double lo_bottom = from_bits((r2 & 0xffffffffull) | 0x4330000000000000ull) - 0x1p52;
  const double lo = lo_top * 0x1p32 + lo_bottom;
  return (hi * 0x1p64 + lo) * scale.a * scale.b;
}

/// Host scans: each chunk's accumulator (pass 1), then each chunk rescanned
/// from the accumulator of everything before it (pass 2), writing every
/// prefix's value. The window moves only when a larger value comes.
template <class Map, class Out, bool Exclusive>
struct repro_chunk_scan_functor {
  using out_type = typename Out::non_const_value_type;
  Map map;
  Out out;
  std::int64_t n, chunk;
  const repro_sum* prefix;
  repro_sum* ends;

  // Groups of values that fit the window (what almost every group finds)
  // go in four loops of constant length, three of which vectorize: their
  // values are read and checked against the window's limit, deposited all
  // at once, their running counts formed (the only chain), and each
  // prefix's value computed from its counts (repro_biased_value). One
  // value after another, the latency of the rounding steps would dominate,
  // and the 64-bit conversions of repro_bins_value stay scalar.
  static constexpr std::int64_t group = 64;

  double value(const repro_sum& acc, int index, std::uint64_t b0, std::uint64_t b1, std::uint64_t b2) const {
    return acc.special ? repro_special_value(acc.special) : repro_bins_value(index, b0, b1, b2);
  }

  /// Scans the group at i0 if its values all fit the window (below
  /// `limit`); otherwise returns false, having written nothing.
  template <bool Scaled>
  bool fast_group(std::int64_t i0, std::uint64_t limit_bits, const repro_window& window, const repro_value_scale& scale,
                  std::uint64_t& b0, std::uint64_t& b1, std::uint64_t& b2) const {
    std::uint64_t d0[group], d1[group], d2[group];
    // |x| < limit, compared as bits (the order of non-negative doubles; a
    // NaN's bits are above every limit's): the sign bit of bits(|x|) - bits(limit)
    // is set for each x that fits, and an AND of them all keeps it only if
    // all fit. (GCC 12 vectorizes that at -O2, not a flag or a comparison of doubles.)
    std::uint64_t fits = ~std::uint64_t(0);
    for (std::int64_t k = 0; k < group; ++k) {
      const double x = static_cast<double>(map(i0 + k));  // all read before the writes: in and out may alias
      fits &= (bits_of(x) & 0x7fffffffffffffffull) - limit_bits;
      std::uint64_t c0 = 0, c1 = 0, c2 = 0;
      if constexpr (Scaled)
        window.deposit_offset(c0, c1, c2, x);
      else
        window.deposit_offset_unscaled(c0, c1, c2, x);
      d0[k] = c0 - window.m_bits[0];
      d1[k] = c1 - window.m_bits[1];
      d2[k] = c2 - window.m_bits[2];
    }
    if (!(fits >> 63)) return false;
    std::uint64_t r0 = b0 + repro_bias_top, r1 = b1 + repro_bias_low, r2 = b2 + repro_bias_low;
    for (std::int64_t k = 0; k < group; ++k) {
      if constexpr (!Exclusive) {
        r0 += d0[k];
        r1 += d1[k];
        r2 += d2[k];
      }
      const std::uint64_t s0 = r0, s1 = r1, s2 = r2;
      if constexpr (Exclusive) {
        r0 += d0[k];
        r1 += d1[k];
        r2 += d2[k];
      }
      d0[k] = s0;
      d1[k] = s1;
      d2[k] = s2;
    }
    b0 = r0 - repro_bias_top;
    b1 = r1 - repro_bias_low;
    b2 = r2 - repro_bias_low;
    const repro_value_scale sc = scale;
    double values[group];
    for (std::int64_t k = 0; k < group; ++k) values[k] = repro_biased_value(d0[k], d1[k], d2[k], sc);
    for (std::int64_t k = 0; k < group; ++k) out(i0 + k) = static_cast<out_type>(values[k]);
    return true;
  }

  void operator()(std::int64_t c) const {
    // The running accumulator lives in locals (registers), not behind a
    // reference the writes to out might alias.
    repro_sum acc = prefix[c];
    repro_window window(acc.index);
    repro_value_scale scale(acc.index);
    double limit = repro_limit(acc.index);
    int index = acc.index;
    std::uint64_t b0 = acc.bin[0], b1 = acc.bin[1], b2 = acc.bin[2];
    const std::int64_t end = (c + 1) * chunk < n ? (c + 1) * chunk : n;
    for (std::int64_t i0 = c * chunk; i0 < end; i0 += group) {
      // repro_biased_value's range, with room for a group's counts (each at most 2^31).
      if (end - i0 >= group && acc.special == 0 && b0 + (std::uint64_t(1) << 50) < (std::uint64_t(1) << 51) &&
          b1 + (std::uint64_t(1) << 62) < (std::uint64_t(1) << 63)) [[likely]] {
        if (window.scale == 1.0 ? fast_group<false>(i0, bits_of(limit), window, scale, b0, b1, b2)
                                : fast_group<true>(i0, bits_of(limit), window, scale, b0, b1, b2)) [[likely]]
          continue;
      }
      // A new largest value, a NaN or an infinity in the group, or its end:
      // value by value.
      const std::int64_t m = end - i0 < group ? end - i0 : group;
      double xs[group];  // read before the writes: in and out may alias
      for (std::int64_t k = 0; k < m; ++k) xs[k] = static_cast<double>(map(i0 + k));
      for (std::int64_t k = 0; k < m; ++k) {
        const double x = xs[k];
        if constexpr (Exclusive) out(i0 + k) = static_cast<out_type>(value(acc, index, b0, b1, b2));
        const std::uint64_t e = (bits_of(x) >> 52) & 0x7ff;
        if (e == 0x7ff || index_of_exponent(e) > index) {
          acc.bin[0] = b0;
          acc.bin[1] = b1;
          acc.bin[2] = b2;
          repro_add(acc, x);
          window = repro_window(acc.index);
          scale = repro_value_scale(acc.index);
          limit = repro_limit(acc.index);
          index = acc.index;
          b0 = acc.bin[0];
          b1 = acc.bin[1];
          b2 = acc.bin[2];
        } else {
          std::uint64_t c0 = 0, c1 = 0, c2 = 0;
          window.deposit_offset(c0, c1, c2, x);
          b0 += c0 - window.m_bits[0];
          b1 += c1 - window.m_bits[1];
          b2 += c2 - window.m_bits[2];
        }
        if constexpr (!Exclusive) out(i0 + k) = static_cast<out_type>(value(acc, index, b0, b1, b2));
      }
    }
    acc.bin[0] = b0;
    acc.bin[1] = b1;
    acc.bin[2] = b2;
    ends[c] = acc;
  }
};

template <class Map>
struct repro_chunk_total_functor {
  Map map;
  std::int64_t n, chunk;
  repro_sum* totals;
  void operator()(std::int64_t c) const {
    repro_sum acc;
    repro_init(acc);
    const std::int64_t end = (c + 1) * chunk < n ? (c + 1) * chunk : n;
    for (std::int64_t i = c * chunk; i < end; i += repro_block)
      repro_fold_block(map, i, i + repro_block < end ? i + repro_block : end, acc);
    totals[c] = acc;
  }
};

/// Device scans: Kokkos' parallel_scan with the accumulator as its value.
template <class Map, class Out, bool Exclusive>
struct repro_scan_functor : repro_fold_functor_base {
  using out_type = typename Out::non_const_value_type;
  Map map;
  Out out;
  repro_sum before;
  KOKKOS_INLINE_FUNCTION void operator()(std::int64_t i, repro_sum& update, bool final) const {
    const double x = static_cast<double>(map(i));
    if (Exclusive && final) {
      repro_sum s = before;
      repro_join(s, update);
      out(i) = static_cast<out_type>(repro_value(s));
    }
    repro_add(update, x);
    if (!Exclusive && final) {
      repro_sum s = before;
      repro_join(s, update);
      out(i) = static_cast<out_type>(repro_value(s));
    }
  }
};

/// Scans [0, n), n > 0, from `before` (the accumulator of whatever precedes
/// the range), writing out, and returns the accumulator of everything.
template <bool Exclusive, class Exec, class Map, class Out>
repro_sum repro_scan_range(const Exec& exec, const char* label, std::int64_t n, Map map, const Out& out,
                           const repro_sum& before) {
  check_repro_count(label, n);
  if constexpr (host_kernels<Exec>) {
    const std::int64_t chunks = std::max<std::int64_t>(1, std::min<std::int64_t>(exec.concurrency(), n / 4096));
    const std::int64_t chunk = (n + chunks - 1) / chunks;
    std::vector<repro_sum> scratch(static_cast<std::size_t>(3 * chunks));
    repro_sum* totals = scratch.data();
    repro_sum* prefix = totals + chunks;
    repro_sum* ends = prefix + chunks;
    prefix[0] = before;
    if (chunks > 1) {
      Kokkos::parallel_for(label, range(exec, chunks), repro_chunk_total_functor<Map>{map, n, chunk, totals});
      exec.fence();
      for (std::int64_t c = 1; c < chunks; ++c) {
        prefix[c] = prefix[c - 1];
        repro_join(prefix[c], totals[c - 1]);
      }
    }
    Kokkos::parallel_for(label, range(exec, chunks),
                         repro_chunk_scan_functor<Map, Out, Exclusive>{map, out, n, chunk, prefix, ends});
    exec.fence();
    return ends[chunks - 1];
  } else {
    repro_sum total;
    Kokkos::parallel_scan(label, range(exec, n), repro_scan_functor<Map, Out, Exclusive>{{}, map, out, before}, total);
    repro_join(total, before);
    return total;
  }
}

/// An accumulator holding one value (or nothing).
inline repro_sum repro_of(double x) {
  repro_sum acc;
  repro_init(acc);
  repro_add(acc, x);
  return acc;
}

}  // namespace weft::detail
