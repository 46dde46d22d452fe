// Gray-Scott reaction-diffusion on a distributed grid: two coupled fields
// updated by one multi-field stencil.
//
//   mpiexec -n 4 gray_scott [n] [steps] [prefix]
//
// Two chemicals u and v on an n x n grid whose outer ring is held fixed
// (u = 1, v = 0: weft::interior_only leaves it unwritten in both buffers).
// Each step, at every inner point,
//
//   uvv = u v^2                                   (computed once, used twice)
//   u'  = u + dt (Du lap(u) - uvv + F (1 - u))
//   v'  = v + dt (Dv lap(v) + uvv - (F + k) v)
//
// with the 9-point Laplacian (weights 0.2 on the faces, 0.05 on the corners,
// -1 at the centre): one weft::stencil over weft::fields(u, v), which starts
// both halo exchanges together, computes the interior of the block while
// they fly, and writes both new fields in one kernel per region. The grid's
// default halo (box shape) carries the corners the 9-point stencil reads.
//
// Writes PNG pictures of v (gathered on rank 0) to <prefix>-<step>.png and
// checks (exit 1 if any fails):
//   (a) the fields match a plain sequential computation of the same steps;
//   (b) u and v stay within [0, 1];
//   (c) the seeded pattern has grown: more points hold v > 0.1 at the end.
#include <weft/distributed.hpp>

#include "image_io.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <utility>
#include <vector>

namespace {
using grid = weft::distributed_grid<double, 2>;

// Karl Sims' parameters ("coral growth"), on a unit grid spacing.
constexpr double du = 1.0, dv = 0.5, feed = 0.0545, kill = 0.062, dt = 1.0;

// u = 1 and v = 0, but for a few squares seeded with v in the middle third.
KOKKOS_INLINE_FUNCTION void initial(std::int64_t i, std::int64_t j, std::int64_t n, double& u, double& v) {
  u = 1.0;
  v = 0.0;
  const std::int64_t s = n / 12 > 1 ? n / 12 : 1;
  const std::int64_t centres[3][2] = {{n / 2, n / 2}, {n / 3, 2 * n / 3}, {2 * n / 3, n / 3 + s}};
  for (const auto& c : centres) {
    if (i >= c[0] - s && i < c[0] + s && j >= c[1] - s && j < c[1] + s) {
      u = 0.5;
      v = 0.25 + 0.01 * double((i * 7 + j * 3) % 5);
    }
  }
}

// The 9-point Laplacian of one field's neighbourhood.
template <class Nb>
KOKKOS_INLINE_FUNCTION double laplacian(const Nb& f) {
  return 0.2 * (f(-1, 0) + f(1, 0) + f(0, -1) + f(0, 1)) +
         0.05 * (f(-1, -1) + f(-1, 1) + f(1, -1) + f(1, 1)) - f(0, 0);
}

// One step at a point: both fields in, both out, the reaction term once. A
// functor rather than a generic KOKKOS_LAMBDA: nvcc rejects generic device
// lambdas.
struct gray_scott_step {
  template <class U, class V>
  KOKKOS_INLINE_FUNCTION weft::values<double, double> operator()(const U& u, const V& v) const {
    const double uc = u(0, 0), vc = v(0, 0);
    const double uvv = uc * vc * vc;
    return weft::values{uc + dt * (du * laplacian(u) - uvv + feed * (1.0 - uc)),
                        vc + dt * (dv * laplacian(v) + uvv - (feed + kill) * vc)};
  }
};

// The same steps with plain loops on one process.
std::pair<std::vector<double>, std::vector<double>> simulate_sequentially(std::int64_t n, int steps) {
  std::vector<double> u(n * n), v(n * n);
  for (std::int64_t i = 0; i < n; ++i)
    for (std::int64_t j = 0; j < n; ++j) initial(i, j, n, u[i * n + j], v[i * n + j]);
  auto u2 = u, v2 = v;
  auto lap = [n](const std::vector<double>& f, std::int64_t i, std::int64_t j) {
    auto at = [&](std::int64_t a, std::int64_t b) { return f[(i + a) * n + j + b]; };
    return 0.2 * (at(-1, 0) + at(1, 0) + at(0, -1) + at(0, 1)) +
           0.05 * (at(-1, -1) + at(-1, 1) + at(1, -1) + at(1, 1)) - at(0, 0);
  };
  for (int s = 0; s < steps; ++s) {
    for (std::int64_t i = 1; i < n - 1; ++i)
      for (std::int64_t j = 1; j < n - 1; ++j) {
        const double uc = u[i * n + j], vc = v[i * n + j];
        const double uvv = uc * vc * vc;
        u2[i * n + j] = uc + dt * (du * lap(u, i, j) - uvv + feed * (1.0 - uc));
        v2[i * n + j] = vc + dt * (dv * lap(v, i, j) + uvv - (feed + kill) * vc);
      }
    std::swap(u, u2);
    std::swap(v, v2);
  }
  return {u, v};
}

void write_picture(const std::string& path, std::int64_t n, const std::vector<double>& v) {
  std::vector<std::uint8_t> rgb(3 * v.size());
  for (std::size_t k = 0; k < v.size(); ++k) image_io::heat_colour(std::min(1.0, v[k] / 0.4), &rgb[3 * k]);
  image_io::write_rgb_png(path, n, n, rgb);
}
}  // namespace

