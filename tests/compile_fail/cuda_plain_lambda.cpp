// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
// Must not compile under nvcc for a CUDA Kokkos, with one sentence: a plain
// lambda's operator() cannot run on the GPU.
#include <weft/for_each.hpp>
int main(int argc, char* argv[]) {
  Kokkos::ScopeGuard kokkos(argc, argv);
  Kokkos::View<double*> x("x", 10), y("y", 10);
  weft::transform(Kokkos::DefaultExecutionSpace{}, x, y, [=](double v) { return 2 * v; });
}
