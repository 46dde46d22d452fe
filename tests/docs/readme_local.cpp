#include <weft/weft.hpp>

#include <cstdio>

int main(int argc, char* argv[]) {
  Kokkos::ScopeGuard kokkos(argc, argv);
  const int n = 1 << 20;
  Kokkos::View<double*> x("x", n), y("y", n);           // device memory on a GPU build
  Kokkos::DefaultExecutionSpace exec;

  weft::iota(exec, x, 0.0);                             // x = 0, 1, 2, ...
  weft::transform(exec, x, y, KOKKOS_LAMBDA(double v) { return 0.5 * v; });
  double dot = weft::transform_reduce(exec, x, y, 0.0, weft::plus{}, weft::multiplies{});
  double total = weft::inclusive_scan(exec, y, y);      // in place; returns the total
  auto [peak, where] = weft::max_loc(exec, x);

  Kokkos::View<double**> u("u", 512, 512), next("next", 512, 512);
  weft::stencil(exec, u, next, 1, weft::periodic{}, KOKKOS_LAMBDA(const auto& nb) {
    return 0.25 * (nb(-1, 0) + nb(1, 0) + nb(0, -1) + nb(0, 1));
  });
  std::printf("dot %g, total %g, max %g at %ld\n", dot, total, peak, (long)where);
}
