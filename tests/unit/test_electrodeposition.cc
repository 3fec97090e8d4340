// Phase-field electrodeposition (Electrodeposition, GradientEnergy): the
// anisotropic gradient energy's derivatives, Faraday's law and the velocity
// of a planar front.
#include <dendra/base/parameters.h>
#include <dendra/coupling/simulator.h>
#include <dendra/fields/damage.h>
#include <dendra/fields/elasticity.h>
#include <dendra/fields/electrodeposition.h>
#include <dendra/fields/electrostatics.h>
#include <dendra/kinetics/electrode_kinetics.h>

#include <deal.II/base/mpi.h>
#include <deal.II/grid/grid_generator.h>

#include <catch2/catch.hpp>

#include "test_helpers.h"

#include <cmath>
#include <iostream>
#include <tuple>

using namespace dealii;
using namespace dendra;

namespace
{
  /// Central-difference derivative of GradientEnergy::flux at @p p.
  template <int dim>
  Tensor<2, dim> numerical_flux_derivative(const GradientEnergy<dim> &energy, const Tensor<1, dim> &p)
  {
    Tensor<2, dim> d;
    const double   h = 1e-6 * p.norm();
    for (unsigned int k = 0; k < dim; ++k)
      {
        Tensor<1, dim> plus = p, minus = p;
        plus[k] += h;
        minus[k] -= h;
        const auto column = (energy.flux(plus) - energy.flux(minus)) / (2 * h);
        for (unsigned int i = 0; i < dim; ++i)
          d[i][k] = column[i];
      }
    return d;
  }

  /// A 2D strip [0, W] x [0, H], Li below y = y0 (a tanh profile of the
  /// model's interface thickness), electrolyte above; boundary 2 (y = 0) is
  /// the current collector, boundary 3 (y = H) the electrolyte reservoir.
  struct PlanarCell
  {
    static constexpr double W = 2e-6, H = 20e-6, y0 = 5e-6; // m

    Electrodeposition<2>::Parameters parameters;
    PlanarCell()
    {
      const double delta       = parameters.interface_thickness;
      parameters.initial_phase = testing::make_function<2>(
        {[delta](const Point<2> &x) { return 0.5 * (1 - std::tanh(3 * (x[1] - y0) / delta)); }});
      parameters.reservoir = {3};
    }
    void make_mesh(parallel::distributed::Triangulation<2> &tria) const
    {
      GridGenerator::subdivided_hyper_rectangle(tria, {4, 40}, Point<2>(), Point<2>(W, H), true);
    }
  };
} // namespace

TEST_CASE("The anisotropic gradient energy has consistent derivatives", "[electrodeposition]")
{
  // 2D, a general mode and angle: the analytic derivative of the flux matches
  // central differences.
  const GradientEnergy<2> energy_2d(1.25e-6, 0.3, 6, 0.2);
  for (const double angle : {0.1, 0.9, 2.0, -2.5})
    {
      const Tensor<1, 2> p({1e6 * std::cos(angle), 1e6 * std::sin(angle)});
      const auto         exact = energy_2d.flux_derivative(p), numerical = numerical_flux_derivative(energy_2d, p);
      CHECK((exact - numerical).norm() < 1e-6 * exact.norm());
    }
  // Along a preferred direction (theta = theta0) the flux is (1 + delta) kappa0 p.
  const Tensor<1, 2> along({std::cos(0.2), std::sin(0.2)});
  CHECK((energy_2d.flux(along) - 1.3 * 1.25e-6 * along).norm() < 1e-12 * 1.25e-6);

  // 3D cubic: consistent derivative, and in the xy plane equal to the 2D
  // energy with mode 4 and angle 0.
  const GradientEnergy<3> energy_3d(1.25e-6, 0.05, 4, 0);
  const GradientEnergy<2> planar(1.25e-6, 0.05, 4, 0);
  for (const double angle : {0.3, 1.1, 2.4})
    {
      const Tensor<1, 3> p({std::cos(angle), std::sin(angle) * 0.6, std::sin(angle) * 0.8});
      const auto         exact = energy_3d.flux_derivative(p), numerical = numerical_flux_derivative(energy_3d, p);
      CHECK((exact - numerical).norm() < 1e-6 * exact.norm());
      const Tensor<1, 3> in_plane({std::cos(angle), std::sin(angle), 0});
      const Tensor<1, 2> p2({std::cos(angle), std::sin(angle)});
      const auto         q3 = energy_3d.flux(in_plane);
      const auto         q2 = planar.flux(p2);
      CHECK(std::abs(q3[0] - q2[0]) + std::abs(q3[1] - q2[1]) + std::abs(q3[2]) < 1e-12 * q2.norm());
    }
}

