// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
#pragma once
// The scan family on distributed vectors: a global prefix across ranks.
// Each rank folds its block, weft's ordered exclusive scan over the ranks
// (detail/collectives.hpp: O(log P) messages, a bracketing fixed by the rank
// count) gives it the fold of the ranks before it (in rank order, so the op
// need not commute) and the total, and it scans its block from there. Reads the input twice,
// writes the output once; collective and blocking; the total is returned,
// identical, on every rank. With weft::reproducible_plus on float or double
// every output is the same bits for any rank count and partition.

#include "../detail/config.hpp"  // first: the C++20 check

#include "../detail/device_function.hpp"
#include "../detail/profiling.hpp"
#include "../scan.hpp"
#include "detail/collectives.hpp"
#include "detail/mpi.hpp"
#include "for_each.hpp"
#include "reduce.hpp"
#include "vector.hpp"

#include <cstdint>
#include <type_traits>

namespace weft {

namespace detail {
/// The distributed scan: `before` of this rank is init (exclusive) followed
/// by the totals of the ranks before it. Returns [init op] the global total.
template <bool Exclusive, class T, class Exec, class In, class Out, class Op, class Map>
T distributed_scan(const Exec& exec, const In& in, const Out& out, const optional_value<T>& init, Op op, Map map,
                   const char* algorithm) {
  const profiling_region region(algorithm);
  require_same_layout(algorithm, in, out);
  if constexpr (reproducible_fold<Op, T>) {
    // Each rank's accumulator, gathered; a rank scans from the join of the
    // ranks before it: every prefix is then the same bits for any partition.
    check_repro_count(algorithm, in.global_size());  // the layout is agreed: throws on every rank or none
    collective_check check(algorithm);
    optional_value<repro_sum> mine{repro_empty(), true};
    check.attempt([&] { mine.value = repro_fold_range(exec, algorithm, in.local_size(), map); });
    const optional_value<repro_sum> start{init.valid ? repro_of(static_cast<double>(init.value)) : repro_empty(),
                                          init.valid};
    record_init(check, start);
    const auto prefix = ordered_exclusive_scan(in.comm(), check, mine, repro_join_op{}, algorithm);
    repro_sum before = start.value, total = start.value;
    if (prefix.before.valid) repro_join(before, prefix.before.value);
    if (prefix.total.valid) repro_join(total, prefix.total.value);
    if (in.local_size() > 0) repro_scan_range<Exclusive>(exec, algorithm, in.local_size(), map, out.local(), before);
    return static_cast<T>(repro_value(total));
  }
  // The ordered scan of the partial totals also settles, on every rank, an
  // exception from the user's function and an init that differs.
  collective_check check(algorithm);
  optional_value<T> mine{T{}, false};
  check.attempt([&] { mine = fold_partial<T>(exec, algorithm, in.local_size(), op, map); });
  record_init(check, init);
  const auto prefix = ordered_exclusive_scan(in.comm(), check, mine, op, algorithm);
  auto join = [&](const optional_value<T>& a, const optional_value<T>& b) -> optional_value<T> {
    if (!a.valid) return b;
    if (!b.valid) return a;
    return {T(op(a.value, b.value)), true};
  };
  const optional_value<T> before = join(init, prefix.before);
  if (in.local_size() > 0) scan_range<Exclusive, T>(exec, algorithm, in.local_size(), op, map, out.local(), before);
  const optional_value<T> result = join(init, prefix.total);
  return result.valid ? result.value : T{};
}
}  // namespace detail

/// out_i = f(in_0) op ... op f(in_i) over global indices; returns the global
/// total (T{} when empty). in and out partitioned alike; may be the same.
template <execution_space Exec, distributed_1d In, distributed_1d Out, class Op, class UnaryOp>
typename Out::value_type transform_inclusive_scan(const Exec& exec, const In& in, const Out& out, Op op,
                                                  UnaryOp unary_op) {
  detail::static_check_device_callable<Exec, Op, UnaryOp>();
  using T = typename Out::value_type;
  auto local = in.local();
  return detail::distributed_scan<false, T>(exec, in, out, detail::optional_value<T>{T{}, false}, op,
                                            detail::unary_map<decltype(local), UnaryOp>{local, unary_op},
                                            "weft::transform_inclusive_scan");
}
template <distributed_1d In, distributed_1d Out, class Op, class UnaryOp>
typename Out::value_type transform_inclusive_scan(const In& in, const Out& out, Op op, UnaryOp unary_op) {
  return weft::transform_inclusive_scan(detail::dist_exec_t<Out>{}, in, out, op, unary_op);
}

/// out_i = in_0 op ... op in_i over global indices; returns the global total.
template <execution_space Exec, distributed_1d In, distributed_1d Out, class Op>
typename Out::value_type inclusive_scan(const Exec& exec, const In& in, const Out& out, Op op) {
  detail::static_check_device_callable<Exec, Op>();
  using T = typename Out::value_type;
  auto local = in.local();
  return detail::distributed_scan<false, T>(exec, in, out, detail::optional_value<T>{T{}, false}, op,
                                            detail::element_map<decltype(local)>{local}, "weft::inclusive_scan");
}
template <distributed_1d In, distributed_1d Out, class Op>
typename Out::value_type inclusive_scan(const In& in, const Out& out, Op op) {
  return weft::inclusive_scan(detail::dist_exec_t<Out>{}, in, out, op);
}
template <execution_space Exec, distributed_1d In, distributed_1d Out>
typename Out::value_type inclusive_scan(const Exec& exec, const In& in, const Out& out) {
  return weft::inclusive_scan(exec, in, out, plus<>{});
}
template <distributed_1d In, distributed_1d Out>
typename Out::value_type inclusive_scan(const In& in, const Out& out) {
  return weft::inclusive_scan(detail::dist_exec_t<Out>{}, in, out, plus<>{});
}

/// out_i = init op f(in_0) op ... op f(in_{i-1}); returns init op the global total.
template <execution_space Exec, distributed_1d In, distributed_1d Out, class T, class Op, class UnaryOp>
T transform_exclusive_scan(const Exec& exec, const In& in, const Out& out, T init, Op op, UnaryOp unary_op) {
  detail::static_check_device_callable<Exec, Op, UnaryOp>();
  auto local = in.local();
  detail::static_check_accumulator<T, std::invoke_result_t<const UnaryOp&, detail::const_reference_t<decltype(local)>>>();
  return detail::distributed_scan<true, T>(exec, in, out, detail::optional_value<T>{init, true}, op,
                                           detail::unary_map<decltype(local), UnaryOp>{local, unary_op},
                                           "weft::transform_exclusive_scan");
}
template <distributed_1d In, distributed_1d Out, class T, class Op, class UnaryOp>
T transform_exclusive_scan(const In& in, const Out& out, T init, Op op, UnaryOp unary_op) {
  return weft::transform_exclusive_scan(detail::dist_exec_t<Out>{}, in, out, init, op, unary_op);
}

/// out_i = init op in_0 op ... op in_{i-1}; returns init op the global total.
template <execution_space Exec, distributed_1d In, distributed_1d Out, class T, class Op>
T exclusive_scan(const Exec& exec, const In& in, const Out& out, T init, Op op) {
  detail::static_check_device_callable<Exec, Op>();
  auto local = in.local();
  detail::static_check_accumulator<T, typename In::value_type>();
  return detail::distributed_scan<true, T>(exec, in, out, detail::optional_value<T>{init, true}, op,
                                           detail::element_map<decltype(local)>{local}, "weft::exclusive_scan");
}
template <distributed_1d In, distributed_1d Out, class T, class Op>
T exclusive_scan(const In& in, const Out& out, T init, Op op) {
  return weft::exclusive_scan(detail::dist_exec_t<Out>{}, in, out, init, op);
}
template <execution_space Exec, distributed_1d In, distributed_1d Out, class T>
T exclusive_scan(const Exec& exec, const In& in, const Out& out, T init) {
  return weft::exclusive_scan(exec, in, out, init, plus<>{});
}
template <distributed_1d In, distributed_1d Out, class T>
T exclusive_scan(const In& in, const Out& out, T init) {
  return weft::exclusive_scan(detail::dist_exec_t<Out>{}, in, out, init, plus<>{});
}

}  // namespace weft
