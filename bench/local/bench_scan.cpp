// Inclusive prefix sum: weft::inclusive_scan, Kokkos::parallel_scan, and a
// hand-written two-pass OpenMP scan (chunk sums, their prefix, then each
// thread rescans its chunk from its offset). n = elements per array; bytes
// per iteration 16n (read in, write out; the second read of the two-pass
// scans is not counted).

#include "common.hpp"

#include <weft/scan.hpp>

#include <omp.h>

#include <cstddef>
#include <vector>

#if defined(KOKKOS_ENABLE_CUDA)
#include <cub/device/device_scan.cuh>
#endif

namespace weft_bench {
namespace {

struct scan_data {
  vector in, out;
};

scan_data& scan_arrays(std::int64_t n) {
  return cached<scan_data>("scan/" + std::to_string(n), [n] {
    scan_data d{uninitialized<vector>("in", n), uninitialized<vector>("out", n)};
    fill_pattern(d.in, 5);
    fill_pattern(d.out, 6);
    return d;
  });
}

/// Runs one iteration on poisoned output; compares every prefix sum and the
/// returned total (if any) with a sequential sum (exact for the test data).
template <class Step>
void check_scan(const std::string& name, const scan_data& d, Step step) {
  poison(d.out);
  const double total = step();
  Kokkos::fence();
  const auto in = on_host(d.in);
  const auto out = on_host(d.out);
  double running = 0;
  for (std::size_t i = 0; i < in.extent(0); ++i) {
    running += in(i);
    if (!approx_equal(out(i), running)) fail(name, "out(" + std::to_string(i) + ")", out(i), running);
  }
  check_value(name, "the returned total", total, running);
}

void register_scan(std::int64_t n) {
  add_variants(
      "scan", n, 16.0 * static_cast<double>(n),
      [n](benchmark::State& state, const std::string& name) {
        auto& d = scan_arrays(n);
        const exec_space exec;
        auto step = [&] { return weft::inclusive_scan(exec, d.in, d.out); };
        if (first_time(name)) check_scan(name, d, step);
        time_loop(state, true, [&] { benchmark::DoNotOptimize(step()); });
      },
      [n](benchmark::State& state, const std::string& name) {
        auto& d = scan_arrays(n);
        const exec_space exec;
        auto step = [&] {
          const vector in = d.in, out = d.out;
          double total = 0;
          Kokkos::parallel_scan(
              "kokkos::scan", Kokkos::RangePolicy<exec_space>(exec, 0, in.extent(0)),
              KOKKOS_LAMBDA(const std::int64_t i, double& update, const bool final) {
                update += in(i);
                if (final) out(i) = update;
              },
              total);
          return total;
        };
        if (first_time(name)) check_scan(name, d, step);
        time_loop(state, true, [&] { benchmark::DoNotOptimize(step()); });
      },
      [n](benchmark::State& state, const std::string& name) {
        auto& d = scan_arrays(n);
        std::vector<double> offsets(static_cast<std::size_t>(omp_get_max_threads()) + 1);
        auto step = [&] {
          const double* const in = d.in.data();
          double* const out = d.out.data();
          double* const offset = offsets.data();
          const std::int64_t size = n;
          std::int64_t team = 1;
#pragma omp parallel
          {
            const std::int64_t t = omp_get_thread_num();
            const std::int64_t threads = omp_get_num_threads();
            const std::int64_t lo = size * t / threads;
            const std::int64_t hi = size * (t + 1) / threads;
            double sum = 0;
            for (std::int64_t i = lo; i < hi; ++i) sum += in[i];
            offset[t + 1] = sum;
#pragma omp barrier
#pragma omp single
            {
              team = threads;
              offset[0] = 0;
              for (std::int64_t k = 1; k <= threads; ++k) offset[k] += offset[k - 1];
            }
            double running = offset[t];
            for (std::int64_t i = lo; i < hi; ++i) {
              running += in[i];
              out[i] = running;
            }
          }
          return offset[team];
        };
        if (first_time(name)) check_scan(name, d, step);
        time_loop(state, false, [&] { benchmark::DoNotOptimize(step()); });
      });
#if defined(KOKKOS_ENABLE_CUDA)
  if constexpr (cuda_default) {
    add("scan", "cub", n, 16.0 * static_cast<double>(n), [n](benchmark::State& state, const std::string& name) {
      auto& d = scan_arrays(n);
      const exec_space exec;
      std::size_t bytes = 0;
      cub::DeviceScan::InclusiveSum(nullptr, bytes, d.in.data(), d.out.data(), n, exec.cuda_stream());
      const Kokkos::View<std::byte*, Kokkos::CudaSpace> scratch("cub scratch", bytes > 0 ? bytes : 1);
      auto step = [&] {
        cub::DeviceScan::InclusiveSum(scratch.data(), bytes, d.in.data(), d.out.data(), n, exec.cuda_stream());
        return read_back(exec, d.out.data() + (n - 1));  // the total, as weft returns it
      };
      if (first_time(name)) check_scan(name, d, step);
      time_loop(state, true, [&] { benchmark::DoNotOptimize(step()); });
    });
  }
#endif
}

}  // namespace

void register_scan_benchmarks() {
  for (const std::int64_t n : sizes_1d()) register_scan(n);
}

}  // namespace weft_bench
