// Transport (electroneutral binary electrolyte): Sand's time under a constant
// plating current in a long cell, and conservation of cations.
#include <dendra/base/time_stepping.h>
#include <dendra/fields/transport.h>
#include <dendra/postprocess/probes.h>

#include <deal.II/base/mpi.h>
#include <deal.II/base/quadrature_lib.h>
#include <deal.II/grid/grid_generator.h>
#include <deal.II/numerics/vector_tools.h>

#include <catch2/catch.hpp>

#include "test_helpers.h"

#include <cmath>
#include <iomanip>
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
  // Component 1 is the scaled reference potential w = ln u + psi (z = 1).
  const double potential_drop =
    thermal * ((values[2][1] - std::log(values[2][0])) - (values[0][1] - std::log(values[0][0])));
  CHECK(potential_drop == Approx(thermal * std::log(c_L / c_0)).epsilon(0.005));
}

namespace
{
  /// A manufactured state in scaled units u = c/c0, psi = F phi/(RT), with the
  /// derivatives the sources need.
  struct Manufactured
  {
    std::function<double(const Point<2> &, double)>       u, u_t, laplacian_u, psi, laplacian_psi;
    std::function<Tensor<1, 2>(const Point<2> &, double)> grad_u, grad_psi;
  };

  /// Solves on the unit square with D+ = 1, D- = 2 m^2/s, Dirichlet data and
  /// sources from @p m, from t = 0 to @p end_time; returns the L2 and H1
  /// errors of (u, w) at the end.
  std::pair<double, double> run_manufactured(const Manufactured &m, const unsigned int degree,
                                             const unsigned int refinements, const double dt, const unsigned int order,
                                             const double end_time, double *error_estimate = nullptr)
  {
    Transport<2>::Parameters p;
    p.degree             = degree;
    p.cation_diffusivity = 1;
    p.anion_diffusivity  = 2;
    p.bulk_concentration = 1;
    const double c0 = 1, thermal = constants::gas * p.temperature / constants::faraday;
    const double zp = p.cation_valence, zm = p.anion_valence, dp = 1, dm = 2;
    const auto   source = [&](const double z, const double d, const Point<2> &x, const double t) {
      const double div =
        m.laplacian_u(x, t) + z * (m.grad_u(x, t) * m.grad_psi(x, t) + m.u(x, t) * m.laplacian_psi(x, t));
      return c0 * d * (m.u_t(x, t) / d - div);
    };
    /// Components f(x, t) evaluated at the function's time.
    class TimeFunction : public Function<2>
    {
    public:
      TimeFunction(std::vector<std::function<double(const Point<2> &, double)>> parts)
        : Function<2>(parts.size())
        , parts(parts)
      {}
      double value(const Point<2> &x, const unsigned int c) const override { return parts[c](x, this->get_time()); }

    private:
      std::vector<std::function<double(const Point<2> &, double)>> parts;
    };
    p.dirichlet[0] = std::make_shared<TimeFunction>(std::vector<std::function<double(const Point<2> &, double)>>{
      [&m, c0](const Point<2> &x, double t) { return c0 * m.u(x, t); },
      [&m, thermal](const Point<2> &x, double t) { return thermal * m.psi(x, t); }});
    for (types::boundary_id b = 1; b < 4; ++b)
      p.dirichlet[b] = p.dirichlet[0];
    p.source = std::make_shared<TimeFunction>(std::vector<std::function<double(const Point<2> &, double)>>{
      [&](const Point<2> &x, double t) { return source(zp, dp, x, t); },
      [&](const Point<2> &x, double t) { return -(zp / zm) * source(zm, dm, x, t); }});

    parallel::distributed::Triangulation<2> tria(MPI_COMM_WORLD);
    GridGenerator::hyper_cube(tria, 0, 1, true);
    tria.refine_global(refinements);
    Transport<2> transport(tria, p);
    transport.setup_dofs();
    p.dirichlet[0]->set_time(0);
    transport.set_state(*p.dirichlet[0]);
    const unsigned int n_steps = static_cast<unsigned int>(std::round(end_time / dt));
    for (unsigned int step = 0; step < n_steps; ++step)
      transport.advance(dt, order);
    if (error_estimate)
      *error_estimate = transport.local_error_estimate().first;
    // Gradients for the H1 error.
    class WithGradient : public Function<2>
    {
    public:
      WithGradient(const Manufactured &m, const double t)
        : Function<2>(2)
        , m(m)
        , t(t)
      {}
      // The unknowns are u and the scaled reference potential w = ln u + z+ psi (z+ = 1).
      double value(const Point<2> &x, const unsigned int c) const override
      {
        return c == 0 ? m.u(x, t) : std::log(m.u(x, t)) + m.psi(x, t);
      }
      Tensor<1, 2> gradient(const Point<2> &x, const unsigned int c) const override
      {
        return c == 0 ? m.grad_u(x, t) : m.grad_u(x, t) / m.u(x, t) + m.grad_psi(x, t);
      }

    private:
      const Manufactured &m;
      double              t;
    };
    return transport.compute_errors(WithGradient(m, end_time));
  }
} // namespace

