// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
#pragma once
// Kernel bodies of the scan family (scan.hpp).

#include "fold.hpp"
#include "policy.hpp"
#include "reproducible.hpp"

#include <Kokkos_Core.hpp>

#include <algorithm>
#include <cstdint>
#include <vector>

namespace weft::detail {

/// Inclusive: out(i) = [before op] map(0) op ... op map(i).
/// Exclusive: out(i) = before op map(0) op ... op map(i-1), out(0) = before.
/// `before` folds whatever precedes this range: the exclusive scan's init,
/// and, in distributed scans, the totals of the ranks before this one.
/// Kokkos passes `update` holding everything before i and joins partial
/// results in sequence order, so op need not commute.
template <class Fold, class Map, class Out, bool Exclusive, bool HasBefore>
struct scan_functor {
  using value_type = typename Fold::value_type;
  using element_type = typename Fold::element_type;  // what is accumulated: init's type for exclusive scans
  using out_type = typename Out::non_const_value_type;
  Fold fold;
  Map map;
  Out out;
  element_type before;  // used only when HasBefore

  KOKKOS_INLINE_FUNCTION void operator()(std::int64_t i, value_type& update, bool final) const {
    const element_type x = map(i);  // read before the write: in and out may alias
    if constexpr (Exclusive) {
      static_assert(HasBefore, "exclusive scans always start from a value");
      if (final) out(i) = static_cast<out_type>(Fold::empty(update) ? before : element_type(fold.op(before, Fold::get(update))));
      fold.add(update, x);
    } else {
      fold.add(update, x);
      if (final) {
        if constexpr (HasBefore) out(i) = static_cast<out_type>(fold.op(before, Fold::get(update)));
        else out(i) = static_cast<out_type>(Fold::get(update));
      }
    }
  }
  KOKKOS_INLINE_FUNCTION void init(value_type& acc) const { fold.init(acc); }
  KOKKOS_INLINE_FUNCTION void join(value_type& dst, const value_type& src) const {
    fold.join(dst, src);
  }
  WEFT_DETAIL_VOLATILE_JOIN(value_type)
};

/// Host execution spaces scan in chunks with the running value in a local
/// variable. (Kokkos' parallel_scan hands it to every element by reference
/// into its own scratch, and the compiler then stores and reloads it around
/// each write of out(i): a third of a plain loop's speed; see bench/README.md.)
/// Pass 1 folds each chunk, the host folds the chunk totals in order into
/// each chunk's prefix, pass 2 rescans every chunk from its prefix. With a
/// single chunk (one thread) pass 2 alone does it, reading the input once.
template <class Fold, class Map>
struct chunk_total_functor {
  using value_type = typename Fold::value_type;
  using element_type = typename Fold::element_type;
  Fold fold;
  Map map;
  std::int64_t n, chunk;
  value_type* totals;  // host memory: this path runs on host spaces only

  void operator()(std::int64_t c) const {
    value_type acc;
    fold.init(acc);
    const std::int64_t end = (c + 1) * chunk < n ? (c + 1) * chunk : n;
    for (std::int64_t i = c * chunk; i < end; ++i) fold.add(acc, static_cast<element_type>(map(i)));
    totals[c] = acc;
  }
};

template <class Fold, class Map, class Out, bool Exclusive>
struct chunk_scan_functor {
  using value_type = typename Fold::value_type;
  using element_type = typename Fold::element_type;
  using out_type = typename Out::non_const_value_type;
  Fold fold;
  Map map;
  Out out;
  std::int64_t n, chunk;
  const value_type* prefix;  // what precedes each chunk
  value_type* ends;          // each chunk's running value at its end

  void operator()(std::int64_t c) const {
    value_type acc = prefix[c];
    const std::int64_t end = (c + 1) * chunk < n ? (c + 1) * chunk : n;
    for (std::int64_t i = c * chunk; i < end; ++i) {
      const element_type x = map(i);  // read before the write: in and out may alias
      if constexpr (Exclusive) {
        out(i) = static_cast<out_type>(Fold::get(acc));
        fold.add(acc, x);
      } else {
        fold.add(acc, x);
        out(i) = static_cast<out_type>(Fold::get(acc));
      }
    }
    ends[c] = acc;
  }
};

/// Runs the scan over [0, n), n > 0, writing out, and returns the last
/// running value: before op map(0) op ... op map(n-1) (`before` may be
/// empty, but not for exclusive scans). Values are accumulated in T (for
/// exclusive scans, the type of init, as in <numeric>) and converted to
/// out's value type as they are written. Blocks: the result comes back to
/// the host.
template <bool Exclusive, class T, class Exec, class Op, class Map, class Out>
T scan_range(const Exec& exec, const char* label, std::int64_t n, Op op, Map map, const Out& out,
             const optional_value<T>& before) {
  if constexpr (reproducible_fold<Op, T>) {
    const repro_sum start = before.valid ? repro_of(static_cast<double>(before.value)) : repro_empty();
    return static_cast<T>(repro_value(repro_scan_range<Exclusive>(exec, label, n, map, out, start)));
  }
  using fold_type = fold_for<T, Op>;
  using value_type = typename fold_type::value_type;
  const fold_type fold{op};
  if constexpr (host_kernels<Exec>) {
    const std::int64_t chunks = std::max<std::int64_t>(1, std::min<std::int64_t>(exec.concurrency(), n / 4096));
    const std::int64_t chunk = (n + chunks - 1) / chunks;
    // One small host allocation: each chunk's total, prefix and end value.
    std::vector<value_type> scratch(static_cast<std::size_t>(3 * chunks));
    value_type* totals = scratch.data();
    value_type* prefix = totals + chunks;
    value_type* ends = prefix + chunks;
    prefix[0] = fold_type::from(before);
    if (chunks > 1) {
      Kokkos::parallel_for(label, range(exec, chunks), chunk_total_functor<fold_type, Map>{fold, map, n, chunk, totals});
      exec.fence();
      for (std::int64_t c = 1; c < chunks; ++c) {
        prefix[c] = prefix[c - 1];
        fold.join(prefix[c], totals[c - 1]);
      }
    }
    Kokkos::parallel_for(label, range(exec, chunks),
                         chunk_scan_functor<fold_type, Map, Out, Exclusive>{fold, map, out, n, chunk, prefix, ends});
    exec.fence();
    return fold_type::get(ends[chunks - 1]);
  } else {
    value_type total;
    if (before.valid) {
      scan_functor<fold_type, Map, Out, Exclusive, true> functor{fold, map, out, before.value};
      Kokkos::parallel_scan(label, range(exec, n), functor, total);
      return T(op(before.value, fold_type::get(total)));
    } else {
      if constexpr (!Exclusive) {  // exclusive scans always start from their init
        scan_functor<fold_type, Map, Out, false, false> functor{fold, map, out, T{}};
        Kokkos::parallel_scan(label, range(exec, n), functor, total);
      }
      return fold_type::get(total);
    }
  }
}

}  // namespace weft::detail
