// One Gray-Scott reaction-diffusion step on two coupled n x n fields (the
// 9-point Laplacian of each, the reaction term u v^2 shared by both
// outputs), the boundary ring left alone:
//
//   gray_scott/weft/n        weft::stencil(fields(u, v), fields(u2, v2), 1, interior_only, step)
//   gray_scott/weft_two/n    two single-field stencils, each reading the other
//                            field at the centre (weft::at): what one wrote
//                            before multi-field stencils; reads 6 streams, not 4
//   gray_scott/kokkos/n      one hand-written MDRangePolicy<Rank<2>> kernel
//   gray_scott/omp/n         raw OpenMP loops
//
// Bytes per iteration: 32 B (read u, v; write u2, v2) per interior point.

#include "common.hpp"

#include <weft/stencil.hpp>

namespace weft_bench {
namespace {

constexpr double du = 1.0, dv = 0.5, feed = 0.0545, kill = 0.062, dt = 1.0;

struct fields_data {
  grid2 u, v, u2, v2;
};

fields_data& gray_scott_arrays(std::int64_t n) {
  return cached<fields_data>("gray_scott/" + std::to_string(n), [n] {
    auto make = [n](const char* label) { return grid2(Kokkos::view_alloc(Kokkos::WithoutInitializing, std::string(label)), n, n); };
    fields_data d{make("u"), make("v"), make("u2"), make("v2")};
    fill_pattern(d.u, 11);
    fill_pattern(d.v, 12);
    fill_pattern(d.u2, 13);
    fill_pattern(d.v2, 14);
    return d;
  });
}

template <class Nb>
KOKKOS_INLINE_FUNCTION double laplacian(const Nb& f) {
  return 0.2 * (f(-1, 0) + f(1, 0) + f(0, -1) + f(0, 1)) + 0.05 * (f(-1, -1) + f(-1, 1) + f(1, -1) + f(1, 1)) -
         f(0, 0);
}

struct gray_scott_step {
  template <class U, class V>
  KOKKOS_INLINE_FUNCTION weft::values<double, double> operator()(const U& u, const V& v) const {
    const double uc = u(0, 0), vc = v(0, 0);
    const double uvv = uc * vc * vc;
    return weft::values{uc + dt * (du * laplacian(u) - uvv + feed * (1.0 - uc)),
                        vc + dt * (dv * laplacian(v) + uvv - (feed + kill) * vc)};
  }
};

// The two single-field stencils: u' reads v at the centre, v' reads u there.
struct u_step {
  grid2 v;
  template <class U>
  KOKKOS_INLINE_FUNCTION double operator()(const U& u) const {
    const double uc = u(0, 0), vc = weft::at(v, u.index());
    return uc + dt * (du * laplacian(u) - uc * vc * vc + feed * (1.0 - uc));
  }
};
struct v_step {
  grid2 u;
  template <class V>
  KOKKOS_INLINE_FUNCTION double operator()(const V& v) const {
    const double vc = v(0, 0), uc = weft::at(u, v.index());
    return vc + dt * (dv * laplacian(v) + uc * vc * vc - (feed + kill) * vc);
  }
};

template <class Step>
void check_gray_scott(const std::string& name, const fields_data& d, Step step) {
  poison(d.u2);
  poison(d.v2);
  step();
  Kokkos::fence();
  const auto u = on_host(d.u), v = on_host(d.v), u2 = on_host(d.u2), v2 = on_host(d.v2);
  const std::int64_t n = u.extent(0);
  auto lap = [](const auto& f, std::int64_t i, std::int64_t j) {
    return 0.2 * (f(i - 1, j) + f(i + 1, j) + f(i, j - 1) + f(i, j + 1)) +
           0.05 * (f(i - 1, j - 1) + f(i - 1, j + 1) + f(i + 1, j - 1) + f(i + 1, j + 1)) - f(i, j);
  };
  for (std::int64_t i = 1; i < n - 1; ++i)
    for (std::int64_t j = 1; j < n - 1; ++j) {
      const double uc = u(i, j), vc = v(i, j), uvv = uc * vc * vc;
      const double want_u = uc + dt * (du * lap(u, i, j) - uvv + feed * (1.0 - uc));
      const double want_v = vc + dt * (dv * lap(v, i, j) + uvv - (feed + kill) * vc);
      if (!approx_equal(u2(i, j), want_u)) fail(name, "u2(" + std::to_string(i) + ", " + std::to_string(j) + ")", u2(i, j), want_u);
      if (!approx_equal(v2(i, j), want_v)) fail(name, "v2(" + std::to_string(i) + ", " + std::to_string(j) + ")", v2(i, j), want_v);
    }
}

void register_gray_scott(std::int64_t n) {
  const double bytes = 32.0 * static_cast<double>(n - 2) * static_cast<double>(n - 2);
  add("gray_scott", "weft", n, bytes, [n](benchmark::State& state, const std::string& name) {
    auto& d = gray_scott_arrays(n);
    const exec_space exec;
    auto step = [&] {
      weft::stencil(exec, weft::fields(d.u, d.v), weft::fields(d.u2, d.v2), 1, weft::interior_only{}, gray_scott_step{});
    };
    if (first_time(name)) check_gray_scott(name, d, step);
    time_loop(state, true, step);
  });
  add("gray_scott", "weft_two", n, bytes, [n](benchmark::State& state, const std::string& name) {
    auto& d = gray_scott_arrays(n);
    const exec_space exec;
    auto step = [&] {
      weft::stencil(exec, d.u, d.u2, 1, weft::interior_only{}, u_step{d.v});
      weft::stencil(exec, d.v, d.v2, 1, weft::interior_only{}, v_step{d.u});
    };
    if (first_time(name)) check_gray_scott(name, d, step);
    time_loop(state, true, step);
  });
  add("gray_scott", "kokkos", n, bytes, [n](benchmark::State& state, const std::string& name) {
    auto& d = gray_scott_arrays(n);
    const exec_space exec;
    auto step = [&] {
      const grid2 u = d.u, v = d.v, u2 = d.u2, v2 = d.v2;
      using policy = Kokkos::MDRangePolicy<exec_space, Kokkos::Rank<2>>;
      Kokkos::parallel_for(
          "kokkos::gray_scott", policy(exec, {1, 1}, {n - 1, n - 1}),
          KOKKOS_LAMBDA(const std::int64_t i, const std::int64_t j) {
            const double uc = u(i, j), vc = v(i, j), uvv = uc * vc * vc;
            const double lu = 0.2 * (u(i - 1, j) + u(i + 1, j) + u(i, j - 1) + u(i, j + 1)) +
                              0.05 * (u(i - 1, j - 1) + u(i - 1, j + 1) + u(i + 1, j - 1) + u(i + 1, j + 1)) - uc;
            const double lv = 0.2 * (v(i - 1, j) + v(i + 1, j) + v(i, j - 1) + v(i, j + 1)) +
                              0.05 * (v(i - 1, j - 1) + v(i - 1, j + 1) + v(i + 1, j - 1) + v(i + 1, j + 1)) - vc;
            u2(i, j) = uc + dt * (du * lu - uvv + feed * (1.0 - uc));
            v2(i, j) = vc + dt * (dv * lv + uvv - (feed + kill) * vc);
          });
    };
    if (first_time(name)) check_gray_scott(name, d, step);
    time_loop(state, true, step);
  });
  if constexpr (host_default) {
    add("gray_scott", "omp", n, bytes, [n](benchmark::State& state, const std::string& name) {
      auto& d = gray_scott_arrays(n);
      auto step = [&] {
        const double* const u = d.u.data();
        const double* const v = d.v.data();
        double* const u2 = d.u2.data();
        double* const v2 = d.v2.data();
        const std::int64_t s = n;
#pragma omp parallel for schedule(static)
        for (std::int64_t i = 1; i < s - 1; ++i)
          for (std::int64_t j = 1; j < s - 1; ++j) {
            const std::int64_t c = i * s + j;
            const double uc = u[c], vc = v[c], uvv = uc * vc * vc;
            const double lu = 0.2 * (u[c - s] + u[c + s] + u[c - 1] + u[c + 1]) +
                              0.05 * (u[c - s - 1] + u[c - s + 1] + u[c + s - 1] + u[c + s + 1]) - uc;
            const double lv = 0.2 * (v[c - s] + v[c + s] + v[c - 1] + v[c + 1]) +
                              0.05 * (v[c - s - 1] + v[c - s + 1] + v[c + s - 1] + v[c + s + 1]) - vc;
            u2[c] = uc + dt * (du * lu - uvv + feed * (1.0 - uc));
            v2[c] = vc + dt * (dv * lv + uvv - (feed + kill) * vc);
          }
      };
      if (first_time(name)) check_gray_scott(name, d, step);
      time_loop(state, false, step);
    });
  }
}

}  // namespace

void register_fields_benchmarks() {
  for (const std::int64_t n : {512, 2048}) register_gray_scott(n);
}

}  // namespace weft_bench