TEST_CASE("Galvanostatic plating obeys Faraday's law and moves a planar front at i Omega / F", "[electrodeposition]")
{
  // Current density i enters at the reservoir; the collector is insulating,
  // so the metal's potential floats to whatever the kinetics need.
  PlanarCell   cell;
  const double i                     = 1000; // A/m^2
  cell.parameters.current_density[3] = testing::make_function<2>({[i](const Point<2> &) { return i; }});
  parallel::distributed::Triangulation<2> tria(MPI_COMM_WORLD);
  cell.make_mesh(tria);
  Electrodeposition<2> deposition(tria, cell.parameters);
  deposition.setup_dofs();

  const double omega = cell.parameters.molar_volume, F = constants::faraday;
  const double v              = i * omega / F; // m/s
  const double initial_volume = deposition.li_volume();
  double       t = 0, front_start = 0, t_start = 0;
  const double dt = 0.5;
  for (unsigned int step = 1; step <= 60; ++step)
    {
      deposition.advance(dt, 2);
      t += dt;
      if (step == 20) // the profile has settled into a travelling wave
        {
          front_start = deposition.tip_position(1);
          t_start     = t;
        }
    }
  const double deposited = deposition.li_volume() - initial_volume;
  const double faraday   = omega * i * PlanarCell::W * t / F;
  const double velocity  = (deposition.tip_position(1) - front_start) / (t - t_start);
  const double current   = deposition.boundary_current(3); // collective: before the rank-0 output
  if (Utilities::MPI::this_mpi_process(MPI_COMM_WORLD) == 0)
    std::cout << "deposition: Li area " << deposited << " m^2 vs Faraday " << faraday << " (error "
              << deposited / faraday - 1 << "); front velocity " << velocity << " m/s vs i Omega / F " << v
              << " (error " << velocity / v - 1 << "); current through the reservoir " << current << " A/m vs "
              << i * PlanarCell::W << std::endl;
  CHECK(std::abs(deposited / faraday - 1) < 5e-3);
  CHECK(std::abs(velocity / v - 1) < 2e-2);
  CHECK(current == Approx(i * PlanarCell::W).epsilon(1e-6));
}

TEST_CASE("Potentiostatic plating deposits Omega / (n F) per coulomb through the boundaries", "[electrodeposition]")
{
  // The collector is held at -0.45 V (as in Chen et al.), the reservoir at 0 V: the currents
  // through both boundaries (from the weak form) together feed the deposit.
  PlanarCell cell;
  cell.parameters.electrode_potential[2] = testing::make_function<2>({[](const Point<2> &) { return -0.45; }});
  parallel::distributed::Triangulation<2> tria(MPI_COMM_WORLD);
  cell.make_mesh(tria);
  Electrodeposition<2> deposition(tria, cell.parameters);
  deposition.setup_dofs();
  const double initial_volume = deposition.li_volume();
  double       charge         = 0; // C/m
  const double dt             = 0.005;
  for (unsigned int step = 0; step < 40; ++step)
    {
      deposition.advance(dt, 1);
      charge += dt * (deposition.boundary_current(2) + deposition.boundary_current(3));
    }
  const double deposited = deposition.li_volume() - initial_volume;
  const double faraday   = cell.parameters.molar_volume * charge / constants::faraday;
  const double reservoir = deposition.boundary_current(3), collector = deposition.boundary_current(2);
  if (Utilities::MPI::this_mpi_process(MPI_COMM_WORLD) == 0)
    std::cout << "potentiostatic deposition: Li area " << deposited << " m^2 vs Faraday " << faraday << " (error "
              << deposited / faraday - 1 << "), reservoir current " << reservoir << " A/m, collector current "
              << collector << " A/m" << std::endl;
  CHECK(deposited > 0.5e-6 * PlanarCell::W); // the front moved by more than 0.5 um
  CHECK(std::abs(deposited / faraday - 1) < 5e-3);
}