TEST_CASE("Transport converges at optimal rates in space", "[transport]")
{
  const double pi = numbers::PI;
  Manufactured m;
  m.u           = [pi](const Point<2> &x, double) { return 1 + 0.2 * std::sin(pi * x[0]) * std::sin(pi * x[1]); };
  m.u_t         = [](const Point<2> &, double) { return 0.0; };
  m.laplacian_u = [pi](const Point<2> &x, double) {
    return -2 * pi * pi * 0.2 * std::sin(pi * x[0]) * std::sin(pi * x[1]);
  };
  m.grad_u = [pi](const Point<2> &x, double) {
    return Tensor<1, 2>(
      {0.2 * pi * std::cos(pi * x[0]) * std::sin(pi * x[1]), 0.2 * pi * std::sin(pi * x[0]) * std::cos(pi * x[1])});
  };
  m.psi           = [pi](const Point<2> &x, double) { return 0.3 * std::cos(pi * x[0]) * std::sin(pi * x[1]); };
  m.laplacian_psi = [pi](const Point<2> &x, double) {
    return -2 * pi * pi * 0.3 * std::cos(pi * x[0]) * std::sin(pi * x[1]);
  };
  m.grad_psi = [pi](const Point<2> &x, double) {
    return Tensor<1, 2>(
      {-0.3 * pi * std::sin(pi * x[0]) * std::sin(pi * x[1]), 0.3 * pi * std::cos(pi * x[0]) * std::cos(pi * x[1])});
  };
  for (const unsigned int degree : {1u, 2u})
    {
      const unsigned int first = degree == 1 ? 4 : 3;
      // One huge implicit step from the interpolant: the discrete steady state.
      const auto   a       = run_manufactured(m, degree, first, 1e10, 1, 1e10);
      const auto   b       = run_manufactured(m, degree, first + 1, 1e10, 1, 1e10);
      const double l2_rate = std::log2(a.first / b.first), h1_rate = std::log2(a.second / b.second);
      if (Utilities::MPI::this_mpi_process(MPI_COMM_WORLD) == 0)
        std::cout << "transport Q" << degree << ": L2 " << b.first << " rate " << l2_rate << ", H1 " << b.second
                  << " rate " << h1_rate << std::endl;
      CHECK(std::abs(l2_rate - (degree + 1)) < 0.1);
      CHECK(std::abs(h1_rate - degree) < 0.1);
    }
}

namespace
{
  /// Quadratic in space (exact for Q2 in u; w = ln u + psi is not), exponential in time.
  Manufactured smooth_in_time()
  {
    Manufactured m;
    m.u           = [](const Point<2> &x, double t) { return 1 + 0.1 * x[0] * x[1] * std::exp(-t); };
    m.u_t         = [](const Point<2> &x, double t) { return -0.1 * x[0] * x[1] * std::exp(-t); };
    m.laplacian_u = [](const Point<2> &, double) { return 0.0; };
    m.grad_u      = [](const Point<2> &x, double t) {
      return Tensor<1, 2>({0.1 * x[1] * std::exp(-t), 0.1 * x[0] * std::exp(-t)});
    };
    m.psi           = [](const Point<2> &x, double t) { return 0.2 * x[0] * (1 + t); };
    m.laplacian_psi = [](const Point<2> &, double) { return 0.0; };
    m.grad_psi      = [](const Point<2> &, double t) { return Tensor<1, 2>({0.2 * (1 + t), 0.0}); };
    return m;
  }
} // namespace

TEST_CASE("Transport converges at orders 1 and 2 in time (BDF1, BDF2)", "[transport]")
{
  const Manufactured m = smooth_in_time();
  for (const unsigned int order : {1u, 2u})
    {
      const double e1       = run_manufactured(m, 2, 2, 0.1, order, 1).first;
      const double e2       = run_manufactured(m, 2, 2, 0.05, order, 1).first;
      const double observed = std::log2(e1 / e2);
      if (Utilities::MPI::this_mpi_process(MPI_COMM_WORLD) == 0)
        std::cout << "transport BDF" << order << ": error " << e2 << ", temporal order " << observed << std::endl;
      CHECK(std::abs(observed - order) < 0.1);
    }
}

