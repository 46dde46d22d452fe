// STREAM triad a = b + s*c: weft::transform, Kokkos::parallel_for, and an
// OpenMP loop. n = elements per array; bytes per iteration = 3 arrays x 8 B x n.

#include "common.hpp"

#include <weft/for_each.hpp>

namespace weft_bench {
namespace {

constexpr double scalar = 3.0;

struct triad_data {
  vector a, b, c;
};

triad_data& triad_arrays(std::int64_t n) {
  return cached<triad_data>("triad/" + std::to_string(n), [n] {
    triad_data d{uninitialized<vector>("a", n), uninitialized<vector>("b", n),
                 uninitialized<vector>("c", n)};
    fill_pattern(d.a, 0);
    fill_pattern(d.b, 1);
    fill_pattern(d.c, 2);
    return d;
  });
}

/// Runs one iteration of a variant on poisoned output and compares every
/// element with b + s*c (exact for the test data).
template <class Step>
void check_triad(const std::string& name, const triad_data& d, Step step) {
  poison(d.a);
  step();
  Kokkos::fence();
  const auto a = on_host(d.a);
  const auto b = on_host(d.b);
  const auto c = on_host(d.c);
  for (std::size_t i = 0; i < a.extent(0); ++i)
    if (!approx_equal(a(i), b(i) + scalar * c(i)))
      fail(name, "a(" + std::to_string(i) + ")", a(i), b(i) + scalar * c(i));
}

void register_triad(std::int64_t n) {
  const double bytes = 3.0 * sizeof(double) * static_cast<double>(n);
  add_variants(
      "triad", n, bytes,
      [n](benchmark::State& state, const std::string& name) {
        auto& d = triad_arrays(n);
        const exec_space exec;
        auto step = [&] {
          const double s = scalar;
          weft::transform(exec, d.b, d.c, d.a, KOKKOS_LAMBDA(double b, double c) { return b + s * c; });
        };
        if (first_time(name)) check_triad(name, d, step);
        time_loop(state, true, step);
      },
      [n](benchmark::State& state, const std::string& name) {
        auto& d = triad_arrays(n);
        const exec_space exec;
        auto step = [&] {
          const double s = scalar;
          const vector a = d.a, b = d.b, c = d.c;
          Kokkos::parallel_for(
              "kokkos::triad", Kokkos::RangePolicy<exec_space>(exec, 0, a.extent(0)),
              KOKKOS_LAMBDA(const std::int64_t i) { a(i) = b(i) + s * c(i); });
        };
        if (first_time(name)) check_triad(name, d, step);
        time_loop(state, true, step);
      },
      [n](benchmark::State& state, const std::string& name) {
        auto& d = triad_arrays(n);
        auto step = [&] {
          double* const a = d.a.data();
          const double* const b = d.b.data();
          const double* const c = d.c.data();
          const std::int64_t size = n;
#pragma omp parallel for schedule(static)
          for (std::int64_t i = 0; i < size; ++i) a[i] = b[i] + scalar * c[i];
        };
        if (first_time(name)) check_triad(name, d, step);
        time_loop(state, false, step);
      });
}

}  // namespace

void register_map_benchmarks() {
  for (const std::int64_t n : sizes_1d()) register_triad(n);
}

}  // namespace weft_bench
