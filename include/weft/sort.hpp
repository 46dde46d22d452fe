// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
#pragma once
// The sorts: sort and sort_by_key, both stable.
//
// With the default order (weft::less) or weft::greater on arithmetic keys
// (integers of 8 to 64 bits, float, double) they run a parallel LSD radix
// sort: per-thread digit counts, a scan, a stable scatter per pass. Float
// keys: -0.0 and +0.0 are equal (they keep their input order), and NaNs sort
// after +inf, in input order among themselves, whether ascending or
// descending, as pandas and NumPy put them last. Any other strict weak
// ordering runs a parallel merge sort (sorted runs, then rounds of merges
// split into equal pieces by merge-path searches); there a NaN is the
// comparison's business. Elements that compare equal keep their order.
//
// Neither returns a value nor fences: the kernels are enqueued on the
// instance (on host spaces Kokkos runs them before returning, and the radix
// sort first reads which key bits vary, to skip passes over bits that do not).
// Scratch memory is allocated in the instance's memory space: one copy of
// the keys (two for more than two radix passes or for the merge sort), and
// as much again for values.

#include "detail/config.hpp"  // first: the C++20 check

#include "concepts.hpp"
#include "detail/device_function.hpp"
#include "detail/policy.hpp"
#include "detail/profiling.hpp"
#include "detail/sort.hpp"
#include "detail/tiles.hpp"
#include "error.hpp"
#include "functional.hpp"

#include <Kokkos_Core.hpp>

#include <type_traits>

namespace weft {

namespace detail {
template <class View, class Comp>
constexpr void static_check_comparison() {
  static_assert(std::is_invocable_r_v<bool, const Comp&, const_reference_t<View>, const_reference_t<View>>,
                "weft: the comparison of a sort cannot be called with two keys, or does not return "
                "something convertible to bool.");
}
}  // namespace detail

/// Sorts v in place so that comp(v(i + 1), v(i)) is false for every i,
/// keeping equal elements in their order (stable). comp is a strict weak
/// ordering callable on the device; weft::less (the default) and
/// weft::greater on arithmetic types run a radix sort, NaNs last.
///   weft::sort(exec, v);                         // ascending
///   weft::sort(exec, v, weft::greater{});        // descending
///   weft::sort(exec, particles, KOKKOS_LAMBDA(const particle& a, const particle& b) { return a.cell < b.cell; });
template <execution_space Exec, rank1_view View, class Comp>
void sort(const Exec& exec, const View& v, Comp comp) {
  const detail::profiling_region region("weft::sort");
  detail::static_check_device_callable<Exec, Comp>();
  detail::static_check_accessible<Exec, View>();
  detail::static_check_writable<View>();
  detail::static_check_comparison<View, Comp>();
  detail::sort_any(exec, v, detail::no_values{}, comp, "weft::sort");
}

template <execution_space Exec, rank1_view View>
void sort(const Exec& exec, const View& v) {
  weft::sort(exec, v, less<>{});
}

template <rank1_view View, class Comp>
void sort(const View& v, Comp comp) {
  weft::sort(detail::default_exec_t<View>{}, v, comp);
}

template <rank1_view View>
void sort(const View& v) {
  weft::sort(detail::default_exec_t<View>{}, v, less<>{});
}

/// Sorts keys as weft::sort does and applies the same permutation to
/// values: values(i) stays with keys(i). Stable. keys and values must have
/// equal extents and must not share memory.
///   weft::sort_by_key(exec, cell_of_particle, particle_index);
template <execution_space Exec, rank1_view Keys, rank1_view Values, class Comp>
void sort_by_key(const Exec& exec, const Keys& keys, const Values& values, Comp comp) {
  const detail::profiling_region region("weft::sort_by_key");
  detail::static_check_device_callable<Exec, Comp>();
  detail::static_check_accessible<Exec, Keys, Values>();
  detail::static_check_writable<Keys>();
  detail::static_check_writable<Values>();
  detail::static_check_comparison<Keys, Comp>();
  detail::require(keys.extent(0) == values.extent(0), "weft::sort_by_key: keys have ", keys.extent(0),
                  " elements, values have ", values.extent(0));
  detail::require(!detail::overlap(keys, values), "weft::sort_by_key: keys and values share memory (",
                  keys.extent(0), " elements each)");
  detail::sort_any(exec, keys, values, comp, "weft::sort_by_key");
}

template <execution_space Exec, rank1_view Keys, rank1_view Values>
void sort_by_key(const Exec& exec, const Keys& keys, const Values& values) {
  weft::sort_by_key(exec, keys, values, less<>{});
}

template <rank1_view Keys, rank1_view Values, class Comp>
void sort_by_key(const Keys& keys, const Values& values, Comp comp) {
  weft::sort_by_key(detail::default_exec_t<Keys>{}, keys, values, comp);
}

template <rank1_view Keys, rank1_view Values>
void sort_by_key(const Keys& keys, const Values& values) {
  weft::sort_by_key(detail::default_exec_t<Keys>{}, keys, values, less<>{});
}

}  // namespace weft
