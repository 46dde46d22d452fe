#pragma once
// Kernel bodies of the scan family (scan.hpp).

#include "fold.hpp"
#include "policy.hpp"

#include <Kokkos_Core.hpp>

#include <cstdint>

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
  using element_type = typename Out::non_const_value_type;
  Fold fold;
  Map map;
  Out out;
  element_type before;  // used only when HasBefore

  KOKKOS_INLINE_FUNCTION void operator()(std::int64_t i, value_type& update, bool final) const {
    const element_type x = map(i);  // read before the write: in and out may alias
    if constexpr (Exclusive) {
      static_assert(HasBefore, "exclusive scans always start from a value");
      if (final) out(i) = Fold::empty(update) ? before : element_type(fold.op(before, Fold::get(update)));
      fold.add(update, x);
    } else {
      fold.add(update, x);
      if (final) {
        if constexpr (HasBefore) out(i) = fold.op(before, Fold::get(update));
        else out(i) = Fold::get(update);
      }
    }
  }
  KOKKOS_INLINE_FUNCTION void init(value_type& acc) const { fold.init(acc); }
  KOKKOS_INLINE_FUNCTION void join(value_type& dst, const value_type& src) const {
    fold.join(dst, src);
  }
  WEFT_DETAIL_VOLATILE_JOIN(value_type)
};

/// Runs the scan over [0, n), n > 0, and returns the fold of map(0..n-1)
/// (without `before`). Blocks: the total comes back to the host.
template <bool Exclusive, class T, class Exec, class Op, class Map, class Out>
T scan_range(const Exec& exec, const char* label, std::int64_t n, Op op, Map map, const Out& out,
             const optional_value<T>& before) {
  using fold_type = fold_for<T, Op>;
  typename fold_type::value_type total;
  if (before.valid) {
    scan_functor<fold_type, Map, Out, Exclusive, true> functor{fold_type{op}, map, out, before.value};
    Kokkos::parallel_scan(label, range(exec, n), functor, total);
  } else {
    if constexpr (!Exclusive) {
      scan_functor<fold_type, Map, Out, false, false> functor{fold_type{op}, map, out, T{}};
      Kokkos::parallel_scan(label, range(exec, n), functor, total);
    }
  }
  return fold_type::get(total);
}

}  // namespace weft::detail