TEST_CASE("The local error estimate of a time step scales like dt^(order + 1)", "[transport]")
{
  // The smooth manufactured solution of the previous test; the Milne-device
  // estimate of the last step (quadratic extrapolation for BDF2) must drop by
  // 2^(order + 1) when dt halves, and match the known size of the LTE.
  const Manufactured m = smooth_in_time();
  for (const unsigned int order : {1u, 2u})
    {
      double e1 = 0, e2 = 0;
      run_manufactured(m, 2, 2, 0.1, order, 0.5, &e1);
      run_manufactured(m, 2, 2, 0.05, order, 0.5, &e2);
      const double observed = std::log2(e1 / e2);
      // The largest second and third time derivatives of u at t = 0.5 (x y = 1): 0.1 exp(-0.5).
      const double derivative = 0.1 * std::exp(-0.5), dt = 0.05;
      const double expected = order == 1 ? dt * dt / 2 * derivative : 2.0 / 9.0 * dt * dt * dt * derivative;
      if (Utilities::MPI::this_mpi_process(MPI_COMM_WORLD) == 0)
        std::cout << "transport BDF" << order << ": error estimate " << e2 << " (LTE " << expected << "), order "
                  << observed << std::endl;
      CHECK(std::abs(observed - (order + 1)) < 0.2);
      CHECK(e2 == Approx(expected).epsilon(0.1));
    }
}

TEST_CASE("A galvanostatic electrode finds its potential: kinetics plus ohmic drop", "[transport]")
{
  // Total current I = -J H (plating) at x = 0 with the electrode potential as
  // unknown; Butler-Volmer counter electrode at phi_s = 0 at x = L. Right
  // after switching on (concentrations still c0): symmetric Butler-Volmer
  // overpotentials eta = +-(2RT/F) asinh(J / (2 i0)) and the ohmic drop J L /
  // kappa with kappa = F^2/(RT) c0 (D+ + D-), so V = 2 eta_w - J L / kappa.
  Transport<2>::Parameters p;
  const double             J = 10, L = 1e-4, H = L / 10;
  p.total_current[0]       = testing::make_function<2>({[J, H](const Point<2> &) { return -J * H; }});
  p.electrode_potential[1] = testing::make_function<2>({[](const Point<2> &) { return 0.0; }});
  p.kinetics               = std::make_shared<ButlerVolmer>();

  parallel::distributed::Triangulation<2> tria(MPI_COMM_WORLD);
  make_strip(tria, L, H, 1);
  tria.refine_global(1);
  Transport<2> transport(tria, p);
  transport.setup_dofs();
  const auto report = transport.advance(1e-4, 1);

  const double f        = p.kinetics->f();
  const double eta_w    = -2 / f * std::asinh(J / (2 * p.kinetics->i0_ref));
  const double kappa    = constants::faraday * f * p.bulk_concentration * (p.cation_diffusivity + p.anion_diffusivity);
  const double expected = 2 * eta_w - J * L / kappa;
  if (Utilities::MPI::this_mpi_process(MPI_COMM_WORLD) == 0)
    std::cout << "galvanostatic electrode potential " << transport.electrode_potential(0) << " V, closed form "
              << expected << " V, " << report.iterations << " Newton iterations" << std::endl;
  CHECK(transport.electrode_potential(0) == Approx(expected).epsilon(0.01));
  CHECK(transport.electrode_current(0) == Approx(-J * H).epsilon(1e-8));
  CHECK(transport.electrode_current(1) == Approx(J * H).epsilon(1e-6));
}

