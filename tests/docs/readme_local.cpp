#include <weft/weft.hpp>

#include <cstdio>

// A stencil function as a functor: runs on GPUs and CPUs alike, and its
// templated operator() lets weft settle the boundary test at compile time.
struct average {
  template <class Neighbourhood>
  KOKKOS_INLINE_FUNCTION double operator()(const Neighbourhood& nb) const {
    return 0.25 * (nb(-1, 0) + nb(1, 0) + nb(0, -1) + nb(0, 1));
  }
};

int main(int argc, char* argv[]) {
  weft::local_environment env(argc, argv);  // Kokkos, until main returns
  const int n = 1 << 20;
  Kokkos::View<double*> x("x", n), y("y", n);           // device memory on a GPU build
  Kokkos::DefaultExecutionSpace exec;

  weft::iota(exec, x, 0.0);                             // x = 0, 1, 2, ...
  weft::transform(exec, x, y, KOKKOS_LAMBDA(double v) { return 0.5 * v; });
  double dot = weft::transform_reduce(exec, x, y, 0.0, weft::plus{}, weft::multiplies{});
  double total = weft::inclusive_scan(exec, y, y);      // in place; returns the total
  auto [peak, where] = weft::max_loc(exec, x);

  Kokkos::View<double**> u("u", 512, 512), next("next", 512, 512);
  weft::stencil(exec, u, next, 1, weft::periodic{}, average{});
  std::printf("dot %g, total %g, max %g at %ld\n", dot, total, peak, (long)where);
}
