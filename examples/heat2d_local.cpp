// 2-D heat diffusion on one device with weft's local primitives.
//
//   heat2d_local [n] [steps]
//
// An explicit finite-difference step on an n x n periodic grid is one
// weft::stencil; the total heat, a weft::reduce, must stay constant to
// rounding, and weft::max_loc tracks the peak as it spreads. Exits non-zero
// if heat is not conserved.
#include <weft/weft.hpp>

#include <cmath>
#include <cstdio>
#include <cstdlib>

int main(int argc, char* argv[]) {
  weft::local_environment env(argc, argv);  // Kokkos, until main returns
  const int n = argc > 1 ? std::atoi(argv[1]) : 512;
  const int steps = argc > 2 ? std::atoi(argv[2]) : 1000;
  const double alpha = 0.2;  // D dt / dx^2, stable below 0.25

  using exec = Kokkos::DefaultExecutionSpace;
  Kokkos::View<double**> u("u", n, n), next("next", n, n);
  // A hot square in a cold plate.
  Kokkos::parallel_for("init", Kokkos::MDRangePolicy<exec, Kokkos::Rank<2>>({0, 0}, {n, n}),
                       KOKKOS_LAMBDA(int i, int j) {
                         const bool hot = std::abs(i - n / 3) < n / 8 && std::abs(j - n / 2) < n / 6;
                         u(i, j) = hot ? 100.0 : 0.0;
                       });
  auto flat = [](const Kokkos::View<double**>& v) {
    return Kokkos::View<double*>(v.data(), v.size());
  };
  const double heat0 = weft::reduce(flat(u));
  std::printf("heat2d_local: %d x %d periodic grid, %d steps on %s\n", n, n, steps, exec::name());

  Kokkos::Timer timer;
  for (int step = 1; step <= steps; ++step) {
    // The neighbourhood's type, named: a generic KOKKOS_LAMBDA(const auto& nb)
    // reads the same on CPU builds, but nvcc rejects generic device lambdas.
    using nb_t = weft::neighbourhood<Kokkos::View<double**>, weft::periodic>;
    weft::stencil(u, next, 1, weft::periodic{}, KOKKOS_LAMBDA(const nb_t& nb) {
      return nb(0, 0) + alpha * (nb(-1, 0) + nb(1, 0) + nb(0, -1) + nb(0, 1) - 4 * nb(0, 0));
    });
    std::swap(u, next);
    if (step % (steps / 5 > 0 ? steps / 5 : 1) == 0 || step == steps) {
      const double heat = weft::reduce(flat(u));
      const auto peak = weft::max_loc(flat(u));
      std::printf("  step %5d  t = %7.3f s  total heat %.10e  peak %8.4f at (%ld, %ld)\n", step,
                  timer.seconds(), heat, peak.value, static_cast<long>(peak.index / n),
                  static_cast<long>(peak.index % n));
    }
  }
  Kokkos::fence();
  const double heat = weft::reduce(flat(u));
  const double drift = std::abs(heat - heat0) / heat0;
  const double points_per_s = double(n) * n * steps / timer.seconds();
  std::printf("heat conserved to %.2e relative (%.1f Mpoint/s)\n", drift, points_per_s / 1e6);
  if (drift > 1e-10) {
    std::printf("FAILED: total heat drifted\n");
    return 1;
  }
  return 0;
}
