// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
#pragma once
// The compaction family: copy_if, remove_if, stable_partition, unique,
// unique_by_key.
//
// All are stable (kept elements stay in input order) and return a count, so
// they block until their kernels are done, fencing only the given instance.
// Each first counts what it keeps, tile by tile, and only then writes: an
// output that is too small throws weft::error before anything is written.
// Predicates and equalities are called on the device, on const elements,
// twice per element (once to count, once to move); they must give the same
// answer both times. The in-place ones move the kept elements through
// scratch memory of their size in the instance's memory space.

#include "detail/config.hpp"  // first: the C++20 check

#include "concepts.hpp"
#include "detail/compaction.hpp"
#include "detail/device_function.hpp"
#include "detail/policy.hpp"
#include "detail/profiling.hpp"
#include "detail/tiles.hpp"
#include "error.hpp"
#include "functional.hpp"

#include <Kokkos_Core.hpp>

#include <cstdint>
#include <type_traits>

namespace weft {

namespace detail {
template <class View, class Pred>
constexpr void static_check_predicate() {
  static_assert(std::is_invocable_r_v<bool, const Pred&, const_reference_t<View>>,
                "weft: the predicate cannot be called with an element of the view, or does not return "
                "something convertible to bool.");
}
template <class View, class Eq>
constexpr void static_check_equality() {
  static_assert(std::is_invocable_r_v<bool, const Eq&, const_reference_t<View>, const_reference_t<View>>,
                "weft: the equality cannot be called with two elements of the view, or does not return "
                "something convertible to bool.");
}
}  // namespace detail

/// Copies the elements x of in with pred(x) true to out(0), out(1), ... in
/// order, and returns how many there are. out needs at least that many
/// elements (else weft::error, before anything is written) and must not
/// share memory with in; its later elements are left alone.
///   auto kept = weft::copy_if(exec, x, y, KOKKOS_LAMBDA(double v) { return v > 0; });
template <execution_space Exec, rank1_view In, rank1_view Out, class Pred>
std::int64_t copy_if(const Exec& exec, const In& in, const Out& out, Pred pred) {
  const detail::profiling_region region("weft::copy_if");
  detail::static_check_device_callable<Exec, Pred>();
  detail::static_check_accessible<Exec, In, Out>();
  detail::static_check_writable<Out>();
  detail::static_check_predicate<In, Pred>();
  static_assert(std::is_assignable_v<typename Out::reference_type, detail::const_reference_t<In>>,
                "weft::copy_if: input elements cannot be assigned to output elements.");
  detail::require(!detail::overlap(in, out), "weft::copy_if: input and output share memory (", in.extent(0),
                  " and ", out.extent(0), " elements)");
  const detail::predicate_select<In, Pred> select{in, pred};
  const auto s = detail::count_selected(exec, detail::extent(in), select, "weft::copy_if");
  detail::require(s.total <= detail::extent(out), "weft::copy_if: ", s.total, " of ", in.extent(0),
                  " elements pass the predicate but the output has ", out.extent(0));
  detail::scatter_selected(exec, s, select, in, detail::no_values{}, out, detail::no_values{}, "weft::copy_if");
  exec.fence();
  return s.total;
}

template <rank1_view In, rank1_view Out, class Pred>
std::int64_t copy_if(const In& in, const Out& out, Pred pred) {
  return weft::copy_if(detail::default_exec_t<Out>{}, in, out, pred);
}

/// Removes the elements x with pred(x) true, moving the others to the front
/// in order; returns their number m. v(m), v(m + 1), ... keep their old values.
///   x_size = weft::remove_if(exec, x, KOKKOS_LAMBDA(double v) { return v != v; });   // drop NaNs
template <execution_space Exec, rank1_view View, class Pred>
std::int64_t remove_if(const Exec& exec, const View& v, Pred pred) {
  const detail::profiling_region region("weft::remove_if");
  detail::static_check_device_callable<Exec, Pred>();
  detail::static_check_accessible<Exec, View>();
  detail::static_check_writable<View>();
  detail::static_check_predicate<View, Pred>();
  return detail::compact_in_place(exec, detail::predicate_reject<View, Pred>{v, pred}, v, detail::no_values{},
                                  "weft::remove_if");
}

template <rank1_view View, class Pred>
std::int64_t remove_if(const View& v, Pred pred) {
  return weft::remove_if(detail::default_exec_t<View>{}, v, pred);
}

/// Reorders v so that the elements with pred(x) true come first, both groups
/// in their original order (std::stable_partition), and returns how many
/// are true. (`weft::partition` names the distributed layout type, so this
/// one has the std name of the stable form.) Uses scratch of v's size.
///   auto positives = weft::stable_partition(exec, x, KOKKOS_LAMBDA(double v) { return v > 0; });
template <execution_space Exec, rank1_view View, class Pred>
std::int64_t stable_partition(const Exec& exec, const View& v, Pred pred) {
  const detail::profiling_region region("weft::stable_partition");
  detail::static_check_device_callable<Exec, Pred>();
  detail::static_check_accessible<Exec, View>();
  detail::static_check_writable<View>();
  detail::static_check_predicate<View, Pred>();
  const char* label = "weft::stable_partition";
  const detail::predicate_select<View, Pred> select{v, pred};
  const std::int64_t n = detail::extent(v);
  const auto s = detail::count_selected(exec, n, select, label);
  if (s.total == 0 || s.total == n) return s.total;
  auto parted = detail::scratch<detail::value_t<View>, Exec>("weft::stable_partition", n);
  Kokkos::parallel_for(label, detail::range(exec, s.tiles.count),
                       detail::partition_scatter_functor<decltype(select), View, decltype(parted), decltype(s.offsets)>{
                           select, v, parted, s.offsets, s.tiles, s.total});
  Kokkos::parallel_for(label, detail::range(exec, n), detail::copy_functor<decltype(parted), View>{parted, v});
  exec.fence();
  return s.total;
}

template <rank1_view View, class Pred>
std::int64_t stable_partition(const View& v, Pred pred) {
  return weft::stable_partition(detail::default_exec_t<View>{}, v, pred);
}

/// Keeps the first element of every run of consecutive equal elements
/// (eq(v(i - 1), v(i)) true), moved to the front in order, and returns their
/// number m; v(m), ... keep their old values. Default eq: weft::equal_to.
///   weft::sort(exec, ids); auto distinct = weft::unique(exec, ids);
template <execution_space Exec, rank1_view View, class Eq>
std::int64_t unique(const Exec& exec, const View& v, Eq eq) {
  const detail::profiling_region region("weft::unique");
  detail::static_check_device_callable<Exec, Eq>();
  detail::static_check_accessible<Exec, View>();
  detail::static_check_writable<View>();
  detail::static_check_equality<View, Eq>();
  return detail::compact_in_place(exec, detail::run_head_select<View, Eq>{v, eq}, v, detail::no_values{},
                                  "weft::unique");
}

template <execution_space Exec, rank1_view View>
std::int64_t unique(const Exec& exec, const View& v) {
  return weft::unique(exec, v, equal_to<>{});
}

template <rank1_view View, class Eq>
std::int64_t unique(const View& v, Eq eq) {
  return weft::unique(detail::default_exec_t<View>{}, v, eq);
}

template <rank1_view View>
std::int64_t unique(const View& v) {
  return weft::unique(detail::default_exec_t<View>{}, v, equal_to<>{});
}

/// unique on keys, moving each kept key's value with it: the first key and
/// value of every run of equal keys go to the front; returns their number.
/// keys and values must have equal extents and must not share memory.
///   auto m = weft::unique_by_key(exec, sorted_ids, first_position);
template <execution_space Exec, rank1_view Keys, rank1_view Values, class Eq>
std::int64_t unique_by_key(const Exec& exec, const Keys& keys, const Values& values, Eq eq) {
  const detail::profiling_region region("weft::unique_by_key");
  detail::static_check_device_callable<Exec, Eq>();
  detail::static_check_accessible<Exec, Keys, Values>();
  detail::static_check_writable<Keys>();
  detail::static_check_writable<Values>();
  detail::static_check_equality<Keys, Eq>();
  detail::require(keys.extent(0) == values.extent(0), "weft::unique_by_key: keys have ", keys.extent(0),
                  " elements, values have ", values.extent(0));
  detail::require(!detail::overlap(keys, values), "weft::unique_by_key: keys and values share memory (",
                  keys.extent(0), " elements each)");
  return detail::compact_in_place(exec, detail::run_head_select<Keys, Eq>{keys, eq}, keys, values,
                                  "weft::unique_by_key");
}

template <execution_space Exec, rank1_view Keys, rank1_view Values>
std::int64_t unique_by_key(const Exec& exec, const Keys& keys, const Values& values) {
  return weft::unique_by_key(exec, keys, values, equal_to<>{});
}

template <rank1_view Keys, rank1_view Values, class Eq>
std::int64_t unique_by_key(const Keys& keys, const Values& values, Eq eq) {
  return weft::unique_by_key(detail::default_exec_t<Keys>{}, keys, values, eq);
}

template <rank1_view Keys, rank1_view Values>
std::int64_t unique_by_key(const Keys& keys, const Values& values) {
  return weft::unique_by_key(detail::default_exec_t<Keys>{}, keys, values, equal_to<>{});
}

}  // namespace weft
