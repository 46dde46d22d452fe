// Explicit 2-D heat diffusion on a distributed grid: the README's demo.
//
//   mpiexec -n 2 heat2d [n] [steps] [prefix] [--checkpoint-every N] [--restart FILE]
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
// With weft::hdf5 (parallel HDF5), --checkpoint-every N writes the field
// every N steps to <prefix>-checkpoint-<step>.h5 (weft::checkpoint_writer:
// atomically, with an XDMF sidecar for ParaView), and --restart FILE continues
// from one, at any number of ranks, up to `steps`. The last line printed is a
// checksum of the final field's bits: a restarted run matches an
// uninterrupted one exactly.
//
// Checks (exit 1 if any fails):
//   (a) total heat is conserved to rounding (periodic boundaries lose none);
//   (b) the peak never rises (the scheme is monotone for alpha <= 1/4);
//   (c) the final field equals a plain sequential computation of the same
//       steps on rank 0, so it does not depend on the number of ranks.
#include <weft/distributed.hpp>
#ifdef WEFT_EXAMPLE_HDF5
#include <weft/hdf5.hpp>
#endif

#include "image_io.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
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

// FNV-1a over the bytes of the field: equal checksums, equal bits.
std::uint64_t checksum(const std::vector<double>& field) {
  std::uint64_t h = 0xcbf29ce484222325ull;
  const auto* bytes = reinterpret_cast<const unsigned char*>(field.data());
  for (std::size_t k = 0; k < field.size() * sizeof(double); ++k) h = (h ^ bytes[k]) * 0x100000001b3ull;
  return h;
}

// The field as a picture, temperatures 0..scale mapped to a colour ramp.
void write_picture(const std::string& path, std::int64_t n, const std::vector<double>& field, double scale) {
  std::vector<std::uint8_t> rgb(3 * field.size());
  for (std::size_t k = 0; k < field.size(); ++k) image_io::heat_colour(field[k] / scale, &rgb[3 * k]);
  image_io::write_rgb_png(path, n, n, rgb);
}
}  // namespace

int main(int argc, char* argv[]) {
  weft::environment env(argc, argv);  // MPI, then Kokkos, until main returns
  const weft::communicator& comm = env.world();
  const bool root = comm.rank() == 0;
  // [n] [steps] [prefix], and the checkpoint options anywhere.
  std::vector<std::string> positional;
  int checkpoint_every = 0;
  std::string restart;
  for (int a = 1; a < argc; ++a) {
    const std::string arg = argv[a];
    if (arg == "--checkpoint-every" && a + 1 < argc)
      checkpoint_every = std::atoi(argv[++a]);
    else if (arg == "--restart" && a + 1 < argc)
      restart = argv[++a];
    else
      positional.push_back(arg);
  }
#ifndef WEFT_EXAMPLE_HDF5
  if (checkpoint_every > 0 || !restart.empty()) {
    if (root) std::fprintf(stderr, "heat2d: built without weft::hdf5 (parallel HDF5); no checkpoints\n");
    MPI_Abort(MPI_COMM_WORLD, 1);
  }
#endif
  std::int64_t n = positional.size() > 0 ? std::atoll(positional[0].c_str()) : 384;
  const int steps = positional.size() > 1 ? std::atoi(positional[1].c_str()) : 12000;
  const std::string prefix = positional.size() > 2 ? positional[2] : "heat2d";

  // A restart takes the size, the step reached and the starting heat and
  // peak (for checks (a) and (b)) from the checkpoint.
  int first_step = 0;
  double heat0 = 0, peak0 = 0;
#ifdef WEFT_EXAMPLE_HDF5
  std::optional<weft::hdf5_file> restart_file;
  if (!restart.empty()) {
    restart_file.emplace(comm, restart, weft::hdf5_file::read);
    n = restart_file->extents("u").at(0);
    first_step = restart_file->read_attribute<int>("step");
    heat0 = restart_file->read_attribute<double>("heat0");
    peak0 = restart_file->read_attribute<double>("peak0");
  }
#endif
  const double dt = alpha / double(n * n);  // D = 1, dx = 1/n

  // Both fields on one layout: one Cartesian communicator and one halo plan
  // between them. (The 5-point stencil exchanges faces only, whatever the
  // layout's default shape.)
  const weft::grid_layout<2> layout(comm, {n, n}, {.halo = 1, .periodic = {true, true}});
  grid u(layout), next(layout);
  if (first_step == 0) {
    weft::for_each_index(
        u, KOKKOS_LAMBDA(std::int64_t i, std::int64_t j, double& v) { v = initial_temperature(i, j, n); });
    heat0 = weft::reduce(u);
    peak0 = weft::max_loc(u).value;
  }
#ifdef WEFT_EXAMPLE_HDF5
  if (restart_file) {
    weft::load(*restart_file, "u", u);
    restart_file.reset();
  }
  auto checkpoint = [&](int step) {
    char name[48];
    std::snprintf(name, sizeof name, "-checkpoint-%06d.h5", step);
    weft::checkpoint_writer ckpt(comm, prefix + name);
    ckpt.write("u", u, {{"step", step}, {"time", step * dt}});
    ckpt.write_attribute("step", step);
    ckpt.write_attribute("heat0", heat0);
    ckpt.write_attribute("peak0", peak0);
    ckpt.commit();
    if (root) std::printf("  checkpoint %s%s\n", prefix.c_str(), name);
  };
#endif
  if (root) {
    std::printf("heat2d: %lld x %lld periodic grid, %d steps, %d ranks as a %d x %d process grid, on %s\n",
                static_cast<long long>(n), static_cast<long long>(n), steps, comm.size(), u.dims()[0], u.dims()[1],
                Kokkos::DefaultExecutionSpace::name());
    if (first_step > 0) std::printf("  restarted from %s at step %d\n", restart.c_str(), first_step);
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
      std::printf("  step %6d  t = %.6f  wall %7.3f s  total heat %.12e  peak %8.4f at (%lld, %lld)\n", step, step * dt,
                  timer.seconds(), heat, peak.value, static_cast<long long>(peak.index[0]),
                  static_cast<long long>(peak.index[1]));
    }
  };

  report(first_step);
  if (std::find(picture_steps.begin(), picture_steps.end(), first_step) != picture_steps.end()) picture(first_step);
  double stepping_seconds = 0;
  for (int step = first_step + 1; step <= steps; ++step) {
    Kokkos::Timer step_timer;
    weft::stencil(u, next, weft::cross(1), weft::periodic{}, diffusion_step{});
    std::swap(u, next);
    Kokkos::fence();
    stepping_seconds += step_timer.seconds();
    if (step % report_every == 0 || step == steps) report(step);
    if (std::find(picture_steps.begin() + 1, picture_steps.end(), step) != picture_steps.end()) picture(step);
#ifdef WEFT_EXAMPLE_HDF5
    if (checkpoint_every > 0 && step % checkpoint_every == 0) checkpoint(step);
#endif
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
    std::printf("(c) max difference from the sequential computation %.2e: %s\n", difference, matches ? "ok" : "WRONG");
    std::printf("final field checksum %016llx\n", static_cast<unsigned long long>(checksum(field)));
  }
  MPI_Bcast(&matches, 1, MPI_INT, 0, MPI_COMM_WORLD);
  return conserved && !peak_rose && matches ? 0 : 1;
}