TEST_CASE("A stress at the working electrode shifts its galvanostatic potential by the mechanical overpotential",
          "[transport]")
{
  // The galvanostatic cell above with a stress sigma in the half next to the
  // working electrode (normal -x). The current, and so the overpotential and
  // the concentrations, stay; the electrode potential moves by -eta_mech:
  // hydrostatic eta_mech = -Omega sigma_h / F, Monroe-Newman (-Omega sigma_xx +
  // V sigma_h) / F. The stress-free counter electrode does not move.
  const double J = 10, L = 1e-4, H = L / 10, V = 3e-6;
  const auto   run = [&](const MechanicalOverpotential::Form form, const std::vector<double> &sigma) {
    Transport<2>::Parameters p;
    p.total_current[0]       = testing::make_function<2>({[J, H](const Point<2> &) { return -J * H; }});
    p.electrode_potential[1] = testing::make_function<2>({[](const Point<2> &) { return 0.0; }});
    p.kinetics               = std::make_shared<ButlerVolmer>();
    p.mechanical.form        = form;
    parallel::distributed::Triangulation<2> tria(MPI_COMM_WORLD);
    make_strip(tria, L, H, 1);
    for (const auto &cell : tria.active_cell_iterators())
      p.li_ion_volume[cell->material_id()] = V; // the electrolyte's V_Li+
    Transport<2> transport(tria, p);
    transport.setup_dofs();
    QuantityRegistry<2> registry;
    Quantity<2>         stress;
    stress.name           = quantity_names::stress;
    stress.unit           = "Pa";
    stress.provider       = "test";
    stress.n_components   = 6;
    stress.make_evaluator = [&](const Quadrature<2> &quadrature) {
      return CellEvaluator<2>([&, n = quadrature.size()](const Triangulation<2>::active_cell_iterator &cell,
                                                         std::vector<Vector<double>>                  &values) {
        Vector<double> at_cell(6);
        if (cell->center()[0] < L / 2)
          for (unsigned int c = 0; c < 6; ++c)
            at_cell[c] = sigma[c];
        values.assign(n, at_cell);
      });
    };
    registry.provide(stress);
    transport.read_quantities(registry);
    transport.advance(1e-4, 1);
    return std::make_pair(transport.electrode_potential(0), transport.electrode_current(1));
  };
  const double Omega = MechanicalOverpotential().molar_volume, F = constants::faraday;
  const auto   free = run(MechanicalOverpotential::Form::hydrostatic, std::vector<double>(6, 0.0));
  // sigma_xx, sigma_yy, sigma_zz, sigma_xy, sigma_xz, sigma_yz (Pa)
  const std::vector<double> sigma           = {-120e6, -60e6, -30e6, 20e6, 0, 0};
  const double              sigma_h         = (sigma[0] + sigma[1] + sigma[2]) / 3;
  const auto                hydrostatic     = run(MechanicalOverpotential::Form::hydrostatic, sigma);
  const auto                monroe          = run(MechanicalOverpotential::Form::monroe_newman, sigma);
  const double              eta_hydrostatic = -Omega * sigma_h / F;
  const double              eta_monroe      = (-Omega * sigma[0] + V * sigma_h) / F;
  if (Utilities::MPI::this_mpi_process(MPI_COMM_WORLD) == 0)
    std::cout << std::setprecision(12) << "stressed working electrode: potential shift "
              << hydrostatic.first - free.first << " V (hydrostatic, closed form " << -eta_hydrostatic << " V), "
              << monroe.first - free.first << " V (Monroe-Newman, closed form " << -eta_monroe << " V)" << std::endl;
  CHECK(hydrostatic.first - free.first == Approx(-eta_hydrostatic).epsilon(1e-8));
  CHECK(monroe.first - free.first == Approx(-eta_monroe).epsilon(1e-8));
  CHECK(hydrostatic.second == Approx(free.second).epsilon(1e-9));
}

TEST_CASE("A Li | polymer | LLZO | Li cell: salt polarisation in the polymer, ohmic drop in the garnet", "[transport]")
{
  // Plating current density J at x = 0 (polymer side), Butler-Volmer counter
  // electrode behind the single-ion conductor (t+ = 1) at x = L1 + L2. Anions
  // are blocked at the electrode and at the polymer | LLZO interface, so the
  // polymer polarises like a Li | electrolyte | Li cell of length L1:
  // c(0) = c0 (1 - J / J_lim), J_lim = 2 c0 F D / (t_a L1), reference
  // potential drop 2 RT/F ln(c(L1) / c(0)); the garnet adds J L2 / sigma.
  Transport<2>::Parameters p;
  const double             L1 = 5e-5, L2 = 5e-5, H = 1e-5, sigma = 0.05, c0 = p.bulk_concentration;
  const double             D = p.ambipolar_diffusivity(), t_a = 1 - p.cation_transference();
  const double             J_lim = 2 * c0 * constants::faraday * D / (t_a * L1), J = 0.5 * J_lim;
  const types::material_id llzo   = 3;
  p.single_ion_conductivity[llzo] = sigma;
  p.current_density[0]            = testing::make_function<2>({[J](const Point<2> &) { return -J; }});
  p.electrode_potential[1]        = testing::make_function<2>({[](const Point<2> &) { return 0.0; }});
  p.kinetics                      = std::make_shared<ButlerVolmer>();

  parallel::distributed::Triangulation<2> tria(MPI_COMM_WORLD);
  GridGenerator::subdivided_hyper_rectangle(tria, {10, 1}, Point<2>(), Point<2>(L1 + L2, H), true);
  for (const auto &cell : tria.active_cell_iterators())
    cell->set_material_id(cell->center()[0] > L1 ? llzo : 6);
  tria.refine_global(3);
  Transport<2> transport(tria, p);
  transport.setup_dofs();
  const double initial_salt = transport.total_cations();
  const double relaxation   = L1 * L1 / D; // s
  double       dt = relaxation * 1e-3, t = 0;
  while (t < 30 * relaxation)
    {
      transport.advance(dt, 1);
      t += dt;
      dt = std::min(1.3 * dt, relaxation);
    }

  const double    thermal = constants::gas * p.temperature / constants::faraday;
  const Probes<2> probes({Point<2>(0, H / 2), Point<2>(L1, H / 2), Point<2>(L1 + L2, H / 2)});
  const auto      values = probes.evaluate(transport.get_mapping(), transport.dof_handler(), transport.solution());
  const double    c_0 = c0 * values[0][0], c_interface = c0 * values[1][0];
  const double    polymer_drop = thermal * (values[1][1] - values[0][1]);
  const double    garnet_drop  = thermal * (values[2][1] - values[1][1]);
  if (Utilities::MPI::this_mpi_process(MPI_COMM_WORLD) == 0)
    std::cout << "polymer | LLZO: c(0) " << c_0 << ", c(L1) " << c_interface << " mol/m^3; reference potential drop "
              << polymer_drop << " V in the polymer, " << garnet_drop << " V in the garnet (closed form "
              << J * L2 / sigma << " V)" << std::endl;
  CHECK(c_0 == Approx(0.5 * c0).epsilon(0.005));
  CHECK(c_interface == Approx(1.5 * c0).epsilon(0.005));
  CHECK(polymer_drop == Approx(2 * thermal * std::log(c_interface / c_0)).epsilon(0.005));
  CHECK(garnet_drop == Approx(J * L2 / sigma).epsilon(1e-6));
  CHECK(std::abs(transport.total_cations() - initial_salt) / initial_salt < 1e-10);
  CHECK(transport.electrode_current(1) == Approx(J * H).epsilon(1e-8));
}

