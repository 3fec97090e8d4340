// Rank independence: the same problems on MPI_COMM_SELF (each rank alone) and
// on MPI_COMM_WORLD (2 ranks) agree to 1e-8 relative.
#include <dendra/base/parameters.h>
#include <dendra/coupling/simulator.h>
#include <dendra/fields/damage.h>
#include <dendra/fields/elasticity.h>
#include <dendra/fields/electrodeposition.h>
#include <dendra/fields/electrostatics.h>
#include <dendra/fields/transport.h>
#include <dendra/postprocess/probes.h>

#include <deal.II/base/mpi.h>
#include <deal.II/grid/grid_generator.h>

#include <catch2/catch.hpp>

using namespace dealii;
using namespace dendra;

namespace
{
  struct Results
  {
    double                               max_principal, max_von_mises, min_hydrostatic;
    std::map<types::boundary_id, double> currents;
    std::vector<std::vector<double>>     probe_potential, probe_displacement;
  };

  /// The default defect with both fields and tight solver tolerances, on a
  /// mesh refined at the interfaces (hanging nodes), on @p communicator.
  /// (Adaptive cycles are left out: where Kelly indicators tie, as on this
  /// symmetric mesh, the marking may differ with the rank count.)
  template <int dim>
  Results run(MPI_Comm communicator, const std::string &directory)
  {
    ParameterHandler prm;
    Simulator<dim>::declare_parameters(prm);
    read_parameter_string(prm, "set Output directory = " + directory + "\nset Dimension = " + std::to_string(dim) +
                                 "\nsubsection Simulation\nset Fields = electrostatics, elasticity\n"
                                 "set Number of steps = 2\nend\n"
                                 "subsection Mesh refinement\nset Interface resolution = " +
                                 (dim == 2 ? "1e-7" : "5e-7") +
                                 "\nend\n"
                                 "subsection Postprocess\nset Write vtu = false\nend\n"
                                 "subsection Electrostatics\nsubsection Linear solver\nset Relative tolerance = 1e-13\n"
                                 "end\nend\nsubsection Elasticity\nsubsection Linear solver\n"
                                 "set Relative tolerance = 1e-13\nend\nend\n");
    Simulator<dim> simulator(communicator, prm);
    simulator.run();
    const auto              summary = simulator.template field<Elasticity<dim>>()->stress_summary({3});
    std::vector<Point<dim>> points(2);
    points[0][dim - 1] = 0.5e-6;
    points[1][dim - 1] = 3e-6;
    points[1][0]       = 2e-6;
    const Probes<dim> probes(points);
    const auto       *es = simulator.template field<Electrostatics<dim>>();
    const auto       *el = simulator.template field<Elasticity<dim>>();
    return {summary.max_principal,
            summary.max_von_mises,
            summary.min_hydrostatic,
            es->boundary_currents(),
            probes.evaluate(es->get_mapping(), es->dof_handler(), es->solution()),
            probes.evaluate(el->get_mapping(), el->dof_handler(), el->solution())};
  }

  template <int dim>
  void check_rank_independence()
  {
    const unsigned int rank     = Utilities::MPI::this_mpi_process(MPI_COMM_WORLD);
    const Results      serial   = run<dim>(MPI_COMM_SELF, "test-mpi-serial-" + std::to_string(rank));
    const Results      parallel = run<dim>(MPI_COMM_WORLD, "test-mpi-parallel");
    CHECK(Utilities::MPI::n_mpi_processes(MPI_COMM_WORLD) == 2);
    CHECK(parallel.max_principal == Approx(serial.max_principal).epsilon(1e-8));
    CHECK(parallel.max_von_mises == Approx(serial.max_von_mises).epsilon(1e-8));
    CHECK(parallel.min_hydrostatic == Approx(serial.min_hydrostatic).epsilon(1e-8));
    for (const auto &[id, current] : serial.currents)
      CHECK(parallel.currents.at(id) == Approx(current).epsilon(1e-8));
    for (unsigned int p = 0; p < serial.probe_potential.size(); ++p)
      {
        CHECK(parallel.probe_potential[p][0] == Approx(serial.probe_potential[p][0]).epsilon(1e-8));
        for (unsigned int d = 0; d < dim; ++d)
          CHECK(parallel.probe_displacement[p][d] == Approx(serial.probe_displacement[p][d])
                                                       .epsilon(1e-8)
                                                       .margin(1e-8 * std::abs(serial.probe_displacement[p][dim - 1])));
      }
  }
} // namespace

namespace
{
  /// A galvanostatic Li | electrolyte | Li cell on @p communicator with @p closure: electrode
  /// potential, currents and probe values after 10 BDF2 steps.
  std::vector<double> run_transport(MPI_Comm communicator, const Transport<2>::Closure closure)
  {
    Transport<2>::Parameters p;
    p.closure      = closure;
    const double L = 1e-4, H = 2e-5;
    p.total_current[0]       = std::make_shared<Functions::ConstantFunction<2>>(-10.0 * H);
    p.electrode_potential[1] = std::make_shared<Functions::ZeroFunction<2>>();
    p.kinetics               = std::make_shared<ButlerVolmer>();
    p.newton_tolerance       = 1e-13;
    parallel::distributed::Triangulation<2> tria(communicator);
    GridGenerator::subdivided_hyper_rectangle(tria, {10, 2}, Point<2>(), Point<2>(L, H), true);
    tria.refine_global(2);
    for (const auto &cell : tria.active_cell_iterators()) // hanging nodes near the electrode
      if (cell->is_locally_owned() && cell->center()[0] < L / 10)
        cell->set_refine_flag();
    tria.execute_coarsening_and_refinement();
    Transport<2> transport(tria, p);
    transport.setup_dofs();
    for (unsigned int step = 0; step < 10; ++step)
      transport.advance(2.0, 2);
    const Probes<2> probes({Point<2>(0, H / 2), Point<2>(L / 3, H / 3)});
    const auto      values = probes.evaluate(transport.get_mapping(), transport.dof_handler(), transport.solution());
    return {transport.electrode_potential(0),
            transport.electrode_current(1),
            transport.total_cations(),
            values[0][0],
            values[0][1],
            values[1][0],
            values[1][1]};
  }
} // namespace

TEST_CASE("2 ranks reproduce 1 rank for transport", "[mpi]")
{
  for (const auto closure : {Transport<2>::Closure::electroneutral, Transport<2>::Closure::poisson})
    {
      const auto serial   = run_transport(MPI_COMM_SELF, closure);
      const auto parallel = run_transport(MPI_COMM_WORLD, closure);
      for (unsigned int i = 0; i < serial.size(); ++i)
        CHECK(parallel[i] == Approx(serial[i]).epsilon(1e-8));
    }
}

TEST_CASE("2 ranks reproduce 1 rank in 2D", "[mpi]")
{
  check_rank_independence<2>();
}

TEST_CASE("2 ranks reproduce 1 rank in 3D", "[mpi]")
{
  check_rank_independence<3>();
}
