// Must not compile: the output view is read-only.
#include <weft/for_each.hpp>
int main() {
  Kokkos::View<double*> in("in", 4);
  Kokkos::View<const double*> out = in;
  weft::transform(Kokkos::DefaultExecutionSpace{}, in, out, KOKKOS_LAMBDA(double x) { return x; });
}
