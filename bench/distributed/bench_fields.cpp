// One Gray-Scott step on two coupled fields over a distributed grid (the
// 9-point Laplacian of each, so the default box halo; the boundary ring
// fixed with interior_only):
//
//   dist_gray_scott/weft/n      weft::stencil(fields(u, v), fields(u2, v2), 1, interior_only, step):
//                               both exchanges start together, one kernel per region
//   dist_gray_scott/weft_two/n  two single-field stencils, each reading the
//                               other field at the centre of its block
//   dist_gray_scott/kokkos/n    u and v exchanged by weft, then one
//                               hand-written Kokkos kernel over the block
//                               (no overlap of messages and compute)

#include "common.hpp"

#include <algorithm>
#include <array>

namespace weft_dbench {
namespace {

constexpr double du = 1.0, dv = 0.5, feed = 0.0545, kill = 0.062, dt = 1.0;
using grid = weft::distributed_grid<double, 2>;

struct fields_data {
  weft::communicator comm;
  grid u, v, u2, v2;
};

fields_data& fields(std::int64_t n) {
  return cached<fields_data>("gray_scott/" + std::to_string(n), [n] {
    weft::communicator comm(MPI_COMM_WORLD);
    fields_data d{comm, grid(comm, {n, n}), grid(comm, {n, n}), grid(comm, {n, n}), grid(comm, {n, n})};
    weft::for_each_index(d.u, KOKKOS_LAMBDA(std::int64_t i, std::int64_t j, double& x) { x = pattern(i * n + j, 1); });
    weft::for_each_index(d.v, KOKKOS_LAMBDA(std::int64_t i, std::int64_t j, double& x) { x = pattern(i * n + j, 2); });
    weft::fill(d.u2, 0.0);
    weft::fill(d.v2, 0.0);
    Kokkos::fence();
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

template <class Other>
struct u_step {
  Other v;  // v's block
  template <class U>
  KOKKOS_INLINE_FUNCTION double operator()(const U& u) const {
    const double uc = u(0, 0), vc = weft::at(v, u.local_index());
    return uc + dt * (du * laplacian(u) - uc * vc * vc + feed * (1.0 - uc));
  }
};
template <class Other>
struct v_step {
  Other u;
  template <class V>
  KOKKOS_INLINE_FUNCTION double operator()(const V& v) const {
    const double vc = v(0, 0), uc = weft::at(u, v.local_index());
    return vc + dt * (dv * laplacian(v) + uc * vc * vc - (feed + kill) * vc);
  }
};

/// The fields after one step, on rank 0, against a sequential computation.
template <class Step>
void check_once(const std::string& name, const fields_data& d, std::int64_t n, Step step) {
  if (!first_time(name)) return;
  weft::fill(d.u2, -1.0);
  weft::fill(d.v2, -1.0);
  step();
  Kokkos::fence();
  const auto u = weft::gather(d.u, 0), v = weft::gather(d.v, 0);
  const auto u2 = weft::gather(d.u2, 0), v2 = weft::gather(d.v2, 0);
  if (world_rank() != 0) return;
  auto lap = [n](const std::vector<double>& f, std::int64_t i, std::int64_t j) {
    auto at = [&](std::int64_t a, std::int64_t b) { return f[(i + a) * n + j + b]; };
    return 0.2 * (at(-1, 0) + at(1, 0) + at(0, -1) + at(0, 1)) +
           0.05 * (at(-1, -1) + at(-1, 1) + at(1, -1) + at(1, 1)) - at(0, 0);
  };
  for (std::int64_t i = 1; i < n - 1; ++i)
    for (std::int64_t j = 1; j < n - 1; ++j) {
      const double uc = u[i * n + j], vc = v[i * n + j], uvv = uc * vc * vc;
      check_value(name, "u2 at " + std::to_string(i) + "," + std::to_string(j), u2[i * n + j],
                  uc + dt * (du * lap(u, i, j) - uvv + feed * (1.0 - uc)));
      check_value(name, "v2 at " + std::to_string(i) + "," + std::to_string(j), v2[i * n + j],
                  vc + dt * (dv * lap(v, i, j) + uvv - (feed + kill) * vc));
    }
}

void register_gray_scott(std::int64_t n) {
  auto halo_traffic = [](const fields_data& d) {
    const auto plan = d.u.describe_halo(weft::constant{0.0});
    return traffic{2.0 * double(plan.messages_sent), 2.0 * 8.0 * double(plan.elements_sent)};
  };
  add("dist_gray_scott", "weft", n, [n, halo_traffic](benchmark::State& state, const std::string& name) {
    auto& d = fields(n);
    const exec_space exec;
    auto step = [&] {
      weft::stencil(exec, weft::fields(d.u, d.v), weft::fields(d.u2, d.v2), 1, weft::interior_only{},
                    gray_scott_step{});
    };
    check_once(name, d, n, step);
    time_loop(state, step);
    return halo_traffic(d);
  });
  add("dist_gray_scott", "weft_two", n, [n, halo_traffic](benchmark::State& state, const std::string& name) {
    auto& d = fields(n);
    const exec_space exec;
    auto step = [&] {
      const auto u_block = d.u.local(), v_block = d.v.local();
      weft::stencil(exec, d.u, d.u2, 1, weft::interior_only{}, u_step<decltype(v_block)>{v_block});
      weft::stencil(exec, d.v, d.v2, 1, weft::interior_only{}, v_step<decltype(u_block)>{u_block});
    };
    check_once(name, d, n, step);
    time_loop(state, step);
    return halo_traffic(d);
  });
  if constexpr (host_default) {
    add("dist_gray_scott", "kokkos", n, [n, halo_traffic](benchmark::State& state, const std::string& name) {
      auto& d = fields(n);
      const exec_space exec;
      auto step = [&] {
        d.u.exchange_halo(exec, weft::constant{0.0});
        d.v.exchange_halo(exec, weft::constant{0.0});
        const auto u = d.u.with_halo(), v = d.v.with_halo();
        const auto u2 = d.u2.local(), v2 = d.v2.local();
        // Block points off the global ring, in block coordinates; storage is shifted by the halo (1).
        const std::int64_t o0 = d.u.offset(0), o1 = d.u.offset(1), m0 = d.u.local_extent(0), m1 = d.u.local_extent(1);
        const std::int64_t lo0 = std::max<std::int64_t>(0, 1 - o0), hi0 = std::min<std::int64_t>(m0, n - 1 - o0);
        const std::int64_t lo1 = std::max<std::int64_t>(0, 1 - o1), hi1 = std::min<std::int64_t>(m1, n - 1 - o1);
        if (lo0 >= hi0 || lo1 >= hi1) return;
        using policy = Kokkos::MDRangePolicy<exec_space, Kokkos::Rank<2>>;
        Kokkos::parallel_for(
            "kokkos::dist_gray_scott", policy(exec, {lo0, lo1}, {hi0, hi1}),
            KOKKOS_LAMBDA(const std::int64_t p, const std::int64_t q) {
              const std::int64_t i = p + 1, j = q + 1;
              const double uc = u(i, j), vc = v(i, j), uvv = uc * vc * vc;
              const double lu = 0.2 * (u(i - 1, j) + u(i + 1, j) + u(i, j - 1) + u(i, j + 1)) +
                                0.05 * (u(i - 1, j - 1) + u(i - 1, j + 1) + u(i + 1, j - 1) + u(i + 1, j + 1)) - uc;
              const double lv = 0.2 * (v(i - 1, j) + v(i + 1, j) + v(i, j - 1) + v(i, j + 1)) +
                                0.05 * (v(i - 1, j - 1) + v(i - 1, j + 1) + v(i + 1, j - 1) + v(i + 1, j + 1)) - vc;
              u2(p, q) = uc + dt * (du * lu - uvv + feed * (1.0 - uc));
              v2(p, q) = vc + dt * (dv * lv + uvv - (feed + kill) * vc);
            });
      };
      check_once(name, d, n, step);
      time_loop(state, step);
      return halo_traffic(d);
    });
  }
}

}  // namespace

void register_fields_benchmarks() {
  for (const std::int64_t n : {512, 2048}) register_gray_scott(n);
}

}  // namespace weft_dbench
