// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
#pragma once
// weft's distributed API: everything in <weft/weft.hpp>, plus MPI
// communicators, partitions, distributed vectors with halo exchange, and the
// algorithms on them. Includes <mpi.h>; link weft::distributed.

#include "detail/config.hpp"  // first: the C++20 check

#include "weft.hpp"

#include "distributed/balance.hpp"
#include "distributed/by_key.hpp"
#include "distributed/communicator.hpp"
#include "distributed/compaction.hpp"
#include "distributed/environment.hpp"
#include "distributed/for_each.hpp"
#include "distributed/grid.hpp"
#include "distributed/grid_layout.hpp"
#include "distributed/grid_partition.hpp"
#include "distributed/movement.hpp"
#include "distributed/partition.hpp"
#include "distributed/reduce.hpp"
#include "distributed/reproducible.hpp"
#include "distributed/scan.hpp"
#include "distributed/sort.hpp"
#include "distributed/stencil.hpp"
#include "distributed/vector.hpp"
