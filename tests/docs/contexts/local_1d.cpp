// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
// What the local samples on the site use: 1-D views of doubles and an
// execution space.
// needs: weft
#include <weft/weft.hpp>

namespace sample {
// @DECLARATIONS@

[[maybe_unused]] void run(const Kokkos::DefaultExecutionSpace& exec, Kokkos::View<double*> x, Kokkos::View<double*> y,
                          Kokkos::View<double*> out, Kokkos::View<double*> prefix) {
  // @BODY@
}
}  // namespace sample
