// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
#pragma once
// Kernel bodies of the compaction family (compaction.hpp): every algorithm
// there counts the elements it keeps per tile, scans the counts (which gives
// the total, so outputs are checked before anything is written), and then
// moves the kept elements tile by tile, in order: stable.

#include "config.hpp"
#include "fold.hpp"
#include "for_each.hpp"
#include "policy.hpp"
#include "tiles.hpp"

#include <Kokkos_Core.hpp>

#include <cstdint>

namespace weft::detail {

/// i -> pred(in(i))
template <class In, class Pred>
struct predicate_select {
  In in;
  Pred pred;
  WEFT_DETAIL_CALLS_USER_FUNCTION
  KOKKOS_INLINE_FUNCTION bool operator()(std::int64_t i) const { return static_cast<bool>(pred(in(i))); }
};

/// i -> !pred(in(i))
template <class In, class Pred>
struct predicate_reject {
  In in;
  Pred pred;
  KOKKOS_INLINE_FUNCTION bool operator()(std::int64_t i) const { return !static_cast<bool>(pred(in(i))); }
};

/// i -> whether keys(i) starts a run of equal keys.
template <class Keys, class Eq>
struct run_head_select {
  Keys keys;
  Eq eq;
  KOKKOS_INLINE_FUNCTION bool operator()(std::int64_t i) const {
    return i == 0 || !static_cast<bool>(eq(keys(i - 1), keys(i)));
  }
};

template <class Select, class Counts>
struct select_count_functor {
  Select select;
  Counts counts;
  tiling tiles;
  KOKKOS_INLINE_FUNCTION void operator()(std::int64_t t) const {
    std::int64_t c = 0;
    const std::int64_t end = tiles.end(t);
    for (std::int64_t i = tiles.begin(t); i < end; ++i) c += select(i) ? 1 : 0;
    counts(t) = c;
  }
};

/// Copies the selected elements of each tile to out(offsets(t)), out(offsets(t) + 1), ...
template <class Select, class KeysIn, class ValuesIn, class KeysOut, class ValuesOut, class Counts>
struct select_scatter_functor {
  Select select;
  KeysIn keys_in;
  ValuesIn values_in;
  KeysOut keys_out;
  ValuesOut values_out;
  Counts offsets;
  tiling tiles;
  KOKKOS_INLINE_FUNCTION void operator()(std::int64_t t) const {
    std::int64_t to = offsets(t);
    const std::int64_t end = tiles.end(t);
    for (std::int64_t i = tiles.begin(t); i < end; ++i) {
      if (select(i)) {
        keys_out(to) = keys_in(i);
        if constexpr (has_values<ValuesOut>) values_out(to) = values_in(i);
        ++to;
      }
    }
  }
};

/// Selected elements to out[offsets(t) ...], the others to out[selected + (tile begin - offsets(t)) ...].
template <class Select, class In, class Out, class Counts>
struct partition_scatter_functor {
  Select select;
  In in;
  Out out;
  Counts offsets;
  tiling tiles;
  std::int64_t selected;
  KOKKOS_INLINE_FUNCTION void operator()(std::int64_t t) const {
    std::int64_t yes = offsets(t);
    std::int64_t no = selected + tiles.begin(t) - offsets(t);
    const std::int64_t end = tiles.end(t);
    for (std::int64_t i = tiles.begin(t); i < end; ++i) {
      if (select(i)) out(yes++) = in(i);
      else out(no++) = in(i);
    }
  }
};

/// Per-tile counts of the selected elements among [0, n), scanned into each
/// tile's first output slot. Blocks for the total, which it returns.
template <class Counts>
struct selection {
  tiling tiles;
  Counts offsets;
  std::int64_t total;
};

template <class Exec, class Select>
auto count_selected(const Exec& exec, std::int64_t n, const Select& select, const char* label) {
  const tiling tiles = make_tiling(exec, n);
  auto counts = scratch<std::int64_t, Exec>("weft::compaction::counts", tiles.count);
  if (tiles.count > 0)
    Kokkos::parallel_for(label, range(exec, tiles.count),
                         select_count_functor<Select, decltype(counts)>{select, counts, tiles});
  const std::int64_t total = exclusive_sum(exec, counts, label);
  return selection<decltype(counts)>{tiles, counts, total};
}

/// Moves the selected elements (keys and values) to the outputs.
template <class Exec, class Select, class Counts, class KeysIn, class ValuesIn, class KeysOut, class ValuesOut>
void scatter_selected(const Exec& exec, const selection<Counts>& s, const Select& select, const KeysIn& keys_in,
                      const ValuesIn& values_in, const KeysOut& keys_out, const ValuesOut& values_out,
                      const char* label) {
  if (s.tiles.count == 0) return;
  Kokkos::parallel_for(label, range(exec, s.tiles.count),
                       select_scatter_functor<Select, KeysIn, ValuesIn, KeysOut, ValuesOut, Counts>{
                           select, keys_in, values_in, keys_out, values_out, s.offsets, s.tiles});
}

/// In-place stable compaction of keys (and values): the selected elements
/// go through scratch to the front. Returns how many; later elements keep
/// their old values. Blocks (the count comes back to the host).
template <class Exec, class Select, class Keys, class Values>
std::int64_t compact_in_place(const Exec& exec, const Select& select, const Keys& keys, const Values& values,
                              const char* label) {
  const std::int64_t n = extent(keys);
  const auto s = count_selected(exec, n, select, label);
  if (s.total == n) return n;  // nothing to remove
  auto kept_keys = scratch<element_t<Keys>, Exec>("weft::compaction::keys", s.total);
  auto kept_values = [&] {
    if constexpr (has_values<Values>) return scratch<element_t<Values>, Exec>("weft::compaction::values", s.total);
    else return no_values{};
  }();
  scatter_selected(exec, s, select, keys, values, kept_keys, kept_values, label);
  auto front = [](const auto& v, std::int64_t count) {
    return Kokkos::subview(v, std::pair<std::int64_t, std::int64_t>(0, count));
  };
  if (s.total > 0) {
    auto keys_front = front(keys, s.total);
    Kokkos::parallel_for(label, range(exec, s.total),
                         copy_functor<decltype(kept_keys), decltype(keys_front)>{kept_keys, keys_front});
    if constexpr (has_values<Values>) {
      auto values_front = front(values, s.total);
      Kokkos::parallel_for(label, range(exec, s.total),
                           copy_functor<decltype(kept_values), decltype(values_front)>{kept_values, values_front});
    }
  }
  exec.fence();  // the count returned says the elements are in place
  return s.total;
}

}  // namespace weft::detail
