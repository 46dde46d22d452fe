// Must not compile: a 2-D input with a 1-D output.
#include <weft/stencil.hpp>
int main() {
  Kokkos::View<double**> in("in", 4, 4);
  Kokkos::View<double*> out("out", 16);
  weft::stencil(in, out, 1, weft::clamp{}, KOKKOS_LAMBDA(const auto& nb) { return nb(0, 0); });
}
