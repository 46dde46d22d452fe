// Must not compile, with one sentence: a layout the algorithms do not walk.
#include <weft/for_each.hpp>
int main() {
  using tiled = Kokkos::View<double**, Kokkos::Experimental::LayoutTiled<Kokkos::Iterate::Right, Kokkos::Iterate::Right, 4, 4>>;
  tiled v("v", 8, 8);
  weft::fill(Kokkos::DefaultExecutionSpace{}, v, 1.0);
}
