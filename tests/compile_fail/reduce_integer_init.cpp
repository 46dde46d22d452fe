// Must not compile: an integer init over doubles would truncate every term
// (std::reduce accepts it without a word).
#include <weft/reduce.hpp>
int main() {
  Kokkos::View<double*> v("v", 4);
  return weft::reduce(Kokkos::DefaultExecutionSpace{}, v, 0);
}
