// The shared Field lifecycle: one state-transfer mechanism for mesh changes
// and for checkpoints (serialization with the p4est mesh), shown on the
// damage field, whose state is two vectors (d and its committed bound).

#include <dendra/fields/damage.h>
#include <dendra/materials/material_library.h>

#include <deal.II/base/function.h>
#include <deal.II/base/mpi.h>
#include <deal.II/base/quadrature_lib.h>
#include <deal.II/fe/fe_values.h>
#include <deal.II/grid/grid_generator.h>
#include <deal.II/numerics/vector_tools.h>

#include <catch2/catch.hpp>

#include <array>
#include <cmath>
#include <cstdio>
#include <iomanip>
#include <string>

using namespace dealii;
using namespace dendra;

namespace
{
  /// A 4 x 2 um LLZO strip, refined globally twice and once more in its left half.
  void make_strip(parallel::distributed::Triangulation<2> &tria)
  {
    GridGenerator::subdivided_hyper_rectangle(tria, {4, 2}, Point<2>(), Point<2>(4e-6, 2e-6), true);
    tria.refine_global(2);
    for (const auto &cell : tria.active_cell_iterators())
      if (cell->is_locally_owned() && cell->center()[0] < 2e-6)
        cell->set_refine_flag();
    tria.execute_coarsening_and_refinement();
    for (const auto &cell : tria.active_cell_iterators())
      cell->set_material_id(3); // LLZO
  }

  /// Integrals of v, v^2, x v and y v over the mesh, all ranks of the
  /// field's communicator: equal for equal finite-element functions on any partition.
  std::array<double, 4> moments(const Damage<2> &field, const LA::MPI::Vector &v)
  {
    const QGauss<2>       quadrature(3);
    FEValues<2>           fe_values(field.get_mapping(), field.dof_handler().get_fe(), quadrature,
                                    update_values | update_quadrature_points | update_JxW_values);
    std::vector<double>   values(quadrature.size());
    std::array<double, 4> sums{};
    for (const auto &cell : field.dof_handler().active_cell_iterators())
      if (cell->is_locally_owned())
        {
          fe_values.reinit(cell);
          fe_values.get_function_values(v, values);
          for (const unsigned int q : fe_values.quadrature_point_indices())
            {
              const double dx = fe_values.JxW(q);
              const auto  &x  = fe_values.quadrature_point(q);
              sums[0] += values[q] * dx;
              sums[1] += values[q] * values[q] * dx;
              sums[2] += x[0] * 1e6 * values[q] * dx;
              sums[3] += x[1] * 1e6 * values[q] * dx;
            }
        }
    const MPI_Comm communicator = field.get_triangulation().get_communicator();
    for (auto &s : sums)
      s = Utilities::MPI::sum(s, communicator);
    return sums;
  }

  /// Checks that @p a and @p b agree to round-off (1e-12; the sums run over other cells).
  void check_equal(const std::array<double, 4> &a, const std::array<double, 4> &b)
  {
    for (unsigned int k = 0; k < 4; ++k)
      {
        INFO("moment " << k << ": " << std::setprecision(17) << a[k] << " against " << b[k]);
        CHECK(b[k] == Approx(a[k]).epsilon(1e-12));
      }
  }

  /// Sets d = @p f and, before that, the committed bound = @p bound.
  void set_state(Damage<2> &damage, const Function<2> &bound, const Function<2> &f)
  {
    LA::MPI::Vector owned(damage.dof_handler().locally_owned_dofs(), damage.get_triangulation().get_communicator());
    VectorTools::interpolate(damage.get_mapping(), damage.dof_handler(), bound, owned);
    damage.set_solution(owned);
    damage.commit();
    VectorTools::interpolate(damage.get_mapping(), damage.dof_handler(), f, owned);
    damage.set_solution(owned);
  }
} // namespace

TEST_CASE("A field's state survives a checkpoint exactly, also on another number of ranks", "[field]")
{
  const MaterialLibrary                   materials = MaterialLibrary::defaults();
  parallel::distributed::Triangulation<2> tria(MPI_COMM_WORLD);
  make_strip(tria);
  Damage<2> damage(tria, materials, Damage<2>::Parameters());
  damage.setup_dofs();
  const ScalarFunctionFromFunctionObject<2> bound([](const Point<2> &p) { return 0.2 * p[0] / 4e-6; });
  const ScalarFunctionFromFunctionObject<2> d(
    [](const Point<2> &p) { return 0.2 * p[0] / 4e-6 + 0.3 * std::pow(p[1] / 2e-6, 2); });
  set_state(damage, bound, d);
  const auto        d_before = moments(damage, damage.solution());
  const std::string file     = "field-checkpoint-test.mesh";
  damage.prepare_for_serialization();
  tria.save(file);
  damage.reset();
  const auto bound_before = moments(damage, damage.solution());
  CHECK(bound_before[0] != Approx(d_before[0]));

  // Loaded on the same ranks, and on each rank alone: d and its bound come back.
  for (const MPI_Comm communicator : {MPI_COMM_WORLD, MPI_COMM_SELF})
    {
      parallel::distributed::Triangulation<2> loaded(communicator);
      GridGenerator::subdivided_hyper_rectangle(loaded, {4, 2}, Point<2>(), Point<2>(4e-6, 2e-6), true);
      loaded.load(file);
      for (const auto &cell : loaded.active_cell_iterators())
        cell->set_material_id(3);
      CHECK(loaded.n_global_active_cells() == tria.n_global_active_cells());
      Damage<2> restored(loaded, materials, Damage<2>::Parameters());
      restored.deserialize();
      CHECK(restored.n_dofs() == damage.n_dofs());
      check_equal(d_before, moments(restored, restored.solution()));
      restored.reset();
      check_equal(bound_before, moments(restored, restored.solution()));
    }
  MPI_Barrier(MPI_COMM_WORLD);
  if (Utilities::MPI::this_mpi_process(MPI_COMM_WORLD) == 0)
    for (const std::string suffix : {"", "_fixed.data", "_variable.data", ".info"})
      std::remove((file + suffix).c_str());
}

TEST_CASE("A mesh change moves every state vector of a field", "[field]")
{
  // Refining and coarsening back is exact for Q1: d and its bound return.
  const MaterialLibrary                   materials = MaterialLibrary::defaults();
  parallel::distributed::Triangulation<2> tria(MPI_COMM_WORLD);
  make_strip(tria);
  Damage<2> damage(tria, materials, Damage<2>::Parameters());
  damage.setup_dofs();
  set_state(damage, Functions::ConstantFunction<2>(0.1),
            ScalarFunctionFromFunctionObject<2>([](const Point<2> &p) { return 0.1 + 0.5 * p[0] / 4e-6; }));
  const auto before = moments(damage, damage.solution());
  for (const auto &cell : tria.active_cell_iterators())
    if (cell->is_locally_owned() && cell->center()[0] > 2e-6)
      cell->set_refine_flag();
  tria.prepare_coarsening_and_refinement();
  damage.prepare_for_transfer();
  tria.execute_coarsening_and_refinement();
  damage.finish_transfer();
  check_equal(before, moments(damage, damage.solution()));
  damage.reset(); // to the transferred bound, d = 0.1
  CHECK(moments(damage, damage.solution())[0] == Approx(0.1 * 8e-12).epsilon(1e-13));
}