TEST_CASE("Adaptive and uniform meshes grow the same deposit", "[electrodeposition]")
{
  // The regression case deposition_2d (a nucleus on a Li film, -0.45 V) on a
  // uniform mesh of 0.5 um cells and on an adaptive one: 2 um cells, refined
  // to 0.5 um in the diffuse interface and two rings around it, re-adapted
  // every second step.
  const auto run = [](const bool adaptive) {
    ParameterHandler prm;
    Simulator<2>::declare_parameters(prm);
    read_parameter_file(prm, DENDRA_SOURCE_DIR "/tests/regression/deposition_2d.prm");
    read_parameter_string(prm, std::string("set Output directory = deposition-") + (adaptive ? "adaptive" : "uniform") +
                                 "\n");
    if (adaptive)
      read_parameter_string(prm, "subsection Mesh refinement\nset Initial global refinement = 0\n"
                                 "set Adaptation interval = 2\nset Minimum level = 0\nset Maximum level = 2\nend\n");
    Simulator<2> simulator(MPI_COMM_WORLD, prm);
    simulator.run();
    return std::make_tuple(simulator.field<Electrodeposition<2>>()->tip_position(1), simulator.field<Electrodeposition<2>>()->li_volume(),
                           simulator.triangulation().n_global_active_cells());
  };
  const auto [tip_uniform, volume_uniform, cells_uniform]    = run(false);
  const auto [tip_adaptive, volume_adaptive, cells_adaptive] = run(true);
  if (Utilities::MPI::this_mpi_process(MPI_COMM_WORLD) == 0)
    std::cout << "deposition AMR: tip " << tip_adaptive << " m on " << cells_adaptive << " cells vs " << tip_uniform
              << " m on " << cells_uniform << " cells; Li area " << volume_adaptive << " vs " << volume_uniform
              << " m^2" << std::endl;
  CHECK(std::abs(tip_adaptive / tip_uniform - 1) < 0.02);
  CHECK(std::abs(volume_adaptive / volume_uniform - 1) < 0.005);
  CHECK(cells_adaptive < cells_uniform / 2);
}

TEST_CASE("Iterative and direct Newton updates grow the same deposit", "[electrodeposition]")
{
  // The regression case deposition_2d on an adaptive mesh (hanging nodes:
  // the case where ML stalled), 10 fixed steps: GMRES with block AMG (and
  // its rare direct fallbacks) gives the deposit of the sparse direct solves.
  const auto run = [](const bool iterative) {
    ParameterHandler prm;
    Simulator<2>::declare_parameters(prm);
    read_parameter_file(prm, DENDRA_SOURCE_DIR "/tests/regression/deposition_2d.prm");
    read_parameter_string(prm, std::string("set Output directory = deposition-") +
                                 (iterative ? "iterative" : "direct") +
                                 "\nsubsection Mesh refinement\nset Initial global refinement = 0\n"
                                 "set Adaptation interval = 2\nset Maximum level = 2\nend\n"
                                 "subsection Electrodeposition\nset Linear solver type = " +
                                 (iterative ? "iterative" : "direct") + "\nend\n");
    Simulator<2> simulator(MPI_COMM_WORLD, prm);
    simulator.run();
    const auto  &s      = simulator.statistics();
    unsigned int newton = 0, linear = 0;
    for (std::size_t row = 0; row < s.n_rows(); ++row)
      {
        newton += static_cast<unsigned int>(s.value(row, "newton_iterations"));
        linear += iterative ? static_cast<unsigned int>(s.value(row, "linear_iterations")) : 0;
      }
    return std::make_tuple(simulator.field<Electrodeposition<2>>()->tip_position(1), simulator.field<Electrodeposition<2>>()->li_volume(), newton, linear,
                           simulator.field<Electrodeposition<2>>()->n_direct_fallbacks());
  };
  const auto [tip_direct, volume_direct, newton_direct, unused, none]              = run(false);
  const auto [tip_iterative, volume_iterative, newton_iterative, gmres, fallbacks] = run(true);
  if (Utilities::MPI::this_mpi_process(MPI_COMM_WORLD) == 0)
    std::cout << "deposition solvers: tip " << tip_iterative << " vs " << tip_direct << " m, Li area "
              << volume_iterative << " vs " << volume_direct << " m^2; Newton " << newton_iterative << " vs "
              << newton_direct << ", GMRES per Newton step " << double(gmres) / newton_iterative
              << ", direct fallbacks " << fallbacks << std::endl;
  CHECK(tip_iterative == Approx(tip_direct).epsilon(1e-6));
  CHECK(volume_iterative == Approx(volume_direct).epsilon(1e-6));
  CHECK(newton_iterative <= 2 * newton_direct);
  CHECK(gmres <= 20 * newton_iterative);
  CHECK(fallbacks <= newton_iterative / 4); // GMRES does the work
  CHECK(none == 0);
}

