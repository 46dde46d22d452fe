// Must not compile, with one sentence: a scan runs along one sequence.
#include <weft/scan.hpp>
int main() {
  Kokkos::View<double**> in("in", 4, 4), out("out", 4, 4);
  return weft::inclusive_scan(Kokkos::DefaultExecutionSpace{}, in, out) > 0;
}
