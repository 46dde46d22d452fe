// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
#pragma once
// Kernel bodies of the by-key family (by_key.hpp): folds over segments of
// consecutive elements, the segments given by runs of equal keys or by CSR
// offsets.
//
// Three steps, each over tiles:
//  1. every tile summarises itself: does a segment start in it, how many,
//     and the fold of its last segment's part in it (its "tail");
//  2. an exclusive scan over the summaries gives each tile the fold of the
//     part of its first segment that lies in earlier tiles (the carry) and
//     the number of segments before it. The combining rule (a segment start
//     in the later summary cuts the earlier fold off) is associative, and
//     Kokkos joins in sequence order, so the operation need not commute;
//  3. every tile walks its elements again from its carry and writes.
// A segment's value is folded strictly left to right within a tile, and the
// pieces from different tiles are joined in order: non-commutative
// operations keep sequence order, and no identity element is needed.

#include "config.hpp"
#include "fold.hpp"
#include "policy.hpp"
#include "tiles.hpp"

#include <Kokkos_Core.hpp>

#include <cstdint>

namespace weft::detail {

/// Segments as runs of equal keys: i starts one if i == 0 or
/// !eq(keys(i - 1), keys(i)). The slot of a segment is its ordinal.
template <class Keys, class Eq>
struct key_segments {
  Keys keys;
  Eq eq;
  struct cursor {
    std::int64_t ordinal;  // of the segment the walk is in
  };
  KOKKOS_INLINE_FUNCTION cursor start(std::int64_t, std::int64_t segments_before) const {
    return {segments_before - 1};
  }
  /// Whether i starts a segment; called for increasing i.
  WEFT_DETAIL_CALLS_USER_FUNCTION
  KOKKOS_INLINE_FUNCTION bool head(cursor& c, std::int64_t i) const {
    const bool h = i == 0 || !static_cast<bool>(eq(keys(i - 1), keys(i)));
    c.ordinal += h ? 1 : 0;
    return h;
  }
  KOKKOS_INLINE_FUNCTION static std::int64_t slot(const cursor& c) { return c.ordinal; }
  /// How many segments start in [begin, end), and where the last one does
  /// (-1: none). The count is a branch-free loop the compiler vectorises.
  WEFT_DETAIL_CALLS_USER_FUNCTION
  KOKKOS_INLINE_FUNCTION std::int64_t count_heads(std::int64_t begin, std::int64_t end) const {
    std::int64_t heads = begin == 0 ? 1 : 0;
    for (std::int64_t i = begin == 0 ? 1 : begin; i < end; ++i) heads += static_cast<bool>(eq(keys(i - 1), keys(i))) ? 0 : 1;
    return heads;
  }
  WEFT_DETAIL_CALLS_USER_FUNCTION
  KOKKOS_INLINE_FUNCTION std::int64_t last_head(std::int64_t begin, std::int64_t end) const {
    for (std::int64_t i = end - 1; i >= begin; --i)
      if (i == 0 || !static_cast<bool>(eq(keys(i - 1), keys(i)))) return i;
    return -1;
  }
};

/// Segments from CSR offsets: segment s is [offsets(s), offsets(s + 1)).
/// The slot of a segment is s; empty segments hold no element, so no walk
/// ever stops in them.
template <class Offsets>
struct offset_segments {
  Offsets offsets;
  std::int64_t segments;
  struct cursor {
    std::int64_t s;
  };
  /// The segment holding element i: the last s with offsets(s) <= i.
  KOKKOS_INLINE_FUNCTION cursor start(std::int64_t i, std::int64_t) const {
    std::int64_t lo = 0, hi = segments;  // offsets(lo) <= i < offsets(hi)
    while (hi - lo > 1) {
      const std::int64_t mid = lo + (hi - lo) / 2;
      if (static_cast<std::int64_t>(offsets(mid)) <= i) lo = mid;
      else hi = mid;
    }
    return {lo};
  }
  KOKKOS_INLINE_FUNCTION bool head(cursor& c, std::int64_t i) const {
    while (static_cast<std::int64_t>(offsets(c.s + 1)) <= i) ++c.s;
    return static_cast<std::int64_t>(offsets(c.s)) == i;
  }
  KOKKOS_INLINE_FUNCTION static std::int64_t slot(const cursor& c) { return c.s; }
  KOKKOS_INLINE_FUNCTION std::int64_t count_heads(std::int64_t begin, std::int64_t end) const {
    auto c = start(begin, 0);
    std::int64_t heads = 0;
    for (std::int64_t i = begin; i < end; ++i) heads += head(c, i) ? 1 : 0;
    return heads;
  }
  /// The start of the segment holding end - 1, if it is not before begin.
  KOKKOS_INLINE_FUNCTION std::int64_t last_head(std::int64_t begin, std::int64_t end) const {
    const std::int64_t first = static_cast<std::int64_t>(offsets(start(end - 1, 0).s));
    return first >= begin ? first : -1;
  }
};

/// What step 1 finds out about a tile, and step 2 accumulates.
template <class T>
struct segment_summary {
  T value;             // fold of the last segment's part (valid when `valid`)
  bool valid;          // false only for the empty start of the scan
  bool head;           // a segment starts in the part summarised
  std::int64_t heads;  // how many start there
};

template <class T, class Op>
struct segment_combine {
  Op op;
  KOKKOS_INLINE_FUNCTION void init(segment_summary<T>& a) const {
    a.valid = false;
    a.head = false;
    a.heads = 0;
  }
  /// a = a then b.
  WEFT_DETAIL_CALLS_USER_FUNCTION
  KOKKOS_INLINE_FUNCTION void join(segment_summary<T>& a, const segment_summary<T>& b) const {
    a.heads += b.heads;
    if (b.head) {
      a.value = b.value;
      a.valid = b.valid;
      a.head = true;
    } else if (b.valid) {
      a.value = a.valid ? T(op(a.value, b.value)) : b.value;
      a.valid = true;
    }
  }
};

/// Step 1 over [base, base + n): elements base + i.
template <class T, class Segments, class Values, class Op, class Summaries>
struct segment_summary_functor {
  Segments segments;
  Values values;
  Op op;
  Summaries summaries;
  tiling tiles;
  std::int64_t base;
  WEFT_DETAIL_CALLS_USER_FUNCTION
  KOKKOS_INLINE_FUNCTION void operator()(std::int64_t t) const {
    const std::int64_t begin = base + tiles.begin(t), end = base + tiles.end(t);
    const std::int64_t heads = segments.count_heads(begin, end);
    const std::int64_t found = heads > 0 ? segments.last_head(begin, end) : -1;
    const std::int64_t last_head = found >= 0 ? found : begin;
    T acc = values(last_head);
    for (std::int64_t i = last_head + 1; i < end; ++i) acc = T(op(acc, values(i)));
    segment_summary<T>& s = summaries(t);
    s.value = acc;
    s.valid = true;
    s.head = heads > 0;
    s.heads = heads;
  }
};

/// Step 2: summaries(t) becomes what precedes tile t.
template <class T, class Op, class Summaries>
struct segment_carry_functor {
  using value_type = segment_summary<T>;
  segment_combine<T, Op> combine;
  Summaries summaries;
  KOKKOS_INLINE_FUNCTION void operator()(std::int64_t t, value_type& update, bool final) const {
    const value_type mine = summaries(t);
    if (final) summaries(t) = update;
    combine.join(update, mine);
  }
  KOKKOS_INLINE_FUNCTION void init(value_type& a) const { combine.init(a); }
  KOKKOS_INLINE_FUNCTION void join(value_type& dst, const value_type& src) const { combine.join(dst, src); }
  WEFT_DETAIL_VOLATILE_JOIN(value_type)
};

/// Step 3: walks each tile from its carry. For every element i in segment
/// `slot`, with `before` the fold of the segment's elements before i (absent
/// at its start) and `through` the fold up to and including i, it calls
///   emit.element(i, slot, is_start, before, through)
/// and, at the segment's last element, emit.last(i, slot, through).
template <class T, class Segments, class Values, class Op, class Summaries, class Emit>
struct segment_walk_functor {
  Segments segments;
  Values values;
  Op op;
  Summaries carries;
  Emit emit;
  tiling tiles;
  std::int64_t base, end_of_all;
  WEFT_DETAIL_CALLS_USER_FUNCTION
  KOKKOS_INLINE_FUNCTION void operator()(std::int64_t t) const {
    const std::int64_t begin = base + tiles.begin(t), end = base + tiles.end(t);
    const segment_summary<T> carry = carries(t);
    auto c = segments.start(begin, carry.heads);
    bool head = segments.head(c, begin);
    T acc = carry.value;  // meaningful when begin continues a segment (then carry.valid)
    // Segment by segment: the test for the next start is the only
    // data-dependent branch per element, as in a hand-written loop.
    std::int64_t i = begin;
    while (i < end) {
      const std::int64_t slot = Segments::slot(c);
      T before = acc;
      acc = head ? T(values(i)) : T(op(acc, values(i)));
      emit.element(i, slot, head, before, acc);
      for (;;) {
        ++i;
        if (i == end_of_all) {
          head = true;
          break;
        }
        head = segments.head(c, i);
        if (head || i == end) break;
        before = acc;
        acc = T(op(acc, values(i)));
        emit.element(i, slot, false, before, acc);
      }
      if (head) emit.last(i - 1, slot, acc);
    }
  }
};

/// reduce_by_key: the first key of a segment to keys_out(slot), its fold to values_out(slot).
template <class Keys, class KeysOut, class ValuesOut>
struct reduce_by_key_emit {
  Keys keys;
  KeysOut keys_out;
  ValuesOut values_out;
  template <class T>
  KOKKOS_INLINE_FUNCTION void element(std::int64_t i, std::int64_t slot, bool start, const T&, const T&) const {
    if (start) keys_out(slot) = keys(i);
  }
  template <class T>
  KOKKOS_INLINE_FUNCTION void last(std::int64_t, std::int64_t slot, const T& total) const {
    values_out(slot) = total;
  }
};

/// inclusive_scan_by_key: out(i) = the fold through i.
template <class Out>
struct inclusive_by_key_emit {
  Out out;
  template <class T>
  KOKKOS_INLINE_FUNCTION void element(std::int64_t i, std::int64_t, bool, const T&, const T& through) const {
    out(i) = through;
  }
  template <class T>
  KOKKOS_INLINE_FUNCTION void last(std::int64_t, std::int64_t, const T&) const {}
};

/// exclusive_scan_by_key: out(i) = init, or init op the fold before i.
template <class Out, class Op>
struct exclusive_by_key_emit {
  Out out;
  Op op;
  typename Out::non_const_value_type init;
  template <class T>
  KOKKOS_INLINE_FUNCTION void element(std::int64_t i, std::int64_t, bool start, const T& before, const T&) const {
    out(i) = start ? init : typename Out::non_const_value_type(op(init, before));
  }
  template <class T>
  KOKKOS_INLINE_FUNCTION void last(std::int64_t, std::int64_t, const T&) const {}
};

/// segmented_reduce: out(s) = init op the fold of segment s.
template <class Out, class Op>
struct segmented_reduce_emit {
  Out out;
  Op op;
  typename Out::non_const_value_type init;
  template <class T>
  KOKKOS_INLINE_FUNCTION void element(std::int64_t, std::int64_t, bool, const T&, const T&) const {}
  template <class T>
  KOKKOS_INLINE_FUNCTION void last(std::int64_t, std::int64_t slot, const T& total) const {
    out(slot) = typename Out::non_const_value_type(op(init, total));
  }
};

/// Steps 1 and 2 over the elements [base, base + n): the tiling and each
/// tile's carry. With Count, also the number of segments (which blocks);
/// otherwise everything is enqueued without waiting (segments stays -1).
template <class T, class Exec>
struct segment_plan {
  tiling tiles;
  Kokkos::View<segment_summary<T>*, typename Exec::memory_space> carries;
  std::int64_t segments = -1;
};

template <class T, bool Count, class Exec, class Segments, class Values, class Op>
segment_plan<T, Exec> plan_segments(const Exec& exec, const Segments& segments,
                                                          const Values& values, const Op& op, std::int64_t base,
                                                          std::int64_t n, const char* label) {
  const tiling tiles = make_tiling(exec, n);
  segment_plan<T, Exec> plan{tiles, scratch<segment_summary<T>, Exec>("weft::by_key::carries", tiles.count), -1};
  if (plan.tiles.count == 0) {
    plan.segments = 0;
    return plan;
  }
  Kokkos::parallel_for(label, range(exec, plan.tiles.count),
                       segment_summary_functor<T, Segments, Values, Op, decltype(plan.carries)>{
                           segments, values, op, plan.carries, plan.tiles, base});
  const segment_carry_functor<T, Op, decltype(plan.carries)> carry{{op}, plan.carries};
  if constexpr (host_kernels<Exec>) {
    if (scan_tiles_on_host(exec, plan.tiles.count)) {
      exec.fence();
      segment_summary<T> update;
      carry.init(update);
      for (std::int64_t t = 0; t < plan.tiles.count; ++t) carry(t, update, true);
      plan.segments = update.heads;
      return plan;
    }
  }
  if constexpr (Count) {
    segment_summary<T> total;
    Kokkos::parallel_scan(label, range(exec, plan.tiles.count), carry, total);
    plan.segments = total.heads;
  } else {
    Kokkos::parallel_scan(label, range(exec, plan.tiles.count), carry);
  }
  return plan;
}

/// Step 3.
template <class T, class Exec, class Segments, class Values, class Op, class Emit>
void walk_segments(const Exec& exec, const segment_plan<T, Exec>& plan,
                   const Segments& segments, const Values& values, const Op& op, const Emit& emit, std::int64_t base,
                   const char* label) {
  if (plan.tiles.count == 0) return;
  Kokkos::parallel_for(label, range(exec, plan.tiles.count),
                       segment_walk_functor<T, Segments, Values, Op, decltype(plan.carries), Emit>{
                           segments, values, op, plan.carries, emit, plan.tiles, base, base + plan.tiles.n});
}

/// Checks CSR offsets: non-decreasing, offsets(0) >= 0, last <= n. Gives the
/// first bad index s (offsets(s) > offsets(s + 1), or 0 / the last for the
/// ends), or -1 when all is well.
template <class Offsets>
struct offsets_check_functor {
  using value_type = std::int64_t;
  Offsets offsets;
  std::int64_t segments, n;
  KOKKOS_INLINE_FUNCTION void operator()(std::int64_t s, value_type& first_bad) const {
    const auto a = static_cast<std::int64_t>(offsets(s)), b = static_cast<std::int64_t>(offsets(s + 1));
    const bool bad = a > b || (s == 0 && a < 0) || (s == segments - 1 && b > n);
    if (bad && (first_bad < 0 || s < first_bad)) first_bad = s;
  }
  KOKKOS_INLINE_FUNCTION void init(value_type& v) const { v = -1; }
  KOKKOS_INLINE_FUNCTION void join(value_type& dst, const value_type& src) const {
    if (src >= 0 && (dst < 0 || src < dst)) dst = src;
  }
  WEFT_DETAIL_VOLATILE_JOIN(value_type)
};

/// out(s) = init for the empty segments.
template <class Offsets, class Out>
struct empty_segments_functor {
  Offsets offsets;
  Out out;
  typename Out::non_const_value_type init;
  KOKKOS_INLINE_FUNCTION void operator()(std::int64_t s) const {
    if (offsets(s) == offsets(s + 1)) out(s) = init;
  }
};

}  // namespace weft::detail
