// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
// Must not compile under nvcc for a CUDA Kokkos, with one sentence: nvcc
// cannot run generic lambdas on the GPU; name the neighbourhood type instead.
#include <weft/stencil.hpp>
int main(int argc, char* argv[]) {
  Kokkos::ScopeGuard kokkos(argc, argv);
  Kokkos::View<double**> u("u", 8, 8), v("v", 8, 8);
  weft::stencil(Kokkos::DefaultExecutionSpace{}, u, v, 1, weft::periodic{},
                [=](const auto& nb) { return nb(-1, 0) + nb(1, 0); });
}
