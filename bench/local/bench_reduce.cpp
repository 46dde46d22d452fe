// Sum (weft::reduce) and dot product (weft::transform_reduce with plus and
// multiplies) against Kokkos::parallel_reduce and OpenMP reduction loops.
// n = elements per array; bytes per iteration: sum 8n, dot 16n.

#include "common.hpp"

#include <weft/functional.hpp>
#include <weft/reduce.hpp>

#include <cstddef>

#if defined(KOKKOS_ENABLE_CUDA)
#include <cub/device/device_reduce.cuh>
#include <thrust/iterator/counting_iterator.h>
#endif

namespace weft_bench {
namespace {

struct reduce_data {
  vector x, y;
  double sum;  // of x, computed once on the host
  double dot;  // of x and y
};

reduce_data& reduce_arrays(std::int64_t n) {
  return cached<reduce_data>("reduce/" + std::to_string(n), [n] {
    reduce_data d{uninitialized<vector>("x", n), uninitialized<vector>("y", n), 0.0, 0.0};
    fill_pattern(d.x, 3);
    fill_pattern(d.y, 4);
    const auto x = on_host(d.x);
    const auto y = on_host(d.y);
    for (std::int64_t i = 0; i < n; ++i) {
      d.sum += x(i);
      d.dot += x(i) * y(i);
    }
    return d;
  });
}

/// Runs one iteration and compares the result with the host's (exact for
/// the test data, whatever the order of summation).
template <class Step>
void check_reduction(const std::string& name, double want, Step step) {
  const double got = step();
  Kokkos::fence();
  check_value(name, "the result", got, want);
}

#if defined(KOKKOS_ENABLE_CUDA)
/// x(i) * y(i) by index: the dot product's terms for cub::DeviceReduce.
struct cub_product {
  const double* x;
  const double* y;
  KOKKOS_INLINE_FUNCTION double operator()(std::int64_t i) const { return x[i] * y[i]; }
};
#endif

void register_sum(std::int64_t n) {
  add_variants(
      "reduce_sum", n, 8.0 * static_cast<double>(n),
      [n](benchmark::State& state, const std::string& name) {
        auto& d = reduce_arrays(n);
        const exec_space exec;
        auto step = [&] { return weft::reduce(exec, d.x); };
        if (first_time(name)) check_reduction(name, d.sum, step);
        time_loop(state, true, [&] { benchmark::DoNotOptimize(step()); });
      },
      [n](benchmark::State& state, const std::string& name) {
        auto& d = reduce_arrays(n);
        const exec_space exec;
        auto step = [&] {
          const vector x = d.x;
          double sum = 0;
          Kokkos::parallel_reduce(
              "kokkos::reduce_sum", Kokkos::RangePolicy<exec_space>(exec, 0, x.extent(0)),
              KOKKOS_LAMBDA(const std::int64_t i, double& acc) { acc += x(i); }, sum);
          return sum;
        };
        if (first_time(name)) check_reduction(name, d.sum, step);
        time_loop(state, true, [&] { benchmark::DoNotOptimize(step()); });
      },
      [n](benchmark::State& state, const std::string& name) {
        auto& d = reduce_arrays(n);
        auto step = [&] {
          const double* const x = d.x.data();
          const std::int64_t size = n;
          double sum = 0;
#pragma omp parallel for schedule(static) reduction(+ : sum)
          for (std::int64_t i = 0; i < size; ++i) sum += x[i];
          return sum;
        };
        if (first_time(name)) check_reduction(name, d.sum, step);
        time_loop(state, false, [&] { benchmark::DoNotOptimize(step()); });
      });
#if defined(KOKKOS_ENABLE_CUDA)
  if constexpr (cuda_default) {
    add("reduce_sum", "cub", n, 8.0 * static_cast<double>(n), [n](benchmark::State& state, const std::string& name) {
      auto& d = reduce_arrays(n);
      const exec_space exec;
      const Kokkos::View<double, Kokkos::CudaSpace> result("cub result");
      std::size_t bytes = 0;
      cub::DeviceReduce::Sum(nullptr, bytes, d.x.data(), result.data(), n, exec.cuda_stream());
      const Kokkos::View<std::byte*, Kokkos::CudaSpace> scratch("cub scratch", bytes > 0 ? bytes : 1);
      auto step = [&] {
        cub::DeviceReduce::Sum(scratch.data(), bytes, d.x.data(), result.data(), n, exec.cuda_stream());
        return read_back(exec, result.data());
      };
      if (first_time(name)) check_reduction(name, d.sum, step);
      time_loop(state, true, [&] { benchmark::DoNotOptimize(step()); });
    });
  }
#endif
}
void register_dot(std::int64_t n) {
  add_variants(
      "dot", n, 16.0 * static_cast<double>(n),
      [n](benchmark::State& state, const std::string& name) {
        auto& d = reduce_arrays(n);
        const exec_space exec;
        auto step = [&] {
          return weft::transform_reduce(exec, d.x, d.y, 0.0, weft::plus{}, weft::multiplies{});
        };
        if (first_time(name)) check_reduction(name, d.dot, step);
        time_loop(state, true, [&] { benchmark::DoNotOptimize(step()); });
      },
      [n](benchmark::State& state, const std::string& name) {
        auto& d = reduce_arrays(n);
        const exec_space exec;
        auto step = [&] {
          const vector x = d.x, y = d.y;
          double dot = 0;
          Kokkos::parallel_reduce(
              "kokkos::dot", Kokkos::RangePolicy<exec_space>(exec, 0, x.extent(0)),
              KOKKOS_LAMBDA(const std::int64_t i, double& acc) { acc += x(i) * y(i); }, dot);
          return dot;
        };
        if (first_time(name)) check_reduction(name, d.dot, step);
        time_loop(state, true, [&] { benchmark::DoNotOptimize(step()); });
      },
      [n](benchmark::State& state, const std::string& name) {
        auto& d = reduce_arrays(n);
        auto step = [&] {
          const double* const x = d.x.data();
          const double* const y = d.y.data();
          const std::int64_t size = n;
          double dot = 0;
#pragma omp parallel for schedule(static) reduction(+ : dot)
          for (std::int64_t i = 0; i < size; ++i) dot += x[i] * y[i];
          return dot;
        };
        if (first_time(name)) check_reduction(name, d.dot, step);
        time_loop(state, false, [&] { benchmark::DoNotOptimize(step()); });
      });
#if defined(KOKKOS_ENABLE_CUDA)
  if constexpr (cuda_default) {
    add("dot", "cub", n, 16.0 * static_cast<double>(n), [n](benchmark::State& state, const std::string& name) {
      auto& d = reduce_arrays(n);
      const exec_space exec;
      const Kokkos::View<double, Kokkos::CudaSpace> result("cub result");
      const thrust::counting_iterator<std::int64_t> indices(0);
      const cub_product product{d.x.data(), d.y.data()};
      std::size_t bytes = 0;
      cub::DeviceReduce::TransformReduce(nullptr, bytes, indices, result.data(), n, ::cuda::std::plus<double>{},
                                         product, 0.0, exec.cuda_stream());
      const Kokkos::View<std::byte*, Kokkos::CudaSpace> scratch("cub scratch", bytes > 0 ? bytes : 1);
      auto step = [&] {
        cub::DeviceReduce::TransformReduce(scratch.data(), bytes, indices, result.data(), n,
                                           ::cuda::std::plus<double>{}, product, 0.0, exec.cuda_stream());
        return read_back(exec, result.data());
      };
      if (first_time(name)) check_reduction(name, d.dot, step);
      time_loop(state, true, [&] { benchmark::DoNotOptimize(step()); });
    });
  }
#endif
}

}  // namespace

// Sum and dot at one size share their arrays, so they are registered side by side.
void register_reduce_benchmarks() {
  for (const std::int64_t n : sizes_1d()) {
    register_sum(n);
    register_dot(n);
  }
}

}  // namespace weft_bench
