// Must not compile, with one sentence: the algorithms take views of rank 1 to 3.
#include <weft/reduce.hpp>
int main() {
  Kokkos::View<double****> v("v", 2, 2, 2, 2);
  return weft::reduce(Kokkos::DefaultExecutionSpace{}, v) > 0;
}
