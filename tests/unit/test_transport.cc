// Transport (electroneutral binary electrolyte): Sand's time under a constant
// plating current in a long cell, and conservation of cations.
#include <dendra/coupling/time_stepping.h>
#include <dendra/fields/transport.h>
#include <dendra/postprocess/probes.h>

#include <deal.II/base/mpi.h>
#include <deal.II/grid/grid_generator.h>

#include <catch2/catch.hpp>

#include "test_helpers.h"

#include <cmath>
#include <iostream>

using namespace dealii;
using namespace dendra;

namespace
{
  /// A long 2D strip [0, L] x [0, H], refined towards the electrode at x = 0
  /// (boundary 0); the reservoir is at x = L (boundary 1).
  void make_strip(parallel::distributed::Triangulation<2> &tria, const double L, const double H,
                  const unsigned int levels)
  {
    GridGenerator::subdivided_hyper_rectangle(tria, {static_cast<unsigned int>(std::round(L / H)), 1}, Point<2>(),
                                              Point<2>(L, H), true);
    for (unsigned int level = 0; level < levels; ++level)
      {
        for (const auto &cell : tria.active_cell_iterators())
          if (cell->is_locally_owned() && cell->center()[0] < 4 * H / std::pow(2.0, level))
            cell->set_refine_flag();
        tria.execute_coarsening_and_refinement();
      }
  }
} // namespace

TEST_CASE("The electrode surface concentration reaches zero at Sand's time", "[transport]")
{
  Transport<2>::Parameters p;
  p.cation_diffusivity = 1e-10;
  p.anion_diffusivity  = 3e-10;
  p.reservoir          = {1};
  const double J       = 10.0; // A/m^2, plating
  p.current_density[0] = testing::make_function<2>({[J](const Point<2> &) { return -J; }});

  const double D = p.ambipolar_diffusivity(), t_a = 1 - p.cation_transference(), c0 = p.bulk_concentration;
  const double t_sand = numbers::PI * D * std::pow(c0 * constants::faraday, 2) / (4 * std::pow(J * t_a, 2));
  const double length = 10 * std::sqrt(D * t_sand); // "semi-infinite"

  parallel::distributed::Triangulation<2> tria(MPI_COMM_WORLD);
  make_strip(tria, length, length / 100, 6);
  Transport<2> transport(tria, p);
  transport.setup_dofs();

  // Geometric steps (c(0, t) ~ sqrt(t) early on), BDF2; stop near depletion.
  double t = 0, dt = t_sand * 1e-5, c_surface = c0, t_previous = 0, c_previous = c0, error_half = -1;
  while (c_surface > 0.03 * c0)
    {
      dt = std::min(dt * 1.15, t_sand / 400);
      transport.advance(dt, 2);
      t_previous = t;
      c_previous = c_surface;
      t += dt;
      c_surface          = transport.min_boundary_concentration(0);
      const double exact = c0 - 2 * J * t_a / constants::faraday * std::sqrt(t / (numbers::PI * D));
      if (error_half < 0 && t >= 0.5 * t_sand)
        error_half = std::abs(c_surface - exact) / c0;
    }
  // c(0, t) is linear in sqrt(t): extrapolate the last two states to c = 0.
  const double s1 = std::sqrt(t_previous), s2 = std::sqrt(t);
  const double s0     = s2 - c_surface * (s2 - s1) / (c_surface - c_previous);
  const double t_zero = s0 * s0;
  if (Utilities::MPI::this_mpi_process(MPI_COMM_WORLD) == 0)
    std::cout << "Sand's time: numerical " << t_zero << " s, closed form " << t_sand << " s, relative error "
              << std::abs(t_zero - t_sand) / t_sand << "; c(0, t_s/2) error " << error_half << " of c0" << std::endl;
  CHECK(std::abs(t_zero - t_sand) / t_sand < 0.01);
  CHECK(error_half < 0.005);
}

