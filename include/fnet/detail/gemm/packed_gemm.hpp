// The driver of the packed fp32 GEMM: chooses the cache blocking from this CPU's cache sizes and splits
// the output over threads; the ISA kernels (isa/kernels.inc) do the arithmetic.
//
// Threads get rectangles of whole tiles (split_tiles) and never share output memory.
#pragma once

#include <algorithm>
#include <unistd.h>

#include "fnet/detail/gemm/sgemm_args.hpp"
#include "fnet/detail/isa/dispatch.hpp"

#ifdef _OPENMP
#include <omp.h>
#endif

namespace fnet::detail {

struct CacheSizes {
  long l1d, l2;
};

// Per-core data cache sizes (glibc reads them from CPUID); typical values where they are not reported.
inline CacheSizes cache_sizes() {
  static const CacheSizes sizes = [] {
    CacheSizes s{32 * 1024, 512 * 1024};
#if defined(_SC_LEVEL1_DCACHE_SIZE) && defined(_SC_LEVEL2_CACHE_SIZE)
    const long l1 = ::sysconf(_SC_LEVEL1_DCACHE_SIZE), l2 = ::sysconf(_SC_LEVEL2_CACHE_SIZE);
    if (l1 >= 16 * 1024 && l1 <= 1024 * 1024) s.l1d = l1;
    if (l2 >= 128 * 1024 && l2 <= 64 * 1024 * 1024) s.l2 = l2;
#endif
    return s;
  }();
  return sizes;
}

// Pass depth and block width for the kernels of `kernels`:
//   kc: a tile's rows of x (tile_rows × kc floats) fill at most half of L1, so they stay there while the
//       panels of a block stream past; k is cut into equal passes.
//   block_panels: the block of W (kc × block_panels × tile_cols floats) fills about a quarter of L2 (the
//       block being used and the next one, prefetched, must both stay there; half measured slower).
inline void choose_blocking(SgemmArgs& g, const IsaKernels& kernels) {
  const CacheSizes cache = cache_sizes();
  const Eigen::Index kc_max = std::max<Eigen::Index>(64, cache.l1d / (2 * 4 * kernels.tile_rows));
  const Eigen::Index passes = (g.k + kc_max - 1) / kc_max;
  g.kc = std::max<Eigen::Index>(1, (g.k + passes - 1) / passes);
  g.block_panels = std::max<Eigen::Index>(1, cache.l2 / 4 / (4 * g.kc * kernels.tile_cols));
}

// A split of tile_rows × panels tiles into `team` rectangles: the tile rows `tm` ways and the panels `tn`
// ways (tm·tn = team), with the fewest tiles on the busiest thread; ties go to more panel splits, so that
// each thread streams only its share of W.
struct TileRange {
  Eigen::Index row_begin, row_end, panel_begin, panel_end;
};
struct GridSplit {
  Eigen::Index tile_rows, panels;
  int tm, tn;
  // Part p (0 ≤ p < tm·tn) in rows of y (m rows, tiles of `rows_per_tile`) and panels.
  TileRange part(int p, Eigen::Index m, Eigen::Index rows_per_tile) const {
    const int ti = p / tn, tj = p % tn;
    return {std::min(m, tile_rows * ti / tm * rows_per_tile), std::min(m, tile_rows * (ti + 1) / tm * rows_per_tile),
            panels * tj / tn, panels * (tj + 1) / tn};
  }
};
inline GridSplit split_tiles(Eigen::Index tile_rows, Eigen::Index panels, int team) {
  GridSplit best{tile_rows, panels, team, 1};
  Eigen::Index best_load = -1;
  for (int tn = 1; tn <= team; ++tn) {
    if (team % tn) continue;
    const int tm = team / tn;
    const Eigen::Index load = ((tile_rows + tm - 1) / tm) * ((panels + tn - 1) / tn);
    if (best_load < 0 || load <= best_load) best_load = load, best.tm = tm, best.tn = tn;
  }
  return best;
}

// Runs g (blocking filled in here) on `threads` threads with the kernels of `kernels`.
inline void run_packed_sgemm(SgemmArgs g, const IsaKernels& kernels, int threads) {
  using Index = Eigen::Index;
  choose_blocking(g, kernels);
  const Index tile_rows = (g.m + kernels.tile_rows - 1) / kernels.tile_rows;
  const Index panels = (g.n + kernels.tile_cols - 1) / kernels.tile_cols;
  // Below a few MFLOP waking a second thread costs more than it saves.
  const double flops = 2.0 * double(g.m) * double(g.n) * double(g.k);
  const int team = flops < 4e6 ? 1 : static_cast<int>(std::min<Index>(threads, tile_rows * panels));
  if (team <= 1) {  // stay out of OpenMP: even a one-thread parallel region allocates
    kernels.sgemm_block(g, 0, g.m, 0, panels);
    return;
  }
  const GridSplit split = split_tiles(tile_rows, panels, team);
#ifdef _OPENMP
  // The team may be smaller than asked (nested inside a caller's parallel region, OMP_THREAD_LIMIT):
  // then a thread takes several of the `team` parts.
#pragma omp parallel num_threads(team)
  for (int part = omp_get_thread_num(); part < team; part += omp_get_num_threads()) {
    const TileRange r = split.part(part, g.m, kernels.tile_rows);
    if (r.row_begin < r.row_end && r.panel_begin < r.panel_end)
      kernels.sgemm_block(g, r.row_begin, r.row_end, r.panel_begin, r.panel_end);
  }
#else
  (void)split;
  kernels.sgemm_block(g, 0, g.m, 0, panels);
#endif
}

}  // namespace fnet::detail
