// Jacobi sweeps out = average of the neighbours of in, with the boundary
// band left alone (weft::interior_only):
//   stencil2d: 5-point, n x n LayoutRight grid (n = side);
//   stencil3d: 7-point, n x n x n LayoutRight grid (n = side).
// weft::stencil against Kokkos MDRangePolicy<Rank<2|3>> over the interior
// and OpenMP loops (outer loop parallel in 2-D, collapse(2) in 3-D).
// Bytes per iteration: 16 B (read in, write out) per updated (interior) point.

#include "common.hpp"

#include <weft/stencil.hpp>

namespace weft_bench {
namespace {

constexpr double sixth = 1.0 / 6.0;

template <class Grid>
struct grid_data {
  Grid in, out;
};

grid_data<grid2>& grid2_arrays(std::int64_t n) {
  return cached<grid_data<grid2>>("stencil2d/" + std::to_string(n), [n] {
    grid_data<grid2> d{grid2(Kokkos::view_alloc(Kokkos::WithoutInitializing, "in"), n, n),
                       grid2(Kokkos::view_alloc(Kokkos::WithoutInitializing, "out"), n, n)};
    fill_pattern(d.in, 7);
    fill_pattern(d.out, 8);
    return d;
  });
}

grid_data<grid3>& grid3_arrays(std::int64_t n) {
  return cached<grid_data<grid3>>("stencil3d/" + std::to_string(n), [n] {
    grid_data<grid3> d{grid3(Kokkos::view_alloc(Kokkos::WithoutInitializing, "in"), n, n, n),
                       grid3(Kokkos::view_alloc(Kokkos::WithoutInitializing, "out"), n, n, n)};
    fill_pattern(d.in, 9);
    fill_pattern(d.out, 10);
    return d;
  });
}

/// Runs one iteration on poisoned output and recomputes every interior point
/// on the host, summing in the same order as the kernels.
template <class Step>
void check_stencil2d(const std::string& name, const grid_data<grid2>& d, Step step) {
  poison(d.out);
  step();
  Kokkos::fence();
  const auto in = on_host(d.in);
  const auto out = on_host(d.out);
  const std::int64_t n = in.extent(0);
  for (std::int64_t i = 1; i < n - 1; ++i)
    for (std::int64_t j = 1; j < n - 1; ++j) {
      const double want = 0.25 * (in(i - 1, j) + in(i + 1, j) + in(i, j - 1) + in(i, j + 1));
      if (!approx_equal(out(i, j), want))
        fail(name, "out(" + std::to_string(i) + ", " + std::to_string(j) + ")", out(i, j), want);
    }
}

template <class Step>
void check_stencil3d(const std::string& name, const grid_data<grid3>& d, Step step) {
  poison(d.out);
  step();
  Kokkos::fence();
  const auto in = on_host(d.in);
  const auto out = on_host(d.out);
  const std::int64_t n = in.extent(0);
  for (std::int64_t i = 1; i < n - 1; ++i)
    for (std::int64_t j = 1; j < n - 1; ++j)
      for (std::int64_t k = 1; k < n - 1; ++k) {
        const double want = sixth * (in(i - 1, j, k) + in(i + 1, j, k) + in(i, j - 1, k) +
                                     in(i, j + 1, k) + in(i, j, k - 1) + in(i, j, k + 1));
        if (!approx_equal(out(i, j, k), want))
          fail(name,
               "out(" + std::to_string(i) + ", " + std::to_string(j) + ", " + std::to_string(k) +
                   ")",
               out(i, j, k), want);
      }
}

void register_stencil2d(std::int64_t n) {
  const double interior = static_cast<double>(n - 2) * static_cast<double>(n - 2);
  add_variants(
      "stencil2d", n, 16.0 * interior,
      [n](benchmark::State& state, const std::string& name) {
        auto& d = grid2_arrays(n);
        const exec_space exec;
        auto step = [&] {
          weft::stencil(exec, d.in, d.out, 1, weft::interior_only{}, five_point{});
        };
        if (first_time(name)) check_stencil2d(name, d, step);
        time_loop(state, true, step);
      },
      [n](benchmark::State& state, const std::string& name) {
        auto& d = grid2_arrays(n);
        const exec_space exec;
        auto step = [&] {
          const grid2 in = d.in, out = d.out;
          using policy = Kokkos::MDRangePolicy<exec_space, Kokkos::Rank<2>>;
          Kokkos::parallel_for(
              "kokkos::stencil2d", policy(exec, {1, 1}, {n - 1, n - 1}),
              KOKKOS_LAMBDA(const std::int64_t i, const std::int64_t j) {
                out(i, j) = 0.25 * (in(i - 1, j) + in(i + 1, j) + in(i, j - 1) + in(i, j + 1));
              });
        };
        if (first_time(name)) check_stencil2d(name, d, step);
        time_loop(state, true, step);
      },
      [n](benchmark::State& state, const std::string& name) {
        auto& d = grid2_arrays(n);
        auto step = [&] {
          const double* const in = d.in.data();
          double* const out = d.out.data();
          const std::int64_t s = n;
#pragma omp parallel for schedule(static)
          for (std::int64_t i = 1; i < s - 1; ++i)
            for (std::int64_t j = 1; j < s - 1; ++j)
              out[i * s + j] = 0.25 * (in[(i - 1) * s + j] + in[(i + 1) * s + j] +
                                       in[i * s + j - 1] + in[i * s + j + 1]);
        };
        if (first_time(name)) check_stencil2d(name, d, step);
        time_loop(state, false, step);
      });
}

void register_stencil3d(std::int64_t n) {
  const double interior =
      static_cast<double>(n - 2) * static_cast<double>(n - 2) * static_cast<double>(n - 2);
  add_variants(
      "stencil3d", n, 16.0 * interior,
      [n](benchmark::State& state, const std::string& name) {
        auto& d = grid3_arrays(n);
        const exec_space exec;
        auto step = [&] {
          weft::stencil(exec, d.in, d.out, 1, weft::interior_only{}, seven_point{});
        };
        if (first_time(name)) check_stencil3d(name, d, step);
        time_loop(state, true, step);
      },
      [n](benchmark::State& state, const std::string& name) {
        auto& d = grid3_arrays(n);
        const exec_space exec;
        auto step = [&] {
          const grid3 in = d.in, out = d.out;
          using policy = Kokkos::MDRangePolicy<exec_space, Kokkos::Rank<3>>;
          Kokkos::parallel_for(
              "kokkos::stencil3d", policy(exec, {1, 1, 1}, {n - 1, n - 1, n - 1}),
              KOKKOS_LAMBDA(const std::int64_t i, const std::int64_t j, const std::int64_t k) {
                out(i, j, k) = sixth * (in(i - 1, j, k) + in(i + 1, j, k) + in(i, j - 1, k) +
                                        in(i, j + 1, k) + in(i, j, k - 1) + in(i, j, k + 1));
              });
        };
        if (first_time(name)) check_stencil3d(name, d, step);
        time_loop(state, true, step);
      },
      [n](benchmark::State& state, const std::string& name) {
        auto& d = grid3_arrays(n);
        auto step = [&] {
          const double* const in = d.in.data();
          double* const out = d.out.data();
          const std::int64_t s = n, plane = n * n;
#pragma omp parallel for collapse(2) schedule(static)
          for (std::int64_t i = 1; i < s - 1; ++i)
            for (std::int64_t j = 1; j < s - 1; ++j)
              for (std::int64_t k = 1; k < s - 1; ++k) {
                const std::int64_t c = i * plane + j * s + k;
                out[c] = sixth * (in[c - plane] + in[c + plane] + in[c - s] + in[c + s] +
                                  in[c - 1] + in[c + 1]);
              }
        };
        if (first_time(name)) check_stencil3d(name, d, step);
        time_loop(state, false, step);
      });
}

}  // namespace

void register_stencil_benchmarks() {
  for (const std::int64_t n : sides_2d()) register_stencil2d(n);
  for (const std::int64_t n : sides_3d()) register_stencil3d(n);
}

}  // namespace weft_bench
