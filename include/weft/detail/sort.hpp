// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
#pragma once
// Kernel bodies of the sorts (sort.hpp): an LSD radix sort for arithmetic
// keys in their natural order (weft::less / weft::greater), and a merge sort
// for any other strict weak ordering. Both are stable and run the same code
// on every backend; only the tiling and the radix digit width differ.

#include "config.hpp"
#include "../functional.hpp"
#include "fold.hpp"
#include "for_each.hpp"
#include "policy.hpp"
#include "tiles.hpp"

#include <Kokkos_Core.hpp>

#include <algorithm>
#include <bit>
#include <cstdint>
#include <cstring>
#include <type_traits>
#include <vector>

namespace weft::detail {

// ---------------------------------------------------------------------------
// Radix keys

template <std::size_t Bytes>
struct unsigned_bits;
template <>
struct unsigned_bits<1> {
  using type = std::uint8_t;
};
template <>
struct unsigned_bits<2> {
  using type = std::uint16_t;
};
template <>
struct unsigned_bits<4> {
  using type = std::uint32_t;
};
template <>
struct unsigned_bits<8> {
  using type = std::uint64_t;
};

/// Keys the radix sort takes: integers of 8 to 64 bits, float, double.
template <class K>
concept radix_key = std::is_arithmetic_v<K> && (sizeof(K) == 1 || sizeof(K) == 2 || sizeof(K) == 4 ||
                                                (sizeof(K) == 8 && (std::is_integral_v<K> || std::is_same_v<K, double>)));

/// The key as an unsigned integer in sort order. Signed integers: the sign
/// bit flipped. Floats: negative values have all bits flipped, others the
/// sign bit set; -0 is taken as +0 (they compare equal, so a stable sort
/// keeps them in input order) and every NaN becomes the largest value, after
/// +inf. Descending order complements all but the NaNs, which stay last.
template <class K, bool Descending>
struct radix_bits {
  using type = typename unsigned_bits<sizeof(K)>::type;
  static constexpr int width = 8 * static_cast<int>(sizeof(K));

