// Must not compile: a struct cannot be assigned to a double.
#include <weft/for_each.hpp>
struct pair_of { double a, b; };
int main() {
  Kokkos::View<pair_of*> src("src", 4);
  Kokkos::View<double*> dst("dst", 4);
  weft::copy(Kokkos::DefaultExecutionSpace{}, src, dst);
}
