// Uses the installed package: a dot product and a scan, checked.
#include <weft/weft.hpp>

#include <cstdio>

int main(int argc, char* argv[]) {
  Kokkos::ScopeGuard kokkos(argc, argv);
  const int n = 1000;
  Kokkos::View<double*> x("x", n), y("y", n);
  weft::iota(x, 1.0);
  weft::fill(y, 2.0);
  const double dot = weft::transform_reduce(x, y, 0.0, weft::plus{}, weft::multiplies{});
  const double total = weft::inclusive_scan(x, x);
  const bool ok = dot == n * (n + 1.0) && total == n * (n + 1.0) / 2;
  std::printf("weft %d.%d.%d consumer: dot = %g, scan total = %g: %s\n", WEFT_VERSION_MAJOR,
              WEFT_VERSION_MINOR, WEFT_VERSION_PATCH, dot, total, ok ? "ok" : "WRONG");
  return ok ? 0 : 1;
}
