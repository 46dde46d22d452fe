// Explicit 2-D heat diffusion on a distributed grid: the README's demo.
//
//   mpiexec -n 2 heat2d [n] [steps] [prefix]
//
// The unit square, periodic in both directions, on an n x n grid split over
// the ranks (a Cartesian process grid). Each step is one weft::stencil of
// the 5-point Laplacian, which exchanges the one-cell halo while it computes
// each block's interior:
//
//   u_new = u + alpha (u_W + u_E + u_S + u_N - 4 u),  alpha = D dt / dx^2 = 0.2
//
// As it goes it prints the step, the simulated and the wall-clock time, the
// total heat (a weft::reduce) and the peak (weft::max_loc). It writes PNG
// pictures of the field, gathered on rank 0 (weft::gather), to
// <prefix>-<step>.png: at the start, at three intermediate steps and at the end.
//
// Checks (exit 1 if any fails):
//   (a) total heat is conserved to rounding (periodic boundaries lose none);
//   (b) the peak never rises (the scheme is monotone for alpha <= 1/4);
//   (c) the final field equals a plain sequential computation of the same
//       steps on rank 0, so it does not depend on the number of ranks.
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
constexpr double alpha = 0.2;  // D dt / dx^2: stable (and monotone) up to 1/4

// A hot square and a hotter disc on a cold plate: the same function of the
// global point on every rank and in the sequential reference.
KOKKOS_INLINE_FUNCTION double initial_temperature(std::int64_t i, std::int64_t j, std::int64_t n) {
  const double x = (i + 0.5) / double(n), y = (j + 0.5) / double(n);
  double u = 0.0;
  if (std::abs(x - 0.3) < 0.12 && std::abs(y - 0.55) < 0.2) u = 60.0;
  const double dx = x - 0.68, dy = y - 0.35;
  if (dx * dx + dy * dy < 0.15 * 0.15) u = 100.0;
  return u;
}

// One explicit step at a point. A functor rather than a generic
// KOKKOS_LAMBDA(const auto& nb): nvcc rejects generic device lambdas.
struct diffusion_step {
  template <class Neighbourhood>
  KOKKOS_INLINE_FUNCTION double operator()(const Neighbourhood& nb) const {
    return nb(0, 0) + alpha * (nb(-1, 0) + nb(1, 0) + nb(0, -1) + nb(0, 1) - 4 * nb(0, 0));
  }
};

// The same steps with plain loops on one process.
std::vector<double> simulate_sequentially(std::int64_t n, int steps) {
  std::vector<double> u(n * n), next(n * n);
  for (std::int64_t i = 0; i < n; ++i)
    for (std::int64_t j = 0; j < n; ++j) u[i * n + j] = initial_temperature(i, j, n);
  auto wrap = [n](std::int64_t i) { return i < 0 ? i + n : (i >= n ? i - n : i); };
  for (int s = 0; s < steps; ++s) {
    for (std::int64_t i = 0; i < n; ++i) {
      const double* up = &u[wrap(i - 1) * n];
      const double* row = &u[i * n];
      const double* down = &u[wrap(i + 1) * n];
      for (std::int64_t j = 0; j < n; ++j) {
        const std::int64_t w = wrap(j - 1), e = wrap(j + 1);
        next[i * n + j] = row[j] + alpha * (up[j] + down[j] + row[w] + row[e] - 4 * row[j]);
      }
    }
    std::swap(u, next);
  }
  return u;
}

// The field as a picture, temperatures 0..scale mapped to a colour ramp.
void write_picture(const std::string& path, std::int64_t n, const std::vector<double>& field, double scale) {
  std::vector<std::uint8_t> rgb(3 * field.size());
  for (std::size_t k = 0; k < field.size(); ++k) image_io::heat_colour(field[k] / scale, &rgb[3 * k]);
  image_io::write_rgb_png(path, n, n, rgb);
}
}  // namespace

