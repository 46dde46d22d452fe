// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
#pragma once
// Exact aliasing tests between views: whether two views share an element,
// decided from their data pointers, extents and strides, not from the
// address ranges they span (two interleaved strided views of one array, the
// components of an array of structs, share no element although their ranges
// overlap).

#include <Kokkos_Core.hpp>

#include <algorithm>
#include <cstdint>
#include <vector>

namespace weft::detail {

// 128-bit arithmetic: byte distances of 2^63-element views times strides
// must not overflow. (__extension__ keeps -Wpedantic quiet about it.)
__extension__ typedef __int128 int128;

/// One term c * x of the byte distance between an element of one view and
/// an element of the other, x an integer in [lo, hi].
struct lattice_term {
  int128 coefficient;
  int128 lo, hi;
};

// Is there an integer point of the terms from `k` on whose sum lies in
// [low, high]? Terms come sorted by decreasing coefficient; `rest_lo` /
// `rest_hi` hold the least and greatest sums of the terms from k on.
// Counts visited nodes in `budget` and gives up (answering yes, which
// callers treat as "may share") when it runs out.
inline bool lattice_hits(const std::vector<lattice_term>& terms, std::size_t k, int128 low, int128 high,
                         const std::vector<int128>& rest_lo, const std::vector<int128>& rest_hi,
                         std::int64_t& budget) {
  if (low > high) return false;
  if (k == terms.size()) return low <= 0 && 0 <= high;
  if (--budget < 0) return true;
  const lattice_term& t = terms[k];
  // c x must lie in [low - rest_hi[k+1], high - rest_lo[k+1]].
  const int128 a = low - rest_hi[k + 1], b = high - rest_lo[k + 1];
  auto floor_div = [](int128 p, int128 q) { return p >= 0 ? p / q : -((-p + q - 1) / q); };
  auto ceil_div = [&](int128 p, int128 q) { return -floor_div(-p, q); };
  const int128 first = std::max(t.lo, ceil_div(a, t.coefficient));
  const int128 last = std::min(t.hi, floor_div(b, t.coefficient));
  if (k + 1 == terms.size()) return first <= last;  // nothing left to place
  for (int128 x = first; x <= last; ++x)
    if (lattice_hits(terms, k + 1, low - t.coefficient * x, high - t.coefficient * x, rest_lo, rest_hi, budget))
      return true;
  return false;
}

/// Whether views a and b (any ranks, layouts, value types) have at least
/// one byte of one element in common. Exact for views made by subviews of
/// LayoutLeft / LayoutRight arrays; for exotic stride patterns the search
/// is bounded, and past the bound it answers true.
template <class A, class B>
bool share_elements(const A& a, const B& b) {
  using ta = typename A::value_type;
  using tb = typename B::value_type;
  if (a.size() == 0 || b.size() == 0) return false;
  const auto pa = reinterpret_cast<std::uintptr_t>(a.data());
  const auto pb = reinterpret_cast<std::uintptr_t>(b.data());
  // The address ranges first: disjoint ranges settle it.
  auto span_bytes = [](const auto& v, std::int64_t size) {
    int128 last = 0;
    for (int d = 0; d < static_cast<int>(v.rank); ++d)
      last += int128(v.extent(d) - 1) * int128(v.stride(d)) * size;
    return last + size;
  };
  const int128 a_end = int128(pa) + span_bytes(a, sizeof(ta));
  const int128 b_end = int128(pb) + span_bytes(b, sizeof(tb));
  if (a_end <= int128(pb) || b_end <= int128(pa)) return false;
  if (a.span_is_contiguous() && b.span_is_contiguous() && a.span() == a.size() && b.span() == b.size()) return true;

  // An element of b starts (pb - pa) + sum j_d B_d - sum i_d A_d bytes after
  // one of a; the two share a byte when that lies in (-sizeof(b), sizeof(a)).
  // Terms with equal strides merge into one (j - i ranges over an interval),
  // which keeps the search short for views of the same shape.
  std::vector<lattice_term> terms;
  auto add = [&](int128 c, int128 lo, int128 hi) {  // c x, x in [lo, hi]; lo = 0 here
    if (c == 0 || hi == lo) return;                 // adds nothing
    if (c < 0) {
      c = -c;
      const int128 l = -hi;
      hi = -lo;
      lo = l;
    }
    for (auto& t : terms)
      if (t.coefficient == c) {
        t.lo += lo;
        t.hi += hi;
        return;
      }
    terms.push_back({c, lo, hi});
  };
  for (int d = 0; d < static_cast<int>(a.rank); ++d)
    add(-int128(a.stride(d)) * int128(sizeof(ta)), 0, int128(a.extent(d)) - 1);
  for (int d = 0; d < static_cast<int>(b.rank); ++d)
    add(int128(b.stride(d)) * int128(sizeof(tb)), 0, int128(b.extent(d)) - 1);
  std::sort(terms.begin(), terms.end(),
            [](const lattice_term& x, const lattice_term& y) { return x.coefficient > y.coefficient; });
  std::vector<int128> rest_lo(terms.size() + 1, 0), rest_hi(terms.size() + 1, 0);
  for (std::size_t k = terms.size(); k-- > 0;) {
    rest_lo[k] = rest_lo[k + 1] + terms[k].coefficient * terms[k].lo;
    rest_hi[k] = rest_hi[k + 1] + terms[k].coefficient * terms[k].hi;
  }
  const int128 distance = int128(pb) - int128(pa);
  std::int64_t budget = std::int64_t(1) << 20;
  // distance + sum in [-(sizeof(b) - 1), sizeof(a) - 1]
  return lattice_hits(terms, 0, -int128(sizeof(tb) - 1) - distance, int128(sizeof(ta) - 1) - distance, rest_lo,
                      rest_hi, budget);
}

/// Whether a and b are the same elements, index for index: the same data,
/// value size, extents and strides (an in-place call).
template <class A, class B>
bool same_elements(const A& a, const B& b) {
  if constexpr (static_cast<int>(A::rank) != static_cast<int>(B::rank) ||
                sizeof(typename A::value_type) != sizeof(typename B::value_type)) {
    return false;
  } else {
    if (static_cast<const void*>(a.data()) != static_cast<const void*>(b.data())) return false;
    for (int d = 0; d < static_cast<int>(A::rank); ++d)
      if (a.extent(d) != b.extent(d) || (a.extent(d) > 1 && a.stride(d) != b.stride(d))) return false;
    return true;
  }
}

/// The rule of the element-wise algorithms (transform, copy, the scans):
/// out may be in itself, element for element, or share nothing with it.
template <class In, class Out>
bool may_write_elementwise(const In& in, const Out& out) {
  return same_elements(in, out) || !share_elements(in, out);
}

}  // namespace weft::detail