TEST_CASE("GMRES iterations per Newton step do not grow with mesh refinement", "[transport]")
{
  // The galvanostatic cell of the test above, three meshes, one time step of
  // 1 s (a tenth of the diffusion time across a 30 um cell).
  std::vector<double> per_newton_step;
  for (const unsigned int refinements : {3u, 4u, 5u})
    {
      Transport<2>::Parameters p;
      const double             L = 3e-5, H = 1e-5;
      p.total_current[0]       = testing::make_function<2>({[H](const Point<2> &) { return -10.0 * H; }});
      p.electrode_potential[1] = testing::make_function<2>({[](const Point<2> &) { return 0.0; }});
      p.kinetics               = std::make_shared<ButlerVolmer>();
      p.maximum_forcing        = 0; // every solve to 1e-8: the preconditioner's quality alone
      parallel::distributed::Triangulation<2> tria(MPI_COMM_WORLD);
      GridGenerator::subdivided_hyper_rectangle(tria, {3, 1}, Point<2>(), Point<2>(L, H), true);
      tria.refine_global(refinements);
      Transport<2> transport(tria, p);
      transport.setup_dofs();
      const auto report = transport.advance(1.0, 1);
      // Per Newton step: one GMRES for the update plus one for the galvanostatic bordering.
      per_newton_step.push_back(report.linear_iterations / (2.0 * report.iterations));
      if (Utilities::MPI::this_mpi_process(MPI_COMM_WORLD) == 0)
        std::cout << "transport " << transport.n_dofs() << " DoFs: " << report.iterations << " Newton steps, "
                  << per_newton_step.back() << " GMRES iterations per linear solve" << std::endl;
    }
  CHECK(per_newton_step.back() <= per_newton_step.front() + 2);
  CHECK(per_newton_step.back() <= 15);
}

TEST_CASE("Inexact Newton reaches the exact-Newton state with fewer GMRES iterations", "[transport]")
{
  // The galvanostatic cell above, five BDF2 steps, with linear solves to
  // 1e-8 (forcing 0) and with Eisenstat-Walker forcing terms up to 1e-2.
  const auto run = [](const double maximum_forcing) {
    Transport<2>::Parameters p;
    const double             L = 3e-5, H = 1e-5;
    p.total_current[0]       = testing::make_function<2>({[H](const Point<2> &) { return -10.0 * H; }});
    p.electrode_potential[1] = testing::make_function<2>({[](const Point<2> &) { return 0.0; }});
    p.kinetics               = std::make_shared<ButlerVolmer>();
    p.maximum_forcing        = maximum_forcing;
    parallel::distributed::Triangulation<2> tria(MPI_COMM_WORLD);
    GridGenerator::subdivided_hyper_rectangle(tria, {3, 1}, Point<2>(), Point<2>(L, H), true);
    tria.refine_global(4);
    Transport<2> transport(tria, p);
    transport.setup_dofs();
    unsigned int linear = 0, newton = 0;
    for (unsigned int step = 0; step < 5; ++step)
      {
        const auto report = transport.advance(0.2, 2);
        linear += report.linear_iterations;
        newton += report.iterations;
      }
    return std::make_tuple(transport.electrode_potential(0), transport.min_boundary_concentration(0), newton, linear);
  };
  const auto [v_exact, c_exact, newton_exact, linear_exact] = run(0.0);
  const auto [v, c, newton, linear]                         = run(1e-2);
  if (Utilities::MPI::this_mpi_process(MPI_COMM_WORLD) == 0)
    std::cout << "inexact Newton: " << newton << " Newton / " << linear << " GMRES iterations (exact: " << newton_exact
              << " / " << linear_exact << "), potential difference " << std::abs(v - v_exact) << " V" << std::endl;
  CHECK(std::abs(v - v_exact) < 1e-9);
  CHECK(std::abs(c - c_exact) < 1e-8 * c_exact);
  CHECK(newton <= newton_exact + 5); // at most one extra Newton iteration per step
  CHECK(linear < linear_exact);
}

