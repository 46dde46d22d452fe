// Reproducible sums (weft::reproducible_plus) against weft's default sums
// and hand-written Kokkos, at 2^20 (in cache) and 2^24 (4x the last-level
// cache here) elements of double:
//
//   repro_sum/{weft,default,kokkos}/n   reduce(exec, x, 0.0, reproducible_plus) | weft::plus | parallel_reduce
//   repro_dot/{weft,default,kokkos}/n   transform_reduce(x, y, ..., multiplies)  | ...       | parallel_reduce
//   repro_scan/{weft,default,kokkos}/n  inclusive_scan(x, out, reproducible_plus) | weft::plus | parallel_scan
//
// Bytes per iteration: sum 8n, dot 16n, scan 16n. The data, k/16 for k in
// 0..16, sums exactly in any order, so every variant gives the same bits.
// scripts/bench_reproducible.py runs these and the distributed ones.

#include "common.hpp"

#include <weft/reproducible.hpp>

namespace weft_bench {
namespace {

struct repro_data {
  vector x, y, out;
  double sum, dot;
};

repro_data& repro_arrays(std::int64_t n) {
  return cached<repro_data>("repro/" + std::to_string(n), [n] {
    repro_data d{uninitialized<vector>("x", n), uninitialized<vector>("y", n), uninitialized<vector>("out", n), 0, 0};
    fill_pattern(d.x, 3);
    fill_pattern(d.y, 4);
    fill_pattern(d.out, 5);
    const auto x = on_host(d.x);
    const auto y = on_host(d.y);
    for (std::int64_t i = 0; i < n; ++i) {
      d.sum += x(i);
      d.dot += x(i) * y(i);
    }
    return d;
  });
}

template <class Step>
void timed(benchmark::State& state, const std::string& name, double want, Step step) {
  if (first_time(name)) {
    const double got = step();
    Kokkos::fence();
    check_value(name, "the result", got, want);
  }
  time_loop(state, true, [&] { benchmark::DoNotOptimize(step()); });
}

void register_at(std::int64_t n) {
  const double size = static_cast<double>(n);
  add("repro_sum", "weft", n, 8 * size, [n](benchmark::State& state, const std::string& name) {
    auto& d = repro_arrays(n);
    timed(state, name, d.sum, [&] { return weft::reduce(exec_space{}, d.x, 0.0, weft::reproducible_plus{}); });
  });
  add("repro_sum", "default", n, 8 * size, [n](benchmark::State& state, const std::string& name) {
    auto& d = repro_arrays(n);
    timed(state, name, d.sum, [&] { return weft::reduce(exec_space{}, d.x, 0.0, weft::plus{}); });
  });
  add("repro_sum", "kokkos", n, 8 * size, [n](benchmark::State& state, const std::string& name) {
    auto& d = repro_arrays(n);
    timed(state, name, d.sum, [&] {
      const vector x = d.x;
      double sum = 0;
      Kokkos::parallel_reduce(
          "kokkos::reduce_sum", Kokkos::RangePolicy<exec_space>(exec_space{}, 0, x.extent(0)),
          KOKKOS_LAMBDA(const std::int64_t i, double& acc) { acc += x(i); }, sum);
      return sum;
    });
  });
  add("repro_dot", "weft", n, 16 * size, [n](benchmark::State& state, const std::string& name) {
    auto& d = repro_arrays(n);
    timed(state, name, d.dot, [&] {
      return weft::transform_reduce(exec_space{}, d.x, d.y, 0.0, weft::reproducible_plus{}, weft::multiplies{});
    });
  });
  add("repro_dot", "default", n, 16 * size, [n](benchmark::State& state, const std::string& name) {
    auto& d = repro_arrays(n);
    timed(state, name, d.dot,
          [&] { return weft::transform_reduce(exec_space{}, d.x, d.y, 0.0, weft::plus{}, weft::multiplies{}); });
  });
  add("repro_dot", "kokkos", n, 16 * size, [n](benchmark::State& state, const std::string& name) {
    auto& d = repro_arrays(n);
    timed(state, name, d.dot, [&] {
      const vector x = d.x, y = d.y;
      double dot = 0;
      Kokkos::parallel_reduce(
          "kokkos::dot", Kokkos::RangePolicy<exec_space>(exec_space{}, 0, x.extent(0)),
          KOKKOS_LAMBDA(const std::int64_t i, double& acc) { acc += x(i) * y(i); }, dot);
      return dot;
    });
  });
  add("repro_scan", "weft", n, 16 * size, [n](benchmark::State& state, const std::string& name) {
    auto& d = repro_arrays(n);
    timed(state, name, d.sum,
          [&] { return weft::inclusive_scan(exec_space{}, d.x, d.out, weft::reproducible_plus{}); });
  });
  add("repro_scan", "default", n, 16 * size, [n](benchmark::State& state, const std::string& name) {
    auto& d = repro_arrays(n);
    timed(state, name, d.sum, [&] { return weft::inclusive_scan(exec_space{}, d.x, d.out, weft::plus{}); });
  });
  add("repro_scan", "kokkos", n, 16 * size, [n](benchmark::State& state, const std::string& name) {
    auto& d = repro_arrays(n);
    timed(state, name, d.sum, [&] {
      const vector x = d.x, out = d.out;
      double total = 0;
      Kokkos::parallel_scan(
          "kokkos::scan", Kokkos::RangePolicy<exec_space>(exec_space{}, 0, x.extent(0)),
          KOKKOS_LAMBDA(const std::int64_t i, double& update, const bool final) {
            update += x(i);
            if (final) out(i) = update;
          },
          total);
      return total;
    });
  });
}

}  // namespace

void register_reproducible_benchmarks() {
  for (const std::int64_t n : {std::int64_t(1) << 20, std::int64_t(1) << 24}) register_at(n);
}

}  // namespace weft_bench
