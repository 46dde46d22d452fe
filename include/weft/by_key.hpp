// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
#pragma once
// The by-key (segmented) family: reduce_by_key, inclusive_scan_by_key,
// exclusive_scan_by_key, segmented_reduce.
//
// A segment is a run of consecutive elements whose keys compare equal
// (eq(keys(i - 1), keys(i)); weft::equal_to by default), as in thrust, or,
// for segmented_reduce, a range [offsets(s), offsets(s + 1)) of CSR offsets.
// Operations need only be associative: each segment is folded strictly in
// sequence order (a 2x2 matrix product or the composition of affine maps
// works), and no identity element is needed. Values are folded in the
// output's value type. All run in parallel over tiles of elements, not over
// segments, so one long segment costs no more than many short ones.
//
// reduce_by_key returns the number of segments and blocks; the scans enqueue
// their kernels and return without waiting; segmented_reduce blocks, because
// it checks the offsets before it writes.

#include "detail/config.hpp"  // first: the C++20 check

#include "concepts.hpp"
#include "detail/by_key.hpp"
#include "detail/device_function.hpp"
#include "detail/policy.hpp"
#include "detail/profiling.hpp"
#include "detail/tiles.hpp"
#include "error.hpp"
#include "functional.hpp"

#include <Kokkos_Core.hpp>

#include <cstdint>
#include <type_traits>
#include <utility>