  KOKKOS_INLINE_FUNCTION static type get(const K& key) {
    constexpr type top = static_cast<type>(type(1) << (width - 1));
    type b;
    if constexpr (std::is_floating_point_v<K>) {
      if (key != key) return static_cast<type>(~type(0));
      const K k = key == K(0) ? K(0) : key;
      memcpy(&b, &k, sizeof(K));
      b = (b & top) ? static_cast<type>(~b) : static_cast<type>(b | top);
    } else if constexpr (std::is_signed_v<K>) {
      b = static_cast<type>(static_cast<type>(key) ^ top);
    } else {
      b = static_cast<type>(key);
    }
    if constexpr (Descending) b = static_cast<type>(~b);
    return b;
  }
};

/// 1: Comp is weft::less on a radix key (ascending radix sort); -1:
/// weft::greater (descending); 0: any other comparison (merge sort).
template <class Comp, class K>
struct radix_order : std::integral_constant<int, 0> {};
template <class U, class K>
  requires(radix_key<K> && (std::is_void_v<U> || std::is_same_v<U, K>))
struct radix_order<less<U>, K> : std::integral_constant<int, 1> {};
template <class U, class K>
  requires(radix_key<K> && (std::is_void_v<U> || std::is_same_v<U, K>))
struct radix_order<greater<U>, K> : std::integral_constant<int, -1> {};

/// The order the radix sort puts keys in, as a comparison (NaNs last, -0
/// equal to +0): what searches in sorted data must use.
template <class K, bool Descending>
struct radix_less {
  KOKKOS_INLINE_FUNCTION bool operator()(const K& a, const K& b) const {
    return radix_bits<K, Descending>::get(a) < radix_bits<K, Descending>::get(b);
  }
};

/// The strict weak ordering weft::sort(..., comp) really sorts by.
template <class K, class Comp>
auto effective_order(const Comp& comp) {
  if constexpr (radix_order<Comp, K>::value == 0) return comp;
  else return radix_less<K, (radix_order<Comp, K>::value < 0)>{};
}

/// Bits set in every key (AND) and in some key (OR): their difference is the
/// bits that vary, the only ones the radix sort needs to look at.
template <class Keys, class Bits>
struct bit_range_functor {
  using bits_type = typename Bits::type;
  struct value_type {
    bits_type all;
    bits_type any;
  };
  Keys keys;
  KOKKOS_INLINE_FUNCTION void operator()(std::int64_t i, value_type& acc) const {
    const bits_type b = Bits::get(keys(i));
    acc.all = static_cast<bits_type>(acc.all & b);
    acc.any = static_cast<bits_type>(acc.any | b);
  }
  KOKKOS_INLINE_FUNCTION void init(value_type& acc) const {
    acc.all = static_cast<bits_type>(~bits_type(0));
    acc.any = 0;
  }
  KOKKOS_INLINE_FUNCTION void join(value_type& dst, const value_type& src) const {
    dst.all = static_cast<bits_type>(dst.all & src.all);
    dst.any = static_cast<bits_type>(dst.any | src.any);
  }
  WEFT_DETAIL_VOLATILE_JOIN(value_type)
};

/// Each tile's count of every digit value, digit-major: counts(d * tiles + t),
/// so that one exclusive sum gives every tile's first slot for every digit.
template <int MaxDigits, class Bits, class Keys, class Counts>
struct radix_count_functor {
  Keys keys;
  Counts counts;
  tiling tiles;
  int shift;
  int digits;
  KOKKOS_INLINE_FUNCTION void operator()(std::int64_t t) const {
    std::int64_t c[1 << MaxDigits];
    const int buckets = 1 << digits;
    const auto mask = static_cast<typename Bits::type>(buckets - 1);
    for (int d = 0; d < buckets; ++d) c[d] = 0;
    const std::int64_t end = tiles.end(t);
    for (std::int64_t i = tiles.begin(t); i < end; ++i) ++c[(Bits::get(keys(i)) >> shift) & mask];
    for (int d = 0; d < buckets; ++d) counts(d * tiles.count + t) = c[d];
  }
};

/// Moves each tile's keys (and values) to their slots, in tile order: stable.
/// With ScanInside (host spaces, a few tiles), every tile sums the raw counts
/// before its slots itself, which saves a scan kernel per pass; otherwise
/// the counts have been turned into slots by an exclusive sum.
template <int MaxDigits, bool ScanInside, class Bits, class KeysIn, class ValuesIn, class KeysOut, class ValuesOut,
          class Counts>
struct radix_scatter_functor {
  KeysIn keys_in;
  ValuesIn values_in;
  KeysOut keys_out;
  ValuesOut values_out;
  Counts counts;
  tiling tiles;
  int shift;
  int digits;
  KOKKOS_INLINE_FUNCTION void operator()(std::int64_t t) const {
    std::int64_t slot[1 << MaxDigits];
    const int buckets = 1 << digits;
    const auto mask = static_cast<typename Bits::type>(buckets - 1);
    if constexpr (ScanInside) {
      std::int64_t before = 0;
      for (int d = 0; d < buckets; ++d) {
        std::int64_t earlier_tiles = 0;
        for (std::int64_t u = 0; u < t; ++u) earlier_tiles += counts(d * tiles.count + u);
        slot[d] = before + earlier_tiles;
        for (std::int64_t u = 0; u < tiles.count; ++u) before += counts(d * tiles.count + u);
      }
    } else {
      for (int d = 0; d < buckets; ++d) slot[d] = counts(d * tiles.count + t);
    }
    const std::int64_t end = tiles.end(t);
    for (std::int64_t i = tiles.begin(t); i < end; ++i) {
      const auto key = keys_in(i);
      const std::int64_t to = slot[(Bits::get(key) >> shift) & mask]++;
      keys_out(to) = key;
      if constexpr (has_values<ValuesOut>) values_out(to) = values_in(i);
    }
  }
};

/// Widest digit of the radix passes. Host: up to 2048 buckets per thread
/// (16 KiB of counts, in L1), so 32-bit keys take 3 passes and 64-bit keys 6:
/// the passes are memory bound, and fewer of them move fewer bytes.
/// Devices: 16 buckets, counted in registers by one thread per tile.
template <bool Host>
inline constexpr int radix_max_digits = Host ? 11 : 4;

/// Stable LSD radix sort of keys (and values along) in radix_bits order.
/// On host spaces one reduction first finds the key bits that vary, and the
/// passes cover only those (e.g. one pass for keys in [0, 256)); that reads
/// a value to the host, which host kernels have finished anyway. Devices
/// run every pass without waiting. `Host` picks the host or the device
/// layout (tests run both on host spaces).
template <int Direction, class Exec, class Keys, class Values, bool Host = host_kernels<Exec>>
void radix_sort(const Exec& exec, const Keys& keys, const Values& values, const char* label) {
  using K = element_t<Keys>;
  using bits = radix_bits<K, (Direction < 0)>;
  using bits_type = typename bits::type;
  constexpr int max_digits = radix_max_digits<Host>;
  const std::int64_t n = extent(keys);
  if (n < 2) return;

  bits_type varying = static_cast<bits_type>(~bits_type(0));
  if constexpr (Host) {
    typename bit_range_functor<Keys, bits>::value_type range_of_bits;
    Kokkos::parallel_reduce(label, range(exec, n), bit_range_functor<Keys, bits>{keys}, range_of_bits);
    varying = static_cast<bits_type>(range_of_bits.any & ~range_of_bits.all);
    if (varying == 0) return;  // all keys equal: already sorted
  }
  // Digit windows: balanced widths over the varying span, each window
  // starting at the lowest varying bit not yet covered.
  const int lo = std::countr_zero(varying), hi = static_cast<int>(std::bit_width(varying));
  const int windows_needed = (hi - lo + max_digits - 1) / max_digits;
  const int digits = (hi - lo + windows_needed - 1) / windows_needed;
  std::vector<int> shifts;
  for (int shift = lo; shift < hi;) {
    shifts.push_back(shift);
    shift += digits;
    while (shift < hi && ((varying >> shift) & 1u) == 0) ++shift;
  }
  const std::size_t passes = shifts.size();

  const tiling tiles = make_tiling_as<Host>(exec, n);
  // On host spaces there is a tile per thread: the slots are summed in the scatter.
  constexpr bool scan_inside = Host;
  auto counts = scratch<std::int64_t, Exec>("weft::sort::counts", (std::int64_t(1) << digits) * tiles.count);
  auto keys_a = scratch<K, Exec>("weft::sort::keys", n);
  // Never a default-constructed View: destroying one crashes some Kokkos 4 development snapshots.
  auto keys_b = scratch<K, Exec>("weft::sort::keys", passes > 2 ? n : 0);
  auto values_a = [&] {
    if constexpr (has_values<Values>) return scratch<element_t<Values>, Exec>("weft::sort::values", n);
    else return no_values{};
  }();
  auto values_b = [&] {
    if constexpr (has_values<Values>) return scratch<element_t<Values>, Exec>("weft::sort::values", passes > 2 ? n : 0);
    else return no_values{};
  }();

  auto pass = [&](const auto& keys_in, const auto& values_in, const auto& keys_out, const auto& values_out,
                  int shift) {
    using count_type = radix_count_functor<max_digits, bits, std::remove_cvref_t<decltype(keys_in)>, decltype(counts)>;
    using scatter_type =
        radix_scatter_functor<max_digits, scan_inside, bits, std::remove_cvref_t<decltype(keys_in)>,
                              std::remove_cvref_t<decltype(values_in)>, std::remove_cvref_t<decltype(keys_out)>,
                              std::remove_cvref_t<decltype(values_out)>, decltype(counts)>;
    Kokkos::parallel_for(label, range(exec, tiles.count), count_type{keys_in, counts, tiles, shift, digits});
    if constexpr (!scan_inside) exclusive_sum_async(exec, counts, label);
    Kokkos::parallel_for(label, range(exec, tiles.count),
                         scatter_type{keys_in, values_in, keys_out, values_out, counts, tiles, shift, digits});
  };

  // The first pass reads the caller's views and the last writes them; the
  // ones between alternate between the two scratch buffers.
  if (passes == 1) {
    pass(keys, values, keys_a, values_a, shifts[0]);
    Kokkos::parallel_for(label, range(exec, n), copy_functor<decltype(keys_a), Keys>{keys_a, keys});
    if constexpr (has_values<Values>)
      Kokkos::parallel_for(label, range(exec, n), copy_functor<decltype(values_a), Values>{values_a, values});
    return;
  }
  pass(keys, values, keys_a, values_a, shifts[0]);
  for (std::size_t p = 1; p + 1 < passes; ++p) {
    if (p % 2 == 1) pass(keys_a, values_a, keys_b, values_b, shifts[p]);
    else pass(keys_b, values_b, keys_a, values_a, shifts[p]);
  }
  if ((passes - 2) % 2 == 0) pass(keys_a, values_a, keys, values, shifts[passes - 1]);
  else pass(keys_b, values_b, keys, values, shifts[passes - 1]);
}

// ---------------------------------------------------------------------------
// Merge sort: sorted runs of a few elements, then rounds that merge pairs of
// runs. Each round is split into equal pieces of output, and every piece
// finds where its inputs start by a binary search on the merge path, so the
// work is even whatever the data. Ties take the left run first: stable.

inline constexpr std::int64_t merge_first_run = 16;

template <class Keys, class Values, class Comp>
struct insertion_sort_functor {
  Keys keys;
  Values values;
  Comp comp;
  std::int64_t n;
  WEFT_DETAIL_CALLS_USER_FUNCTION
  KOKKOS_INLINE_FUNCTION void operator()(std::int64_t t) const {
    const std::int64_t begin = t * merge_first_run;
    const std::int64_t end = begin + merge_first_run < n ? begin + merge_first_run : n;
    for (std::int64_t i = begin + 1; i < end; ++i) {
      const auto key = keys(i);
      const auto value = values(i);
      std::int64_t j = i;
      for (; j > begin && comp(key, keys(j - 1)); --j) {
        keys(j) = keys(j - 1);
        if constexpr (has_values<Values>) values(j) = values(j - 1);
      }
      keys(j) = key;
      if constexpr (has_values<Values>) values(j) = value;
    }
  }
};

template <class Comp, class SrcKeys, class SrcValues, class DstKeys, class DstValues>
struct merge_functor {
  SrcKeys src_keys;
  SrcValues src_values;
  DstKeys dst_keys;
  DstValues dst_values;
  Comp comp;
  std::int64_t n;
  std::int64_t width;  // of the runs being merged
  std::int64_t piece;  // outputs per call