TEST_CASE("Adapting the mesh during a transport run conserves salt and keeps the BDF2 history", "[transport]")
{
  // The closed Li | electrolyte | Li cell: salt is constant in time. The mesh
  // is refined at the plating electrode and coarsened elsewhere between time
  // steps; the run is compared with one on the uniformly fine mesh.
  const auto run = [](const bool adapt, const Transport<2>::Closure closure) {
    Transport<2>::Parameters p;
    p.closure      = closure;
    const double J = 20.0, L = 1e-4;
    p.current_density[0]     = testing::make_function<2>({[J](const Point<2> &) { return -J; }});
    p.electrode_potential[1] = testing::make_function<2>({[](const Point<2> &) { return 0.0; }});
    p.kinetics               = std::make_shared<ButlerVolmer>();
    parallel::distributed::Triangulation<2> tria(MPI_COMM_WORLD);
    GridGenerator::subdivided_hyper_rectangle(tria, {10, 1}, Point<2>(), Point<2>(L, L / 10), true);
    tria.refine_global(3);
    Transport<2> transport(tria, p);
    transport.setup_dofs();
    const double initial     = transport.total_cations();
    double       worst_drift = 0;
    for (unsigned int step = 1; step <= 12; ++step)
      {
        transport.advance(2.0, 2);
        if (adapt && step % 4 == 0)
          {
            // Coarsen the far half, refine near the electrode (then coarsen it back).
            for (const auto &cell : tria.active_cell_iterators())
              if (cell->is_locally_owned())
                {
                  if (step == 8 ? cell->center()[0] < L / 5 : cell->center()[0] > L / 2)
                    cell->set_coarsen_flag();
                  else if (step == 4 && cell->center()[0] < L / 5)
                    cell->set_refine_flag();
                }
            const double before = transport.total_cations(), charge_before = transport.total_charge();
            tria.prepare_coarsening_and_refinement();
            transport.prepare_for_transfer();
            tria.execute_coarsening_and_refinement();
            transport.finish_transfer();
            worst_drift = std::max(worst_drift, std::abs(transport.total_cations() - before) / before);
            // Charge relative to the charge of the cations (F z+ times their amount).
            worst_drift = std::max(worst_drift, std::abs(transport.total_charge() - charge_before) /
                                                  (constants::faraday * p.cation_valence * before));
          }
      }
    worst_drift = std::max(worst_drift, std::abs(transport.total_cations() - initial) / initial);
    return std::make_tuple(worst_drift, transport.min_boundary_concentration(0), tria.n_global_active_cells());
  };
  const auto [drift, c_min, cells]                  = run(true, Transport<2>::Closure::electroneutral);
  const auto [uniform_drift, uniform_c_min, unused] = run(false, Transport<2>::Closure::electroneutral);
  // Both species (log densities) with the Poisson closure.
  const auto [poisson_drift, poisson_c_min, poisson_cells] = run(true, Transport<2>::Closure::poisson);
  if (Utilities::MPI::this_mpi_process(MPI_COMM_WORLD) == 0)
    std::cout << "transport AMR: salt drift " << drift << " (uniform mesh " << uniform_drift << "), c_min " << c_min
              << " vs " << uniform_c_min << " mol/m^3 on " << cells << " cells; Poisson closure: drift "
              << poisson_drift << ", c_min " << poisson_c_min << std::endl;
  CHECK(drift < 1e-12);
  CHECK(uniform_drift < 1e-12);
  CHECK(c_min == Approx(uniform_c_min).epsilon(1e-3));
  CHECK(poisson_drift < 1e-12);
  CHECK(poisson_c_min == Approx(c_min).epsilon(1e-2)); // electroneutral limit (Debye length 0.5 nm)
  (void)unused;
  (void)poisson_cells;
}