TEST_CASE("Interface noise roughens a planar front, keeps Faraday's law and repeats with its seed",
          "[electrodeposition]")
{
  // The potentiostatic planar cell, 8 um wide (16 noise cells of 0.5 um),
  // with and without noise: the noise moves the front unevenly but only
  // through dxi/dt, so the Li+ it consumes still balances the current.
  const auto run = [](const double amplitude, const unsigned int seed) {
    PlanarCell cell;
    cell.parameters.electrode_potential[2] = testing::make_function<2>({[](const Point<2> &) { return -0.45; }});
    cell.parameters.noise_amplitude        = amplitude;
    cell.parameters.noise_seed             = seed;
    parallel::distributed::Triangulation<2> tria(MPI_COMM_WORLD);
    GridGenerator::subdivided_hyper_rectangle(tria, {32, 80}, Point<2>(), Point<2>(8e-6, PlanarCell::H), true);
    Electrodeposition<2> deposition(tria, cell.parameters);
    deposition.setup_dofs();
    const double initial_volume = deposition.li_volume();
    double       charge         = 0; // C/m
    const double dt             = 0.005;
    for (unsigned int step = 0; step < 40; ++step)
      {
        deposition.advance(dt, 1);
        charge += dt * (deposition.boundary_current(2) + deposition.boundary_current(3));
      }
    const auto [low, high] = deposition.front_range(1);
    const double faraday   = cell.parameters.molar_volume * charge / constants::faraday;
    return std::make_tuple(high - low, (deposition.li_volume() - initial_volume) / faraday - 1,
                           std::make_pair(low, high));
  };
  const auto [flat_spread, flat_error, flat_front]    = run(0, 1);
  const auto [rough_spread, rough_error, rough_front] = run(5, 1);
  const auto [again_spread, again_error, again_front] = run(5, 1);
  const auto [other_spread, other_error, other_front] = run(5, 2);
  if (Utilities::MPI::this_mpi_process(MPI_COMM_WORLD) == 0)
    std::cout << "interface noise: front from " << rough_front.first << " to " << rough_front.second << " m, spread "
              << rough_spread << " m (seed 2: " << other_front.first << " to " << other_front.second
              << " m, none: spread " << flat_spread << " m), Faraday error " << rough_error << " (none: " << flat_error
              << ")" << std::endl;
  CHECK(flat_spread < 1e-9);
  CHECK(rough_spread > 0.1e-6);
  CHECK(std::abs(rough_error) < 5e-3);
  // The noise is a function of the position and the seed only: the same
  // seed repeats the run (to the round-off of parallel direct solves), another
  // seed moves the lowest and the highest front point by far more.
  CHECK(again_front.first == Approx(rough_front.first).epsilon(1e-9));
  CHECK(again_front.second == Approx(rough_front.second).epsilon(1e-9));
  CHECK(std::abs(other_front.first - rough_front.first) + std::abs(other_front.second - rough_front.second) > 10e-9);
}

TEST_CASE("Geometry Li starts in the equilibrium profile across its surface and keeps its volume",
          "[electrodeposition]")
{
  // A 2 x 20 um strip of 0.25 um cells: a Cu host below y = 1 um, Li metal
  // cells up to y = 5 um, electrolyte above; Initial phase = geometry.
  parallel::distributed::Triangulation<2> tria(MPI_COMM_WORLD);
  GridGenerator::subdivided_hyper_rectangle(tria, {8, 80}, Point<2>(), Point<2>(2e-6, 20e-6), true);
  const auto material = [](const Point<2> &x) { return x[1] < 1e-6 ? 2 : x[1] < 5e-6 ? 1 : 5; };
  for (const auto &cell : tria.active_cell_iterators())
    cell->set_material_id(material(cell->center()));
  Electrodeposition<2>::Parameters parameters;
  parameters.interface_thickness         = 1e-6;
  parameters.initial_phase_from_geometry = true;
  parameters.geometry_li_material        = 1;
  parameters.initial_phase = testing::make_function<2>({[&](const Point<2> &x) { return material(x) == 1 ? 1. : 0.; }});
  parameters.hosts[2]      = {5.96e7, 1, 0};
  parameters.reservoir     = {3};
  Electrodeposition<2> deposition(tria, parameters);
  deposition.setup_dofs();
  const auto xi0 = deposition.initial_phase();
  // At the vertices of the flat surface the profile is exact: 1/2 [1 - tanh(2 (y - 5 um) / delta)].
  for (const double s : {-1e-6, -0.5e-6, -0.25e-6, 0.0, 0.25e-6, 0.75e-6})
    CHECK(xi0->value(Point<2>(1e-6, 5e-6 + s)) == Approx(0.5 * (1 - std::tanh(2 * s / 1e-6))).margin(1e-12));
  // The Li against the host is no surface: the metal continues into it.
  CHECK(xi0->value(Point<2>(1e-6, 1e-6)) > 1 - 1e-6);
  // The profile is odd about its centre: the Li keeps the 2 x 4 um of its cells.
  const double volume = deposition.li_volume();
  if (Utilities::MPI::this_mpi_process(MPI_COMM_WORLD) == 0)
    std::cout << "geometry Li profile: Li area " << volume << " m^2 vs 8e-12 of its cells" << std::endl;
  CHECK(volume == Approx(8e-12).epsilon(1e-4));
}

