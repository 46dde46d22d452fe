// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
#pragma once
// Which execution spaces run their kernels on the host. Asked of the
// execution space, as Kokkos asks it, never of its memory: CUDA's
// CudaUVMSpace (CUDA's default memory space in Kokkos 3.x builds with
// Kokkos_ENABLE_CUDA_UVM), HIP's and SYCL's managed memory are all within
// the host's reach, yet their kernels run on the device.

#include <Kokkos_Core.hpp>

namespace weft::detail {

/// Whether kernels launched on Exec run on the host (Serial, OpenMP,
/// Threads, HPX), where weft writes some loops itself rather than leaving
/// them to Kokkos. The question is whether code running in Exec can reach
/// host memory: Kokkos 3.4 to 4.x answer it from Exec's own memory space,
/// and no device space reaches pageable host memory there.
template <class Exec>
inline constexpr bool host_kernels = Kokkos::SpaceAccessibility<Exec, Kokkos::HostSpace>::accessible;

}  // namespace weft::detail
