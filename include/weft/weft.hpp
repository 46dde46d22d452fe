// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
#pragma once
// weft: portable parallel primitives on Kokkos execution spaces.
//
// The single-address-space API: map, reduce, scan, stencil, sort, compaction,
// by-key and histogram algorithms on Kokkos views. Never includes <mpi.h>;
// the MPI API is <weft/distributed.hpp>.

#include "detail/config.hpp"  // first: the C++20 check

#include "by_key.hpp"
#include "compaction.hpp"
#include "concepts.hpp"
#include "environment.hpp"
#include "error.hpp"
#include "execution_spaces.hpp"
#include "for_each.hpp"
#include "functional.hpp"
#include "histogram.hpp"
#include "reduce.hpp"
#include "reproducible.hpp"
#include "scan.hpp"
#include "sort.hpp"
#include "stencil.hpp"
#include "version.hpp"
