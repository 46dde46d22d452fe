#pragma once
// Kernel bodies of the scan family (scan.hpp).

#include "fold.hpp"
#include "policy.hpp"

#include <Kokkos_Core.hpp>

#include <cstdint>

namespace weft::detail {

/// out(i) = fold of map(0..i) (inclusive) or init op fold of map(0..i-1)
/// (exclusive). Kokkos passes `update` holding everything before i and joins
/// partial results in sequence order, so op need not commute.
template <class Fold, class Map, class Out, bool Exclusive>
struct scan_functor {
  using value_type = typename Fold::value_type;
  using element_type = typename Out::non_const_value_type;
  Fold fold;
  Map map;
  Out out;
  element_type start;  // exclusive scans only

  KOKKOS_INLINE_FUNCTION void operator()(std::int64_t i, value_type& update, bool final) const {
    const element_type x = map(i);  // read before the write: in and out may alias
    if constexpr (Exclusive) {
      if (final) out(i) = Fold::empty(update) ? start : element_type(fold.op(start, Fold::get(update)));
      fold.add(update, x);
    } else {
      fold.add(update, x);
      if (final) out(i) = Fold::get(update);
    }
  }
  KOKKOS_INLINE_FUNCTION void init(value_type& acc) const { fold.init(acc); }
  KOKKOS_INLINE_FUNCTION void join(value_type& dst, const value_type& src) const {
    fold.join(dst, src);
  }
  WEFT_DETAIL_VOLATILE_JOIN(value_type)
};

/// Runs the scan and returns the fold of all of map(0..n-1) (n > 0).
/// Blocks: the total comes back to the host.
template <bool Exclusive, class T, class Exec, class Op, class Map, class Out>
T scan_range(const Exec& exec, const char* label, std::int64_t n, Op op, Map map, const Out& out,
             const T& init) {
  using fold_type = fold_for<T, Op>;
  scan_functor<fold_type, Map, Out, Exclusive> functor{fold_type{op}, map, out, init};
  typename fold_type::value_type total;
  Kokkos::parallel_scan(label, range(exec, n), functor, total);
  return fold_type::get(total);
}

}  // namespace weft::detail