namespace weft {

namespace detail {
/// out may be values itself (in place), but no other view that shares memory with an input.
template <class Keys, class Values, class Out>
void check_scan_by_key_args(const char* label, const Keys& keys, const Values& values, const Out& out) {
  require(keys.extent(0) == values.extent(0) && values.extent(0) == out.extent(0), label, ": keys have ",
          keys.extent(0), " elements, values ", values.extent(0), ", output ", out.extent(0));
  require(!overlap(keys, out), label, ": the output shares memory with the keys (", keys.extent(0), " elements)");
  bool same_as_values = false;
  if constexpr (std::is_same_v<typename Values::memory_space, typename Out::memory_space>)
    same_as_values = static_cast<const void*>(values.data()) == static_cast<const void*>(out.data()) &&
                     values.stride_0() == out.stride_0() && sizeof(value_t<Values>) == sizeof(value_t<Out>);
  require(same_as_values || !overlap(values, out), label,
          ": the output shares memory with the values without being the same view (", values.extent(0),
          " elements)");
}
}  // namespace detail

/// For every segment of equal consecutive keys, writes its first key to
/// keys_out(s) and the fold values(first) op ... op values(last) to
/// values_out(s), s = 0, 1, ...; returns the number of segments. The
/// outputs need that many elements (checked before anything is written)
/// and must not share memory with the inputs. Defaults: weft::plus, weft::equal_to.
///   auto m = weft::reduce_by_key(exec, cell, mass, cells, cell_mass);   // sorted cells: mass per cell
template <execution_space Exec, rank1_view Keys, rank1_view Values, rank1_view KeysOut, rank1_view ValuesOut,
          class Op, class Eq>
std::int64_t reduce_by_key(const Exec& exec, const Keys& keys, const Values& values, const KeysOut& keys_out,
                           const ValuesOut& values_out, Op op, Eq eq) {
  const detail::profiling_region region("weft::reduce_by_key");
  using T = detail::value_t<ValuesOut>;
  const char* label = "weft::reduce_by_key";
  detail::static_check_accessible<Exec, Keys, Values, KeysOut, ValuesOut>();
  detail::static_check_writable<KeysOut>();
  detail::static_check_writable<ValuesOut>();
  detail::require(keys.extent(0) == values.extent(0), label, ": keys have ", keys.extent(0), " elements, values have ",
                  values.extent(0));
  detail::require(!detail::overlap(keys_out, keys) && !detail::overlap(keys_out, values) &&
                      !detail::overlap(values_out, keys) && !detail::overlap(values_out, values) &&
                      !detail::overlap(keys_out, values_out),
                  label, ": an output shares memory with an input or the other output");
  const std::int64_t n = detail::extent(keys);
  if (n == 0) return 0;
  const detail::key_segments<Keys, Eq> segments{keys, eq};
  const auto plan = detail::plan_segments<T, true>(exec, segments, values, op, 0, n, label);
  detail::require(plan.segments <= detail::extent(keys_out) && plan.segments <= detail::extent(values_out), label,
                  ": ", plan.segments, " segments among ", n, " keys, but keys_out has ", keys_out.extent(0),
                  " elements and values_out ", values_out.extent(0));
  detail::walk_segments<T>(exec, plan, segments, values, op,
                           detail::reduce_by_key_emit<Keys, KeysOut, ValuesOut>{keys, keys_out, values_out}, 0, label);
  exec.fence();
  return plan.segments;
}

template <execution_space Exec, rank1_view Keys, rank1_view Values, rank1_view KeysOut, rank1_view ValuesOut,
          class Op>
std::int64_t reduce_by_key(const Exec& exec, const Keys& keys, const Values& values, const KeysOut& keys_out,
                           const ValuesOut& values_out, Op op) {
  return weft::reduce_by_key(exec, keys, values, keys_out, values_out, op, equal_to<>{});
}

template <execution_space Exec, rank1_view Keys, rank1_view Values, rank1_view KeysOut, rank1_view ValuesOut>
std::int64_t reduce_by_key(const Exec& exec, const Keys& keys, const Values& values, const KeysOut& keys_out,
                           const ValuesOut& values_out) {
  return weft::reduce_by_key(exec, keys, values, keys_out, values_out, plus<>{}, equal_to<>{});
}

template <rank1_view Keys, rank1_view Values, rank1_view KeysOut, rank1_view ValuesOut, class Op, class Eq>
std::int64_t reduce_by_key(const Keys& keys, const Values& values, const KeysOut& keys_out,
                           const ValuesOut& values_out, Op op, Eq eq) {
  return weft::reduce_by_key(detail::default_exec_t<ValuesOut>{}, keys, values, keys_out, values_out, op, eq);
}

template <rank1_view Keys, rank1_view Values, rank1_view KeysOut, rank1_view ValuesOut, class Op>
std::int64_t reduce_by_key(const Keys& keys, const Values& values, const KeysOut& keys_out,
                           const ValuesOut& values_out, Op op) {
  return weft::reduce_by_key(detail::default_exec_t<ValuesOut>{}, keys, values, keys_out, values_out, op,
                             equal_to<>{});
}

template <rank1_view Keys, rank1_view Values, rank1_view KeysOut, rank1_view ValuesOut>
std::int64_t reduce_by_key(const Keys& keys, const Values& values, const KeysOut& keys_out,
                           const ValuesOut& values_out) {
  return weft::reduce_by_key(detail::default_exec_t<ValuesOut>{}, keys, values, keys_out, values_out, plus<>{},
                             equal_to<>{});
}

/// out(i) = values(first) op ... op values(i), first the start of i's
/// segment of equal keys. out may be values itself. Does not block.
///   weft::inclusive_scan_by_key(exec, row, contribution, running);
template <execution_space Exec, rank1_view Keys, rank1_view Values, rank1_view Out, class Op, class Eq>
void inclusive_scan_by_key(const Exec& exec, const Keys& keys, const Values& values, const Out& out, Op op, Eq eq) {
  const detail::profiling_region region("weft::inclusive_scan_by_key");
  detail::static_check_device_callable<Exec, Op, Eq>();
  using T = detail::value_t<Out>;
  const char* label = "weft::inclusive_scan_by_key";
  detail::static_check_accessible<Exec, Keys, Values, Out>();
  detail::static_check_writable<Out>();
  detail::check_scan_by_key_args(label, keys, values, out);
  const std::int64_t n = detail::extent(keys);
  const detail::key_segments<Keys, Eq> segments{keys, eq};
  const auto plan = detail::plan_segments<T, false>(exec, segments, values, op, 0, n, label);
  detail::walk_segments<T>(exec, plan, segments, values, op, detail::inclusive_by_key_emit<Out>{out}, 0, label);
}

template <execution_space Exec, rank1_view Keys, rank1_view Values, rank1_view Out, class Op>
void inclusive_scan_by_key(const Exec& exec, const Keys& keys, const Values& values, const Out& out, Op op) {
  weft::inclusive_scan_by_key(exec, keys, values, out, op, equal_to<>{});
}

template <execution_space Exec, rank1_view Keys, rank1_view Values, rank1_view Out>
void inclusive_scan_by_key(const Exec& exec, const Keys& keys, const Values& values, const Out& out) {
  weft::inclusive_scan_by_key(exec, keys, values, out, plus<>{}, equal_to<>{});
}

template <rank1_view Keys, rank1_view Values, rank1_view Out, class Op, class Eq>
void inclusive_scan_by_key(const Keys& keys, const Values& values, const Out& out, Op op, Eq eq) {
  weft::inclusive_scan_by_key(detail::default_exec_t<Out>{}, keys, values, out, op, eq);
}

template <rank1_view Keys, rank1_view Values, rank1_view Out, class Op>
void inclusive_scan_by_key(const Keys& keys, const Values& values, const Out& out, Op op) {
  weft::inclusive_scan_by_key(detail::default_exec_t<Out>{}, keys, values, out, op, equal_to<>{});
}

template <rank1_view Keys, rank1_view Values, rank1_view Out>
void inclusive_scan_by_key(const Keys& keys, const Values& values, const Out& out) {
  weft::inclusive_scan_by_key(detail::default_exec_t<Out>{}, keys, values, out, plus<>{}, equal_to<>{});
}

/// out(i) = init at the start of each segment of equal keys, else
/// init op values(first) op ... op values(i - 1). out may be values itself.
/// Defaults: init T{}, weft::plus, weft::equal_to. Does not block.
///   weft::exclusive_scan_by_key(exec, row, count, slot_in_row, 0);
template <execution_space Exec, rank1_view Keys, rank1_view Values, rank1_view Out, class T, class Op, class Eq>
void exclusive_scan_by_key(const Exec& exec, const Keys& keys, const Values& values, const Out& out, T init, Op op,
                           Eq eq) {
  const detail::profiling_region region("weft::exclusive_scan_by_key");
  detail::static_check_device_callable<Exec, Op, Eq>();
  using element_type = detail::value_t<Out>;
  const char* label = "weft::exclusive_scan_by_key";
  detail::static_check_accessible<Exec, Keys, Values, Out>();
  detail::static_check_writable<Out>();
  detail::check_scan_by_key_args(label, keys, values, out);
  const std::int64_t n = detail::extent(keys);
  const detail::key_segments<Keys, Eq> segments{keys, eq};
  const auto plan = detail::plan_segments<element_type, false>(exec, segments, values, op, 0, n, label);
  detail::walk_segments<element_type>(exec, plan, segments, values, op,
                                      detail::exclusive_by_key_emit<Out, Op>{out, op, element_type(init)}, 0, label);
}

template <execution_space Exec, rank1_view Keys, rank1_view Values, rank1_view Out, class T, class Op>
void exclusive_scan_by_key(const Exec& exec, const Keys& keys, const Values& values, const Out& out, T init, Op op) {
  weft::exclusive_scan_by_key(exec, keys, values, out, init, op, equal_to<>{});
}

template <execution_space Exec, rank1_view Keys, rank1_view Values, rank1_view Out, class T>
void exclusive_scan_by_key(const Exec& exec, const Keys& keys, const Values& values, const Out& out, T init) {
  weft::exclusive_scan_by_key(exec, keys, values, out, init, plus<>{}, equal_to<>{});
}

template <execution_space Exec, rank1_view Keys, rank1_view Values, rank1_view Out>
void exclusive_scan_by_key(const Exec& exec, const Keys& keys, const Values& values, const Out& out) {
  weft::exclusive_scan_by_key(exec, keys, values, out, detail::value_t<Out>{}, plus<>{}, equal_to<>{});
}

template <rank1_view Keys, rank1_view Values, rank1_view Out, class T, class Op, class Eq>
void exclusive_scan_by_key(const Keys& keys, const Values& values, const Out& out, T init, Op op, Eq eq) {
  weft::exclusive_scan_by_key(detail::default_exec_t<Out>{}, keys, values, out, init, op, eq);
}

template <rank1_view Keys, rank1_view Values, rank1_view Out, class T, class Op>
void exclusive_scan_by_key(const Keys& keys, const Values& values, const Out& out, T init, Op op) {
  weft::exclusive_scan_by_key(detail::default_exec_t<Out>{}, keys, values, out, init, op, equal_to<>{});
}

template <rank1_view Keys, rank1_view Values, rank1_view Out, class T>
void exclusive_scan_by_key(const Keys& keys, const Values& values, const Out& out, T init) {
  weft::exclusive_scan_by_key(detail::default_exec_t<Out>{}, keys, values, out, init, plus<>{}, equal_to<>{});
}

template <rank1_view Keys, rank1_view Values, rank1_view Out>
void exclusive_scan_by_key(const Keys& keys, const Values& values, const Out& out) {
  weft::exclusive_scan_by_key(detail::default_exec_t<Out>{}, keys, values, out, detail::value_t<Out>{}, plus<>{},
                              equal_to<>{});
}

/// out(s) = init op values(offsets(s)) op ... op values(offsets(s + 1) - 1)
/// for every segment s of CSR offsets (offsets has out.extent(0) + 1
/// entries, non-decreasing, within [0, values.extent(0)]); an empty segment
/// gives init. Defaults: init T{}, weft::plus. Blocks: the offsets are read
/// and checked (weft::error names the first bad one) before anything is
/// written.
///   weft::segmented_reduce(exec, matrix_values, row_ptr, row_sums);
template <execution_space Exec, rank1_view Values, rank1_view Offsets, rank1_view Out, class T, class Op>
void segmented_reduce(const Exec& exec, const Values& values, const Offsets& offsets, const Out& out, T init, Op op) {
  const detail::profiling_region region("weft::segmented_reduce");
  detail::static_check_device_callable<Exec, Op>();
  using element_type = detail::value_t<Out>;
  using offset_type = detail::value_t<Offsets>;
  const char* label = "weft::segmented_reduce";
  detail::static_check_accessible<Exec, Values, Offsets, Out>();
  detail::static_check_writable<Out>();
  static_assert(std::is_integral_v<offset_type>, "weft::segmented_reduce: the offsets must be integers.");
  const std::int64_t segments = detail::extent(out), n = detail::extent(values);
  detail::require(detail::extent(offsets) == segments + 1 || (segments == 0 && offsets.extent(0) == 0), label,
                  ": ", out.extent(0), " segments need ", segments + 1, " offsets, got ", offsets.extent(0));
  detail::require(!detail::overlap(out, values) && !detail::overlap(out, offsets), label,
                  ": the output shares memory with an input");
  if (segments == 0) return;
  std::int64_t first_bad = -1;
  Kokkos::parallel_reduce(label, detail::range(exec, segments),
                          detail::offsets_check_functor<Offsets>{offsets, segments, n}, first_bad);
  auto offset_at = [&](std::int64_t s) {
    offset_type value;
    Kokkos::deep_copy(value, Kokkos::subview(offsets, s));
    return static_cast<std::int64_t>(value);
  };
  if (first_bad >= 0) {
    const std::int64_t a = offset_at(first_bad), b = offset_at(first_bad + 1);
    detail::require(a <= b, label, ": offsets(", first_bad, ") = ", a, " > offsets(", first_bad + 1, ") = ", b);
    detail::require(a >= 0, label, ": offsets(0) = ", a, " is negative");
    detail::fail(label, ": offsets(", segments, ") = ", b, " is past the end of ", n, " values");
  }
  const std::int64_t begin = offset_at(0), end = offset_at(segments);
  const element_type start(init);
  Kokkos::parallel_for(label, detail::range(exec, segments),
                       detail::empty_segments_functor<Offsets, Out>{offsets, out, start});
  const detail::offset_segments<Offsets> parts{offsets, segments};
  const auto plan = detail::plan_segments<element_type, false>(exec, parts, values, op, begin, end - begin, label);
  detail::walk_segments<element_type>(exec, plan, parts, values, op,
                                      detail::segmented_reduce_emit<Out, Op>{out, op, start}, begin, label);
}

template <execution_space Exec, rank1_view Values, rank1_view Offsets, rank1_view Out>
void segmented_reduce(const Exec& exec, const Values& values, const Offsets& offsets, const Out& out) {
  weft::segmented_reduce(exec, values, offsets, out, detail::value_t<Out>{}, plus<>{});
}

template <rank1_view Values, rank1_view Offsets, rank1_view Out, class T, class Op>
void segmented_reduce(const Values& values, const Offsets& offsets, const Out& out, T init, Op op) {
  weft::segmented_reduce(detail::default_exec_t<Out>{}, values, offsets, out, init, op);
}

template <rank1_view Values, rank1_view Offsets, rank1_view Out>
void segmented_reduce(const Values& values, const Offsets& offsets, const Out& out) {
  weft::segmented_reduce(detail::default_exec_t<Out>{}, values, offsets, out, detail::value_t<Out>{}, plus<>{});
}

}  // namespace weft