  /// How many of the first k outputs of merging a = [a0, a0 + na) and
  /// b = [b0, b0 + nb) come from a.
  WEFT_DETAIL_CALLS_USER_FUNCTION
  KOKKOS_INLINE_FUNCTION std::int64_t from_left(std::int64_t a0, std::int64_t na, std::int64_t b0, std::int64_t nb,
                                                std::int64_t k) const {
    std::int64_t lo = k > nb ? k - nb : 0;
    std::int64_t hi = k < na ? k : na;
    while (lo < hi) {
      const std::int64_t mid = lo + (hi - lo) / 2;
      // a[mid] goes before b[k - mid - 1] unless b's is strictly smaller.
      if (comp(src_keys(b0 + k - mid - 1), src_keys(a0 + mid))) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }

  WEFT_DETAIL_CALLS_USER_FUNCTION
  KOKKOS_INLINE_FUNCTION void operator()(std::int64_t p) const {
    std::int64_t out = p * piece;
    const std::int64_t out_end = out + piece < n ? out + piece : n;
    while (out < out_end) {
      const std::int64_t pair = out / (2 * width) * (2 * width);
      const std::int64_t a0 = pair, a1 = pair + width < n ? pair + width : n;
      const std::int64_t b0 = a1, b1 = pair + 2 * width < n ? pair + 2 * width : n;
      const std::int64_t stop = out_end < b1 ? out_end : b1;
      const std::int64_t i0 = from_left(a0, a1 - a0, b0, b1 - b0, out - pair);
      const std::int64_t i1 = from_left(a0, a1 - a0, b0, b1 - b0, stop - pair);
      std::int64_t i = a0 + i0, j = b0 + (out - pair - i0);
      const std::int64_t i_end = a0 + i1, j_end = b0 + (stop - pair - i1);
      for (; out < stop; ++out) {
        const bool take_b = j < j_end && (i == i_end || comp(src_keys(j), src_keys(i)));
        const std::int64_t from = take_b ? j++ : i++;
        dst_keys(out) = src_keys(from);
        if constexpr (has_values<DstValues>) dst_values(out) = src_values(from);
      }
    }
  }
};

/// Stable merge sort of keys (and values along) by comp. Copies into
/// contiguous scratch, sorts there and copies back, so any layout works.
template <class Exec, class Keys, class Values, class Comp, bool Host = host_kernels<Exec>>
void merge_sort(const Exec& exec, const Keys& keys, const Values& values, const Comp& comp, const char* label) {
  using K = element_t<Keys>;
  const std::int64_t n = extent(keys);
  if (n < 2) return;
  auto keys_a = scratch<K, Exec>("weft::sort::keys", n);
  auto keys_b = scratch<K, Exec>("weft::sort::keys", n);
  Kokkos::parallel_for(label, range(exec, n), copy_functor<Keys, decltype(keys_a)>{keys, keys_a});
  auto make_values = [&] {
    if constexpr (has_values<Values>) return scratch<element_t<Values>, Exec>("weft::sort::values", n);
    else return no_values{};
  };
  auto values_a = make_values();
  auto values_b = make_values();
  if constexpr (has_values<Values>)
    Kokkos::parallel_for(label, range(exec, n), copy_functor<Values, decltype(values_a)>{values, values_a});

  Kokkos::parallel_for(label, range(exec, (n + merge_first_run - 1) / merge_first_run),
                       insertion_sort_functor<decltype(keys_a), decltype(values_a), Comp>{keys_a, values_a, comp, n});
  const tiling pieces = make_tiling_as<Host>(exec, n);
  using merge_type = merge_functor<Comp, decltype(keys_a), decltype(values_a), decltype(keys_a), decltype(values_a)>;
  bool in_a = true;
  for (std::int64_t width = merge_first_run; width < n; width *= 2, in_a = !in_a) {
    if (in_a)
      Kokkos::parallel_for(label, range(exec, pieces.count),
                           merge_type{keys_a, values_a, keys_b, values_b, comp, n, width, pieces.size});
    else
      Kokkos::parallel_for(label, range(exec, pieces.count),
                           merge_type{keys_b, values_b, keys_a, values_a, comp, n, width, pieces.size});
  }
  Kokkos::parallel_for(label, range(exec, n),
                       copy_functor<decltype(keys_a), Keys>{in_a ? keys_a : keys_b, keys});
  if constexpr (has_values<Values>)
    Kokkos::parallel_for(label, range(exec, n),
                         copy_functor<decltype(values_a), Values>{in_a ? values_a : values_b, values});
}

/// Radix sort where the order allows it, merge sort otherwise.
template <class Exec, class Keys, class Values, class Comp>
void sort_any(const Exec& exec, const Keys& keys, const Values& values, const Comp& comp, const char* label) {
  constexpr int order = radix_order<Comp, element_t<Keys>>::value;
  if constexpr (order != 0) radix_sort<order>(exec, keys, values, label);
  else merge_sort(exec, keys, values, comp, label);
}

}  // namespace weft::detail