TEST_CASE("A single-ion conductor carries the current ohmically and plates by Butler-Volmer and Faraday's law",
          "[electrodeposition]")
{
  // Li | LLZO-like solid electrolyte (0.05 S/m, Li+ transport single-ion),
  // galvanostatic plating at 100 A/m^2, electrolyte 15 and 25 um thick, 6
  // cells across the interface. Unit Li+ activity makes the reaction a
  // Butler-Volmer law in the metal's potential: the travelling front's
  // solvability condition v int xi'^2 dx = L_eta (e^{(1-alpha) f eta} -
  // e^{-alpha f eta}) with the equilibrium profile (int xi'^2 dx = 2 / (3
  // delta)) gives i0 = 1.5 n F c_s L_eta delta (30.2 A/m^2), so the metal sits
  // at -eta(i) = -2 R T / F asinh(i / (2 i0)) = -65.3 mV in both cells; the
  // cell voltages differ by the ohmic drop i (H2 - H1) / sigma = 20 mV.
  const double i = 100, sigma = 0.05; // A/m^2, S/m
  const auto   run = [&](const double height) {
    PlanarCell cell;
    cell.parameters.li_transport             = Electrodeposition<2>::LiTransport::single_ion;
    cell.parameters.electrolyte_conductivity = sigma;
    cell.parameters.current_density[3]       = testing::make_function<2>({[i](const Point<2> &) { return i; }});
    parallel::distributed::Triangulation<2> tria(MPI_COMM_WORLD);
    const auto                              rows = static_cast<unsigned int>(std::lround(height / 0.25e-6));
    GridGenerator::subdivided_hyper_rectangle(tria, {8, rows}, Point<2>(), Point<2>(PlanarCell::W, height), true);
    Electrodeposition<2> deposition(tria, cell.parameters);
    deposition.setup_dofs();
    const double initial_volume = deposition.li_volume();
    const double dt = 0.5, steps = 10;
    for (unsigned int step = 0; step < steps; ++step)
      deposition.advance(dt, 2);
    const double faraday = cell.parameters.molar_volume * i * PlanarCell::W * dt * steps / constants::faraday;
    return std::make_tuple(deposition.boundary_potential(2), deposition.boundary_potential(3),
                             (deposition.li_volume() - initial_volume) / faraday - 1);
  };
  const auto [thin_metal, thin_reservoir, thin_error]    = run(20e-6);
  const auto [thick_metal, thick_reservoir, thick_error] = run(30e-6);
  const Electrodeposition<2>::Parameters defaults;
  const double                           i0 =
    1.5 * constants::faraday / defaults.molar_volume * defaults.reaction_constant * defaults.interface_thickness;
  const double eta   = 2 * constants::gas * defaults.temperature / constants::faraday * std::asinh(i / (2 * i0));
  const double ohmic = (thick_reservoir - thick_metal) - (thin_reservoir - thin_metal);
  if (Utilities::MPI::this_mpi_process(MPI_COMM_WORLD) == 0)
    std::cout << "single-ion electrolyte: metal at " << thin_metal << " V, " << thick_metal
              << " V vs -eta(i) = " << -eta << " V (i0 " << i0 << " A/m^2); extra 10 um cost " << ohmic
              << " V vs i dH / sigma " << i * 10e-6 / sigma << " V; Faraday error " << thin_error << ", " << thick_error
              << std::endl;
  CHECK(thin_metal == Approx(-eta).epsilon(0.03));
  CHECK(thick_metal == Approx(thin_metal).epsilon(1e-3));
  CHECK(ohmic == Approx(i * 10e-6 / sigma).epsilon(0.01));
  CHECK(std::abs(thin_error) < 5e-3);
  CHECK(std::abs(thick_error) < 5e-3);
}
