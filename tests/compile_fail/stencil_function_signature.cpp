// A stencil function that does not take the neighbourhood must not compile.
#include <weft/stencil.hpp>

int main() {
  Kokkos::View<double**> in("in", 4, 4), out("out", 4, 4);
  weft::stencil(in, out, 1, weft::clamp{}, KOKKOS_LAMBDA(int i) { return double(i); });
}
