// Times the two elliptic solvers of Dendra on the unit cube:
//   dendra-benchmark-elliptic poisson|elasticity <subdivisions> [degree]
// prints one line: problem, ranks, DoFs, setup, assembly, AMG set-up and
// solve times (s), CG iterations.
#include <dendra/base/exceptions.h>
#include <dendra/base/parameters.h>
#include <dendra/fields/elasticity.h>
#include <dendra/fields/electrostatics.h>
#include <dendra/materials/material_library.h>

#include <deal.II/base/mpi.h>
#include <deal.II/base/timer.h>
#include <deal.II/grid/grid_generator.h>

#include <iomanip>
#include <iostream>

using namespace dealii;

namespace
{
  struct Timings
  {
    double                  setup, assembly, amg, solve;
    unsigned int            iterations;
    types::global_dof_index n_dofs;
  };

  template <typename Field>
  Timings time_field(Field &field)
  {
    Timer timer;
    field.setup_dofs();
    const double setup  = timer.wall_time();
    const auto   report = field.solve();
    return {setup, field.assembly_time(), report.amg_setup_time, report.solve_time, report.iterations, field.n_dofs()};
  }
} // namespace

int main(int argc, char **argv)
{
  Utilities::MPI::MPI_InitFinalize mpi(argc, argv, 1);
  try
    {
      dendra::require_input(argc >= 3, "usage: dendra-benchmark-elliptic poisson|elasticity <subdivisions> [degree]");
      const std::string  problem      = argv[1];
      const unsigned int subdivisions = std::stoi(argv[2]);
      const unsigned int degree       = argc > 3 ? std::stoi(argv[3]) : 1;

      parallel::distributed::Triangulation<3> tria(MPI_COMM_WORLD);
      GridGenerator::subdivided_hyper_cube(tria, subdivisions, 0, 1, /*colorize=*/true);
      for (const auto &cell : tria.active_cell_iterators())
        cell->set_material_id(0); // colorize also numbers cells by octant
      dendra::MaterialLibrary materials;
      materials.set({"LLZO", 0, 150e9, 0.257, 0.0, 1.0});

      Timings t{};
      if (problem == "poisson")
        {
          dendra::Electrostatics<3>::Parameters p;
          p.degree                    = degree;
          p.source                    = dendra::parse_function<3>({"1"}, "source");
          p.dirichlet[0]              = dendra::parse_function<3>({"0"}, "phi");
          p.solver.relative_tolerance = 1e-8;
          dendra::Electrostatics<3> field(tria, materials, p);
          t = time_field(field);
        }
      else
        {
          dendra::Elasticity<3>::Parameters p;
          p.degree                 = degree;
          p.displacement[0]        = {dendra::parse_function<3>({"0", "0", "0"}, "u"), ComponentMask()};
          p.pressure[1]            = dendra::parse_function<3>({"1e6"}, "p");
          p.volumetric_eigenstrain = dendra::parse_function<3>({"1e-3 * x * y"}, "eps");
          dendra::Elasticity<3> field(tria, materials, p);
          t = time_field(field);
        }
      if (Utilities::MPI::this_mpi_process(MPI_COMM_WORLD) == 0)
        std::cout << std::fixed << std::setprecision(2) << problem << " Q" << degree << " "
                  << Utilities::MPI::n_mpi_processes(MPI_COMM_WORLD) << " " << t.n_dofs << " " << t.setup << " "
                  << t.assembly << " " << t.amg << " " << t.solve << " " << t.iterations << " "
                  << (t.setup + t.assembly + t.amg + t.solve) / (t.n_dofs / 1e6) << std::endl;
    }
  catch (const std::exception &e)
    {
      return dendra::report_error("dendra-benchmark-elliptic", e);
    }
  return 0;
}