namespace
{
  /// Poisson closure, steady manufactured solution on the unit square with
  /// D+ = 1, D- = 2 m^2/s, c0 = 1 mol/m^3 and a permittivity that makes
  /// lambda^2 = eps RT / (F^2 c0) of order 0.1 m^2. u- and psi are chosen,
  /// u+ = u- + lambda^2 (-laplacian psi) satisfies Poisson's equation, and the
  /// species sources follow from the balances (derivatives by central
  /// differences, accurate to 1e-8). Returns the L2 errors of (u+, u-, psi).
  std::array<double, 3> run_poisson_manufactured(const unsigned int degree, const unsigned int refinements)
  {
    Transport<2>::Parameters p;
    p.closure               = Transport<2>::Closure::poisson;
    p.degree                = degree;
    p.cation_diffusivity    = 1;
    p.anion_diffusivity     = 2;
    p.bulk_concentration    = 1;
    p.relative_permittivity = 5e16;
    const double thermal = constants::gas * p.temperature / constants::faraday, pi = numbers::PI;
    const double lambda2 = constants::vacuum_permittivity * p.relative_permittivity * thermal / constants::faraday;
    using Field          = std::function<double(const Point<2> &)>;
    const Field  psi     = [pi](const Point<2> &x) { return 0.3 * std::cos(pi * x[0]) * std::sin(pi * x[1]); };
    const Field  u_minus = [pi](const Point<2> &x) { return 1 + 0.2 * std::sin(pi * x[0]) * std::sin(pi * x[1]); };
    const Field  u_plus  = [=](const Point<2> &x) { return u_minus(x) + lambda2 * 2 * pi * pi * psi(x); };
    const double h       = 1e-4;
    const auto   grad    = [h](const Field &f, const Point<2> &x) {
      Tensor<1, 2> g;
      for (unsigned int d = 0; d < 2; ++d)
        {
          Point<2> a = x, b = x;
          a[d] += h;
          b[d] -= h;
          g[d] = (f(a) - f(b)) / (2 * h);
        }
      return g;
    };
    const auto source = [=](const Field &u, const double z, const double d, const Point<2> &x) {
      double div = 0; // of grad u + z u grad psi
      for (unsigned int k = 0; k < 2; ++k)
        {
          Point<2> a = x, b = x;
          a[k] += h;
          b[k] -= h;
          div += ((grad(u, a) + z * u(a) * grad(psi, a))[k] - (grad(u, b) + z * u(b) * grad(psi, b))[k]) / (2 * h);
        }
      return -d * div; // c0 = c0- = 1
    };
    p.source         = testing::make_function<2>({[=](const Point<2> &x) { return source(u_plus, 1, 1, x); },
                                                  [=](const Point<2> &x) { return source(u_minus, -1, 2, x); }});
    const auto exact = testing::make_function<2>(
      {u_plus, u_minus, [=](const Point<2> &x) { return thermal * psi(x); }}); // (c+, c-, phi)
    for (types::boundary_id b = 0; b < 4; ++b)
      p.dirichlet[b] = exact;

    parallel::distributed::Triangulation<2> tria(MPI_COMM_WORLD);
    GridGenerator::hyper_cube(tria, 0, 1, true);
    tria.refine_global(refinements);
    Transport<2> transport(tria, p);
    transport.setup_dofs();
    transport.advance(1e10, 1); // the discrete steady state
    // The unknowns: log densities rho+- = ln(u+-) and psi.
    const auto            scaled = testing::make_function<2>({[=](const Point<2> &x) { return std::log(u_plus(x)); },
                                                              [=](const Point<2> &x) { return std::log(u_minus(x)); }, psi});
    std::array<double, 3> errors;
    for (unsigned int c = 0; c < 3; ++c)
      {
        const ComponentSelectFunction<2> mask(c, 3);
        Vector<float>                    cell_errors(tria.n_active_cells());
        VectorTools::integrate_difference(transport.get_mapping(), transport.dof_handler(), transport.solution(),
                                          *scaled, cell_errors, QGauss<2>(degree + 2), VectorTools::L2_norm, &mask);
        errors[c] = VectorTools::compute_global_error(tria, cell_errors, VectorTools::L2_norm);
      }
    return errors;
  }
} // namespace

TEST_CASE("The Poisson closure converges at optimal rates", "[transport]")
{
  for (const unsigned int degree : {1u, 2u})
    {
      const unsigned int first = degree == 1 ? 4 : 3;
      const auto         a = run_poisson_manufactured(degree, first), b = run_poisson_manufactured(degree, first + 1);
      for (unsigned int c = 0; c < 3; ++c)
        {
          const double rate = std::log2(a[c] / b[c]);
          if (Utilities::MPI::this_mpi_process(MPI_COMM_WORLD) == 0)
            std::cout << "Poisson closure Q" << degree << " component " << c << ": L2 " << b[c] << " rate " << rate
                      << std::endl;
          CHECK(std::abs(rate - (degree + 1)) < 0.1);
        }
    }
}