int main(int argc, char* argv[]) {
  MPI_Init(&argc, &argv);
  int status = 0;
  {
    Kokkos::ScopeGuard kokkos(argc, argv);
    weft::communicator comm(MPI_COMM_WORLD);
    const bool root = comm.rank() == 0;
    const std::int64_t n = argc > 1 ? std::atoll(argv[1]) : 384;
    const int steps = argc > 2 ? std::atoi(argv[2]) : 12000;
    const std::string prefix = argc > 3 ? argv[3] : "heat2d";
    const double dt = alpha / double(n * n);  // D = 1, dx = 1/n

    const weft::grid_options periodic{.halo = 1, .periodic = {true, true}, .dims = {}, .shape = weft::stencil_shape::cross};
    grid u(comm, {n, n}, periodic), next(comm, {n, n}, periodic);
    weft::for_each_index(u, KOKKOS_LAMBDA(std::int64_t i, std::int64_t j, double& v) {
      v = initial_temperature(i, j, n);
    });
    const double heat0 = weft::reduce(u);
    const double peak0 = weft::max_loc(u).value;
    if (root) {
      std::printf("heat2d: %lld x %lld periodic grid, %d steps, %d ranks as a %d x %d process grid, on %s\n",
                  static_cast<long long>(n), static_cast<long long>(n), steps, comm.size(), u.dims()[0], u.dims()[1],
                  Kokkos::DefaultExecutionSpace::name());
    }

    // Pictures at the start, at a quarter, half and three quarters of the
    // run, and at the end; progress lines about ten times.
    std::vector<int> picture_steps{0, steps / 4, steps / 2, 3 * steps / 4, steps};
    picture_steps.erase(std::unique(picture_steps.begin(), picture_steps.end()), picture_steps.end());
    auto picture = [&](int step) {
      const auto field = weft::gather(u, 0);  // collective: every rank calls it
      if (!root) return;
      char name[32];
      std::snprintf(name, sizeof name, "-%06d.png", step);
      write_picture(prefix + name, n, field, peak0);
      std::printf("  wrote %s%s\n", prefix.c_str(), name);
    };
    const int report_every = std::max(1, steps / 10);
    bool peak_rose = false;
    Kokkos::Timer timer;
    auto report = [&](int step) {
      const double heat = weft::reduce(u);
      const auto peak = weft::max_loc(u);
      peak_rose = peak_rose || peak.value > peak0;
      if (root) {
        std::printf("  step %6d  t = %.6f  wall %7.3f s  total heat %.12e  peak %8.4f at (%lld, %lld)\n", step,
                    step * dt, timer.seconds(), heat, peak.value, static_cast<long long>(peak.index[0]),
                    static_cast<long long>(peak.index[1]));
      }
    };

    report(0);
    picture(0);
    double stepping_seconds = 0;
    for (int step = 1; step <= steps; ++step) {
      Kokkos::Timer step_timer;
      weft::stencil(u, next, weft::cross(1), weft::periodic{}, diffusion_step{});
      std::swap(u, next);
      Kokkos::fence();
      stepping_seconds += step_timer.seconds();
      if (step % report_every == 0 || step == steps) report(step);
      if (std::find(picture_steps.begin() + 1, picture_steps.end(), step) != picture_steps.end()) picture(step);
    }

    // (a) and (b).
    const double heat = weft::reduce(u);
    const double drift = std::abs(heat - heat0) / heat0;
    const bool conserved = drift < 1e-11;
    // (c): the final field against the sequential run, on rank 0.
    const auto field = weft::gather(u, 0);
    int matches = 1;
    if (root) {
      const auto reference = simulate_sequentially(n, steps);
      double difference = 0;
      for (std::size_t k = 0; k < field.size(); ++k) difference = std::max(difference, std::abs(field[k] - reference[k]));
      matches = difference <= 1e-12 * peak0;
      const double updates = double(n) * double(n) * steps;
      std::printf("%.3f s stepping, %.1f Mpoint/s (%d ranks)\n", stepping_seconds,
                  stepping_seconds > 0 ? updates / stepping_seconds / 1e6 : 0.0, comm.size());
      std::printf("(a) total heat %.12e -> %.12e, relative drift %.2e: %s\n", heat0, heat, drift,
                  conserved ? "ok" : "NOT CONSERVED");
      std::printf("(b) peak %.4f at the start never exceeded: %s\n", peak0, peak_rose ? "ROSE" : "ok");
      std::printf("(c) max difference from the sequential computation %.2e: %s\n", difference,
                  matches ? "ok" : "WRONG");
    }
    MPI_Bcast(&matches, 1, MPI_INT, 0, MPI_COMM_WORLD);
    status = conserved && !peak_rose && matches ? 0 : 1;
  }
  MPI_Finalize();
  return status;
}