int main(int argc, char* argv[]) {
  weft::environment env(argc, argv);  // MPI, then Kokkos, until main returns
  const weft::communicator& comm = env.world();
  const bool root = comm.rank() == 0;
  const std::int64_t n = argc > 1 ? std::atoll(argv[1]) : 256;
  const int steps = argc > 2 ? std::atoi(argv[2]) : 5000;
  const std::string prefix = argc > 3 ? argv[3] : "gray_scott";

  // Default options: a halo of 1, not periodic. The four fields share one
  // layout: one Cartesian communicator and one halo plan among them.
  const weft::grid_layout<2> layout(comm, {n, n});
  grid u(layout), v(layout), u2(layout), v2(layout);
  auto init = KOKKOS_LAMBDA(std::int64_t i, std::int64_t j, double& x) {
    double a, b;
    initial(i, j, n, a, b);
    x = a;
  };
  auto init_v = KOKKOS_LAMBDA(std::int64_t i, std::int64_t j, double& x) {
    double a, b;
    initial(i, j, n, a, b);
    x = b;
  };
  // Both buffers of each field start equal, so the fixed ring is the same in both.
  weft::for_each_index(u, init);
  weft::for_each_index(u2, init);
  weft::for_each_index(v, init_v);
  weft::for_each_index(v2, init_v);
  auto spread = [&] {
    return weft::transform_reduce(
        v, std::int64_t{0}, weft::plus{}, KOKKOS_LAMBDA(double x) { return std::int64_t(x > 0.1); });
  };
  const std::int64_t spread0 = spread();
  if (root)
    std::printf("gray_scott: %lld x %lld grid, %d steps, %d ranks as a %d x %d process grid, on %s\n",
                static_cast<long long>(n), static_cast<long long>(n), steps, comm.size(), u.dims()[0], u.dims()[1],
                Kokkos::DefaultExecutionSpace::name());

  std::vector<int> picture_steps{0, steps / 4, steps / 2, 3 * steps / 4, steps};
  picture_steps.erase(std::unique(picture_steps.begin(), picture_steps.end()), picture_steps.end());
  auto picture = [&](int step) {
    const auto field = weft::gather(v, 0);
    if (!root) return;
    char name[32];
    std::snprintf(name, sizeof name, "-%06d.png", step);
    write_picture(prefix + name, n, field);
    std::printf("  wrote %s%s\n", prefix.c_str(), name);
  };
  picture(0);
  double stepping_seconds = 0;
  for (int step = 1; step <= steps; ++step) {
    Kokkos::Timer timer;
    weft::stencil(weft::fields(u, v), weft::fields(u2, v2), 1, weft::interior_only{}, gray_scott_step{});
    std::swap(u, u2);
    std::swap(v, v2);
    Kokkos::fence();
    stepping_seconds += timer.seconds();
    if (std::find(picture_steps.begin() + 1, picture_steps.end(), step) != picture_steps.end()) picture(step);
  }

  // (b) and (c).
  const double u_low = weft::reduce(u, 2.0, weft::minimum{}), u_high = weft::reduce(u, -1.0, weft::maximum{});
  const double v_low = weft::reduce(v, 2.0, weft::minimum{}), v_high = weft::reduce(v, -1.0, weft::maximum{});
  const bool bounded = u_low >= 0 && u_high <= 1 && v_low >= 0 && v_high <= 1;
  const std::int64_t spread1 = spread();
  const bool grew = spread1 > spread0;
  // (a) against the sequential steps, on rank 0.
  const auto fu = weft::gather(u, 0), fv = weft::gather(v, 0);
  int matches = 1;
  if (root) {
    const auto [ru, rv] = simulate_sequentially(n, steps);
    double difference = 0;
    for (std::size_t k = 0; k < fu.size(); ++k)
      difference = std::max({difference, std::abs(fu[k] - ru[k]), std::abs(fv[k] - rv[k])});
    matches = difference <= 1e-10;
    const double updates = double(n) * double(n) * steps;
    std::printf("%.3f s stepping, %.1f Mpoint/s (%d ranks)\n", stepping_seconds,
                stepping_seconds > 0 ? updates / stepping_seconds / 1e6 : 0.0, comm.size());
    std::printf("(a) max difference from the sequential computation %.2e: %s\n", difference, matches ? "ok" : "WRONG");
    std::printf("(b) u in [%.4f, %.4f], v in [%.4f, %.4f]: %s\n", u_low, u_high, v_low, v_high,
                bounded ? "ok" : "OUT OF RANGE");
    std::printf("(c) points with v > 0.1: %lld -> %lld: %s\n", static_cast<long long>(spread0),
                static_cast<long long>(spread1), grew ? "ok" : "DID NOT GROW");
  }
  MPI_Bcast(&matches, 1, MPI_INT, 0, MPI_COMM_WORLD);
  return matches && bounded && grew ? 0 : 1;
}
