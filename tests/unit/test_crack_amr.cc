// Adaptive meshes for cracks: the damage's cell size targets (where damage
// lives and ahead of tips, plus rings), the deterministic marking that meets
// them and coarsens where there are none, and its independence of the
// partition (the same mesh on all ranks as on one).
#include <dendra/fields/damage.h>
#include <dendra/materials/material_library.h>
#include <dendra/mesh/mesh_builder.h>

#include <deal.II/base/mpi.h>
#include <deal.II/grid/grid_generator.h>

#include <catch2/catch.hpp>

#include "test_helpers.h"

#include <algorithm>
#include <iostream>
#include <vector>

using namespace dealii;
using namespace dendra;

namespace
{
  // A 6 x 6 um LLZO square of 0.5 um cells (level 1); l = 0.37 um, so the
  // target l / 4 = 92.5 nm takes three refinements (62.5 nm).
  constexpr double side = 6e-6, length_scale = 0.37e-6, crack_end = 2.25e-6, crack_y = 3e-6; // m
  const Point<2>   hot_spot(4.5e-6, 3e-6);                                                   // m
  constexpr double hot_radius = 0.4e-6;                                                      // m

  MaterialLibrary llzo_library()
  {
    MaterialLibrary library = MaterialLibrary::defaults();
    Material        llzo    = library.by_name("LLZO");
    llzo.damage_length      = length_scale;
    library.set(llzo);
    return library;
  }

  /// The mesh, a notch along y = 3 um up to x = 2.25 um, and AT1 damage
  /// driven by a tensile energy of 0.6 x the onset energy 3 G_c / (16 l) in
  /// a disk ahead of it (below the onset: it damages nothing, but it is
  /// where a tip would run).
  struct NotchedSquare
  {
    explicit NotchedSquare(const MPI_Comm communicator)
      : library(llzo_library())
      , tria(communicator)
      , damage((make_mesh(tria), tria), library, at1())
    {
      const Material &llzo  = library.by_name("LLZO");
      const double    onset = 3 * llzo.fracture_energy / (16 * length_scale);
      quantities.provide(testing::cellwise_quantity<2>(quantity_names::tensile_energy, [onset](const auto &cell) {
        return cell->center().distance(hot_spot) < hot_radius ? 0.6 * onset : 0.0;
      }));
      damage.set_initial_crack(
        [](const Point<2> &p) { return p[0] <= crack_end * (1 + 1e-9) && std::abs(p[1] - crack_y) < 1e-12; });
      damage.setup_dofs();
      damage.read_quantities(quantities);
      builder.initial_global_refinement = 1;
    }

    static void make_mesh(parallel::distributed::Triangulation<2> &tria)
    {
      GridGenerator::subdivided_hyper_rectangle(tria, {6, 6}, Point<2>(), Point<2>(side, side));
      for (const auto &cell : tria.cell_iterators())
        cell->set_material_id(3); // LLZO, on every level: cells that p4est re-creates inherit it
      tria.refine_global(1);
    }
    static Damage<2>::Parameters at1()
    {
      Damage<2>::Parameters p;
      p.model = Damage<2>::Model::at1;
      return p;
    }

    /// Solves, then refines to the targets until they are met (or 10 rounds); returns the rounds.
    unsigned int refine_to_targets()
    {
      for (unsigned int round = 1;; ++round)
        {
          damage.solve();
          Vector<float> targets;
          damage.cell_size_targets(targets);
          if (builder.mark_to_targets(tria, targets, false) == 0 || round == 10)
            return round;
          tria.execute_coarsening_and_refinement();
          damage.setup_dofs();
        }
    }

    /// Centres and edge lengths of all active cells (every rank gets all), sorted.
    std::vector<std::array<double, 3>> cells() const
    {
      std::vector<std::array<double, 3>> mine;
      for (const auto &cell : tria.active_cell_iterators())
        if (cell->is_locally_owned())
          mine.push_back({cell->center()[0], cell->center()[1], cell->minimum_vertex_distance()});
      std::vector<std::array<double, 3>> all;
      for (const auto &part : Utilities::MPI::all_gather(tria.get_communicator(), mine))
        all.insert(all.end(), part.begin(), part.end());
      std::sort(all.begin(), all.end());
      return all;
    }

    MaterialLibrary                         library;
    parallel::distributed::Triangulation<2> tria;
    Damage<2>                               damage;
    QuantityRegistry<2>                     quantities;
    MeshBuilder<2>                          builder;
  };

  /// The largest edge (m) of the owned cells for which @p where(cell) holds, all ranks.
  template <typename Predicate>
  double largest_edge(const NotchedSquare &square, const Predicate &where)
  {
    double largest = 0;
    for (const auto &cell : square.damage.dof_handler().active_cell_iterators())
      if (cell->is_locally_owned() && where(cell))
        largest = std::max(largest, cell->minimum_vertex_distance());
    return Utilities::MPI::max(largest, square.tria.get_communicator());
  }
} // namespace