TEST_CASE("A closed Li | electrolyte | Li cell conserves cations and balances its electrode currents", "[transport]")
{
  // Plating at x = 0 with a prescribed current density; the counter electrode
  // at x = L (Butler-Volmer at phi_s = 0) must strip exactly as much.
  Transport<2>::Parameters p;
  const double             J = 20.0; // A/m^2
  p.current_density[0]       = testing::make_function<2>({[J](const Point<2> &) { return -J; }});
  p.electrode_potential[1]   = testing::make_function<2>({[](const Point<2> &) { return 0.0; }});
  p.kinetics                 = std::make_shared<ButlerVolmer>();
  const double L             = 1e-4; // m

  parallel::distributed::Triangulation<2> tria(MPI_COMM_WORLD);
  make_strip(tria, L, L / 10, 2);
  Transport<2> transport(tria, p);
  transport.setup_dofs();
  const double initial = transport.total_cations();
  for (unsigned int step = 0; step < 20; ++step)
    transport.advance(5.0, 2);
  const double width = L / 10; // electrode length in 2D (m)
  CHECK(std::abs(transport.total_cations() - initial) / initial < 1e-10);
  CHECK(transport.electrode_current(1) == Approx(J * width).epsilon(1e-8));
  CHECK(transport.electrode_current(0) == Approx(-J * width).epsilon(1e-12));
  // Salt piles up at the stripping electrode and is depleted at the plating one.
  CHECK(transport.min_boundary_concentration(0) < p.bulk_concentration);
}

TEST_CASE("The steady Li | electrolyte | Li cell has the closed-form profiles and limiting current", "[transport]")
{
  // z:z electrolyte, plating current density J = J_lim / 2 at x = 0, Butler-
  // Volmer counter electrode at x = L. Steady state: c linear with mean c0,
  // c(0) = c0 (1 - J / J_lim), J_lim = 2 z c0 F D / (t_a L), and zero anion
  // flux: phi(x) - phi(y) = RT/(zF) ln(c(x) / c(y)).
  Transport<2>::Parameters p;
  const double             L = 1e-4, c0 = p.bulk_concentration;
  const double             D = p.ambipolar_diffusivity(), t_a = 1 - p.cation_transference();
  const double             J_lim = 2 * c0 * constants::faraday * D / (t_a * L);
  const double             J     = 0.5 * J_lim;
  p.current_density[0]           = testing::make_function<2>({[J](const Point<2> &) { return -J; }});
  p.electrode_potential[1]       = testing::make_function<2>({[](const Point<2> &) { return 0.0; }});
  p.kinetics                     = std::make_shared<ButlerVolmer>();

  parallel::distributed::Triangulation<2> tria(MPI_COMM_WORLD);
  make_strip(tria, L, L / 10, 1);
  tria.refine_global(2);
  Transport<2> transport(tria, p);
  transport.setup_dofs();
  const double relaxation = L * L / D; // s
  double       dt = relaxation * 1e-3, t = 0;
  while (t < 30 * relaxation)
    {
      transport.advance(dt, 1); // BDF1: robust for large steps to steady state
      t += dt;
      dt = std::min(1.3 * dt, relaxation);
    }

  const double    H = L / 10, thermal = constants::gas * p.temperature / constants::faraday;
  const Probes<2> probes({Point<2>(0, H / 2), Point<2>(L / 4, H / 2), Point<2>(L, H / 2)});
  const auto      values = probes.evaluate(transport.get_mapping(), transport.dof_handler(), transport.solution());
  const double    c_0 = c0 * values[0][0], c_quarter = c0 * values[1][0], c_L = c0 * values[2][0];
  const double    J_lim_numerical = J / (1 - c_0 / c0);
  if (Utilities::MPI::this_mpi_process(MPI_COMM_WORLD) == 0)
    std::cout << "limiting current: numerical " << J_lim_numerical << " A/m^2, closed form " << J_lim
              << ", relative error " << std::abs(J_lim_numerical - J_lim) / J_lim << std::endl;
  CHECK(J_lim_numerical == Approx(J_lim).epsilon(0.01));
  CHECK(c_0 == Approx(0.5 * c0).epsilon(0.005));
  CHECK(c_quarter == Approx(0.75 * c0).epsilon(0.005));
  CHECK(c_L == Approx(1.5 * c0).epsilon(0.005));
  const double potential_drop = thermal * (values[2][1] - values[0][1]);
  CHECK(potential_drop == Approx(thermal * std::log(c_L / c_0)).epsilon(0.005));
}
