// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
#pragma once
// The scan family: inclusive_scan, exclusive_scan and their transform_ forms.
//
// Each writes the prefix results to `out` and returns the total, the fold of
// all inputs (after init for the exclusive forms); returning it blocks until
// the kernel is done, fencing only the given instance. Operations need only
// be associative: scans combine strictly in sequence order. in and out must
// have equal extents and may be the same view.

#include "detail/config.hpp"  // first: the C++20 check

#include "concepts.hpp"
#include "detail/cub_scan.hpp"
#include "detail/device_function.hpp"
#include "detail/overlap.hpp"
#include "detail/profiling.hpp"
#include "detail/reduce.hpp"
#include "detail/scan.hpp"
#include "error.hpp"
#include "functional.hpp"

#include <Kokkos_Core.hpp>

#include <cstdint>
#include <type_traits>

namespace weft {

namespace detail {
template <class Exec, class In, class Out>
void check_scan_args(const char* label, const In& in, const Out& out) {
  static_check_rank1<In>();
  static_check_rank1<Out>();
  static_check_accessible<Exec, In, Out>();
  static_check_writable<Out>();
  require(in.extent(0) == out.extent(0), label, ": input has ", in.extent(0),
          " elements, output has ", out.extent(0));
  require(may_write_elementwise(in, out), label, ": the output shares elements with the input at other indices (",
          in.extent(0), " elements); pass the same view (an in-place scan), or views that do not overlap");
}
}  // namespace detail

/// out(i) = f(in(0)) op ... op f(in(i)); returns the last of these (T{} when empty).
///   weft::transform_inclusive_scan(exec, x, y, weft::plus{}, KOKKOS_LAMBDA(int a) { return a * a; });
template <execution_space Exec, view In, view Out, class Op, class UnaryOp>
detail::value_t<Out> transform_inclusive_scan(const Exec& exec, const In& in, const Out& out, Op op,
                                              UnaryOp unary_op) {
  const detail::profiling_region region("weft::transform_inclusive_scan");
  detail::static_check_device_callable<Exec, Op, UnaryOp>();
  using T = detail::value_t<Out>;
  detail::check_scan_args<Exec>("weft::transform_inclusive_scan", in, out);
  if (in.extent(0) == 0) return T{};
  return detail::scan_range<false, T>(exec, "weft::transform_inclusive_scan", detail::extent(in), op,
                                      detail::unary_map<In, UnaryOp>{in, unary_op}, out,
                                      detail::optional_value<T>{T{}, false});
}

template <view In, view Out, class Op, class UnaryOp>
detail::value_t<Out> transform_inclusive_scan(const In& in, const Out& out, Op op, UnaryOp unary_op) {
  return weft::transform_inclusive_scan(detail::default_exec_t<Out>{}, in, out, op, unary_op);
}

/// out(i) = in(0) op ... op in(i); returns the last of these (T{} when empty).
///   auto total = weft::inclusive_scan(exec, counts, offsets, weft::plus{});
template <execution_space Exec, view In, view Out, class Op>
detail::value_t<Out> inclusive_scan(const Exec& exec, const In& in, const Out& out, Op op) {
  const detail::profiling_region region("weft::inclusive_scan");
  detail::static_check_device_callable<Exec, Op>();
  using T = detail::value_t<Out>;
  detail::check_scan_args<Exec>("weft::inclusive_scan", in, out);
  if (in.extent(0) == 0) return T{};
#if defined(KOKKOS_ENABLE_CUDA)
  if constexpr (detail::cub_scan_eligible<Exec, Op, T, In, Out>) {
    if (detail::cub_contiguous(in, out)) return detail::cub_scan<false>(exec, "weft::inclusive_scan", in, out, T{});
  }
#endif
  return detail::scan_range<false, T>(exec, "weft::inclusive_scan", detail::extent(in), op,
                                      detail::element_map<In>{in}, out,
                                      detail::optional_value<T>{T{}, false});
}

template <view In, view Out, class Op>
detail::value_t<Out> inclusive_scan(const In& in, const Out& out, Op op) {
  return weft::inclusive_scan(detail::default_exec_t<Out>{}, in, out, op);
}

/// Running sums: out(i) = in(0) + ... + in(i); returns the total.
template <execution_space Exec, view In, view Out>
detail::value_t<Out> inclusive_scan(const Exec& exec, const In& in, const Out& out) {
  return weft::inclusive_scan(exec, in, out, plus<>{});
}

template <view In, view Out>
detail::value_t<Out> inclusive_scan(const In& in, const Out& out) {
  return weft::inclusive_scan(detail::default_exec_t<Out>{}, in, out, plus<>{});
}

/// out(i) = init op f(in(0)) op ... op f(in(i-1)), out(0) = init; returns
/// init op f(in(0)) op ... op f(in(n-1)) (init when empty). As in `<numeric>`,
/// values are accumulated in init's type T and converted to out's value
/// type as they are written; an integer init over floating-point values
/// does not compile (it would truncate every term).
template <execution_space Exec, view In, view Out, class T, class Op, class UnaryOp>
T transform_exclusive_scan(const Exec& exec, const In& in, const Out& out, T init, Op op,
                           UnaryOp unary_op) {
  const detail::profiling_region region("weft::transform_exclusive_scan");
  detail::static_check_device_callable<Exec, Op, UnaryOp>();
  detail::check_scan_args<Exec>("weft::transform_exclusive_scan", in, out);
  detail::static_check_accumulator<T, std::invoke_result_t<const UnaryOp&, detail::const_reference_t<In>>>();
  if (in.extent(0) == 0) return init;
  return detail::scan_range<true, T>(exec, "weft::transform_exclusive_scan", detail::extent(in), op,
                                     detail::unary_map<In, UnaryOp>{in, unary_op}, out,
                                     detail::optional_value<T>{init, true});
}

template <view In, view Out, class T, class Op, class UnaryOp>
T transform_exclusive_scan(const In& in, const Out& out, T init, Op op, UnaryOp unary_op) {
  return weft::transform_exclusive_scan(detail::default_exec_t<Out>{}, in, out, init, op, unary_op);
}

/// out(i) = init op in(0) op ... op in(i-1), out(0) = init; returns
/// init op in(0) op ... op in(n-1) (init when empty).
///   auto n_total = weft::exclusive_scan(exec, counts, offsets, 0);
template <execution_space Exec, view In, view Out, class T, class Op>
T exclusive_scan(const Exec& exec, const In& in, const Out& out, T init, Op op) {
  const detail::profiling_region region("weft::exclusive_scan");
  detail::static_check_device_callable<Exec, Op>();
  detail::check_scan_args<Exec>("weft::exclusive_scan", in, out);
  detail::static_check_accumulator<T, detail::value_t<In>>();
  if (in.extent(0) == 0) return init;
#if defined(KOKKOS_ENABLE_CUDA)
  if constexpr (detail::cub_scan_eligible<Exec, Op, T, In, Out>) {
    if (detail::cub_contiguous(in, out)) return detail::cub_scan<true>(exec, "weft::exclusive_scan", in, out, init);
  }
#endif
  return detail::scan_range<true, T>(exec, "weft::exclusive_scan", detail::extent(in), op,
                                     detail::element_map<In>{in}, out, detail::optional_value<T>{init, true});
}

template <view In, view Out, class T, class Op>
T exclusive_scan(const In& in, const Out& out, T init, Op op) {
  return weft::exclusive_scan(detail::default_exec_t<Out>{}, in, out, init, op);
}

/// Exclusive running sums starting at init.
template <execution_space Exec, view In, view Out, class T>
T exclusive_scan(const Exec& exec, const In& in, const Out& out, T init) {
  return weft::exclusive_scan(exec, in, out, init, plus<>{});
}

template <view In, view Out, class T>
T exclusive_scan(const In& in, const Out& out, T init) {
  return weft::exclusive_scan(detail::default_exec_t<Out>{}, in, out, init, plus<>{});
}

}  // namespace weft