TEST_CASE("Damage targets refine the crack and the loaded cells ahead of it, and nothing else", "[crack-amr]")
{
  NotchedSquare      square(MPI_COMM_WORLD);
  const unsigned int rounds = square.refine_to_targets();
  const double       target = length_scale / 4;

  // Every cell with damage at a node, and every cell in the loaded disk, is at most l / 4.
  const double crack_edge = largest_edge(square, [&](const auto &cell) {
    double d = 0;
    for (const unsigned int v : cell->vertex_indices())
      d = std::max(d, square.damage.solution()(cell->vertex_dof_index(v, 0)));
    return d > 0.01;
  });
  const double hot_edge =
    largest_edge(square, [](const auto &cell) { return cell->center().distance(hot_spot) < hot_radius; });
  // Far from both (more than 2.5 um away) the cells keep the built 0.5 um.
  const double far_edge = largest_edge(square, [](const auto &cell) {
    const Point<2> c = cell->center();
    const Point<2> on_crack(std::min(c[0], crack_end), crack_y);
    return c.distance(on_crack) > 2.5e-6 && c.distance(hot_spot) > 2.5e-6;
  });
  if (Utilities::MPI::this_mpi_process(MPI_COMM_WORLD) == 0)
    std::cout << "crack targets: " << rounds << " rounds, " << square.tria.n_global_active_cells()
              << " cells; largest edge on the crack " << crack_edge << " m, in the loaded disk " << hot_edge
              << " m, far away " << far_edge << " m (target " << target << " m)" << std::endl;
  CHECK(rounds < 10); // the targets are met
  CHECK(crack_edge <= target);
  CHECK(crack_edge > target / 2); // not finer than needed
  CHECK(hot_edge <= target);
  CHECK(far_edge == Approx(0.5e-6).epsilon(1e-12));
}

TEST_CASE("Marking to targets gives the same mesh on any partition, and coarsens back without targets", "[crack-amr]")
{
  // The refined mesh on all ranks equals the one built on each rank alone.
  NotchedSquare shared(MPI_COMM_WORLD), alone(MPI_COMM_SELF);
  shared.refine_to_targets();
  alone.refine_to_targets();
  const auto shared_cells = shared.cells(), alone_cells = alone.cells();
  REQUIRE(shared_cells.size() == alone_cells.size());
  double largest_shift = 0;
  for (std::size_t i = 0; i < shared_cells.size(); ++i)
    for (unsigned int k = 0; k < 3; ++k)
      largest_shift = std::max(largest_shift, std::abs(shared_cells[i][k] - alone_cells[i][k]));
  CHECK(largest_shift == 0);

  // Without targets, cells coarsen round by round down to the built level (1), not below.
  unsigned int rounds = 0;
  for (auto n_cells = shared.tria.n_global_active_cells(); rounds < 10; ++rounds)
    {
      shared.builder.mark_to_targets(shared.tria, Vector<float>(shared.tria.n_active_cells()), true);
      shared.tria.execute_coarsening_and_refinement();
      if (shared.tria.n_global_active_cells() == n_cells)
        break;
      n_cells = shared.tria.n_global_active_cells();
    }
  if (Utilities::MPI::this_mpi_process(MPI_COMM_WORLD) == 0)
    std::cout << "targets on " << Utilities::MPI::n_mpi_processes(MPI_COMM_WORLD) << " ranks: " << shared_cells.size()
              << " cells as on one; coarsened back in " << rounds << " rounds to "
              << shared.tria.n_global_active_cells() << " cells" << std::endl;
  CHECK(shared.tria.n_global_active_cells() == 144);
  CHECK(rounds >= 3); // one level per round
  CHECK(rounds <= 4);
}

TEST_CASE("Spreading targets takes the smallest over vertex neighbours, ring by ring", "[crack-amr]")
{
  // 12 x 12 unit cells; targets 0.3 at cell (2, 2) and 0.2 at (5, 2). After
  // two rings the first covers the 5 x 5 block around it, the second too,
  // and where they overlap (column 3 and 4) the smaller wins.
  parallel::distributed::Triangulation<2> tria(MPI_COMM_WORLD);
  GridGenerator::subdivided_hyper_rectangle(tria, {12, 12}, Point<2>(), Point<2>(12, 12));
  Vector<float> targets(tria.n_active_cells());
  const auto    at = [](const auto &cell, const int i, const int j) {
    return std::abs(cell->center()[0] - (i + 0.5)) < 1e-9 && std::abs(cell->center()[1] - (j + 0.5)) < 1e-9;
  };
  for (const auto &cell : tria.active_cell_iterators())
    if (cell->is_locally_owned())
      targets[cell->active_cell_index()] = at(cell, 2, 2) ? 0.3f : at(cell, 5, 2) ? 0.2f : 0.0f;
  spread_to_neighbours<2>(tria, targets, 2);
  unsigned int n_03 = 0, n_02 = 0, wrong = 0;
  for (const auto &cell : tria.active_cell_iterators())
    if (cell->is_locally_owned())
      {
        const double x = cell->center()[0], y = cell->center()[1], t = targets[cell->active_cell_index()];
        const bool   near_first  = std::abs(x - 2.5) < 2.1 && std::abs(y - 2.5) < 2.1;
        const bool   near_second = std::abs(x - 5.5) < 2.1 && std::abs(y - 2.5) < 2.1;
        const double expected    = near_second ? 0.2 : near_first ? 0.3 : 0.0;
        wrong += std::abs(t - expected) > 1e-6;
        n_03 += std::abs(t - 0.3) < 1e-6;
        n_02 += std::abs(t - 0.2) < 1e-6;
      }
  CHECK(Utilities::MPI::sum(wrong, MPI_COMM_WORLD) == 0);
  CHECK(Utilities::MPI::sum(n_02, MPI_COMM_WORLD) == 25);
  CHECK(Utilities::MPI::sum(n_03, MPI_COMM_WORLD) == 15);
}
