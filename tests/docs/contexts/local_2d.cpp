// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
// What the local stencil samples on the site use: 2-D views, an execution
// space, and the Gray-Scott constants and Laplacian of examples/gray_scott.cpp.
// needs: weft
#include <weft/weft.hpp>

namespace sample {
constexpr double dt = 1.0, du = 0.16, dv = 0.08, feed = 0.035, kill = 0.06;

template <class Neighbourhood>
KOKKOS_INLINE_FUNCTION double laplacian(const Neighbourhood& nb) {
  return nb(-1, 0) + nb(1, 0) + nb(0, -1) + nb(0, 1) - 4 * nb(0, 0);
}

// @DECLARATIONS@

[[maybe_unused]] void run(const Kokkos::DefaultExecutionSpace& exec, Kokkos::View<double**> in,
                          Kokkos::View<double**> out, Kokkos::View<double**> u, Kokkos::View<double**> v,
                          Kokkos::View<double**> u_next, Kokkos::View<double**> v_next) {
  // @BODY@
}
}  // namespace sample