TEST_CASE("Below the limiting current the Poisson closure reproduces the electroneutral cell", "[transport]")
{
  // Dilute z:z electrolyte (c0 = 0.01 mol/m^3, Debye length 49 nm) between a
  // plating electrode at x = 0 and a reservoir at x = L = 10 um, current
  // density J = J_lim / 2 with J_lim = z c0 F D / (t_a L): outside a Debye
  // layer the solution is electroneutral with c(0) = c0 (1 - J / J_lim).
  Transport<2>::Parameters p;
  p.closure               = Transport<2>::Closure::poisson;
  p.bulk_concentration    = 0.01;
  p.relative_permittivity = 10;
  const double L = 1e-5, H = 1e-6, c0 = p.bulk_concentration;
  const double J = 0.5 * c0 * constants::faraday * p.ambipolar_diffusivity() / ((1 - p.cation_transference()) * L);
  p.current_density[0] = testing::make_function<2>({[J](const Point<2> &) { return -J; }});
  p.reservoir          = {1};
  parallel::distributed::Triangulation<2> tria(MPI_COMM_WORLD);
  make_strip(tria, L, H, 6); // cells of 16 nm at the electrode
  Transport<2> transport(tria, p);
  transport.setup_dofs();
  const double relaxation = L * L / p.ambipolar_diffusivity();
  double       dt = 1e-6 * relaxation, t = 0;
  while (t < 20 * relaxation)
    {
      transport.advance(dt, 1);
      t += dt;
      dt = std::min(1.5 * dt, 0.5 * relaxation);
    }
  const Probes<2> probes({Point<2>(0, H / 2), Point<2>(L / 2, H / 2)});
  const auto      values = transport.probe(probes);  // c+, c- (mol/m^3), phi (V)
  const double    charge = transport.total_charge(); // collective: outside the rank-0 branch
  if (Utilities::MPI::this_mpi_process(MPI_COMM_WORLD) == 0)
    std::cout << "Poisson closure at J_lim / 2: c+(0) " << values[0][0] << ", c-(0) " << values[0][1]
              << " mol/m^3, net charge " << charge << " C/m" << std::endl;
  CHECK(values[0][0] == Approx(0.5 * c0).epsilon(0.01));
  CHECK(values[1][0] == Approx(0.75 * c0).epsilon(1e-3)); // linear profile, mid-cell
  // Electroneutral bulk: c+ - c- = -lambda^2 psi'' = O((lambda / L)^2) relative.
  const double lambda2 = constants::vacuum_permittivity * p.relative_permittivity * constants::gas * p.temperature /
                         (constants::faraday * constants::faraday * c0);
  CHECK(std::abs(values[1][1] - values[1][0]) < 10 * c0 * lambda2 / (L * L));
  CHECK(transport.electrode_current(0) == Approx(-J * H).epsilon(1e-10));
}

TEST_CASE("Above the limiting current the Poisson closure forms a space-charge layer", "[transport]")
{
  // The cell of apps/dendra/space_charge_cell.prm: 0.01 mol/m^3 (Debye length
  // 49 nm), 20 nm cells, plating at 4 J_lim (J_lim = z c0 F D / (t_a L))
  // through a galvanostatic Butler-Volmer electrode with a 5 nm Stern layer,
  // reservoir at 10 um. Past Sand's time (0.0327 s) the anions are expelled from the electrode
  // region and the cations carry the current by migration (Chazalviel): at
  // 0.05 s c- << c+ at the electrode, net positive charge, a steeply falling
  // electrode potential, and an electroneutral bulk.
  Transport<2>::Parameters p;
  p.closure               = Transport<2>::Closure::poisson;
  p.bulk_concentration    = 0.01;
  p.relative_permittivity = 10;
  p.stern_layer_thickness = 5e-9;
  const double L = 1e-5, H = 2e-8, c0 = p.bulk_concentration;
  const double J_lim = c0 * constants::faraday * p.ambipolar_diffusivity() / ((1 - p.cation_transference()) * L);
  p.total_current[0] = testing::make_function<2>({[J_lim, H](const Point<2> &) { return -4 * J_lim * H; }});
  p.kinetics         = std::make_shared<ButlerVolmer>();
  p.reservoir        = {1};
  parallel::distributed::Triangulation<2> tria(MPI_COMM_WORLD);
  GridGenerator::subdivided_hyper_rectangle(tria, {500, 1}, Point<2>(), Point<2>(L, H), true);
  Transport<2> transport(tria, p);
  transport.setup_dofs();
  double t = 0, dt = 1e-5;
  while (t < 0.05 * (1 - 1e-12))
    {
      dt = std::min(dt, 0.05 - t);
      transport.advance(dt, 1);
      t += dt;
      dt = std::min(1.3 * dt, 5e-4);
    }
  const Probes<2> probes({Point<2>(0, H / 2), Point<2>(5e-6, H / 2)});
  const auto      values    = transport.probe(probes); // c+, c- (mol/m^3), phi (V)
  const double    charge    = transport.total_charge();
  const double    potential = transport.electrode_potential(0);
  if (Utilities::MPI::this_mpi_process(MPI_COMM_WORLD) == 0)
    std::cout << "space charge at 4 J_lim, t = 0.05 s: c+(0) " << values[0][0] << ", c-(0) " << values[0][1]
              << " mol/m^3, net charge " << charge << " C/m, electrode potential " << potential << " V" << std::endl;
  CHECK(values[0][1] < 1e-6 * values[0][0]); // anions expelled
  CHECK(values[0][0] > c0);                  // cations pile up in the space-charge layer
  CHECK(charge > 0);
  CHECK(potential < -0.3);
  CHECK(std::abs(values[1][0] - values[1][1]) < 1e-3 * values[1][0]); // electroneutral bulk
  CHECK(transport.electrode_current(0) == Approx(-4 * J_lim * H).epsilon(1e-8));
}
