// Electrostatics with Butler-Volmer electrodes (the ionic current of a
// single-ion conductor): the mechanical overpotential's shift of the current,
// conservation, electrodes at faces against a metal, and primary current
// focusing on a semicircular (2D) and hemispherical (3D) Li protrusion.
#include <dendra/fields/electrostatics.h>
#include <dendra/materials/material_library.h>

#include <deal.II/base/mpi.h>
#include <deal.II/dofs/dof_tools.h>
#include <deal.II/fe/fe_q.h>
#include <deal.II/grid/grid_generator.h>
#include <deal.II/numerics/vector_tools.h>

#include <catch2/catch.hpp>

#include "test_helpers.h"

#include <iostream>

using namespace dealii;
using namespace dendra;
using namespace dendra::testing;

namespace
{
  bool is_root()
  {
    return Utilities::MPI::this_mpi_process(MPI_COMM_WORLD) == 0;
  }

  /// LLZO-like electrolyte (id 3, sigma_ion = 0.037 S/m) and Li metal (id 1).
  MaterialLibrary electrolyte_and_li()
  {
    MaterialLibrary library;
    library.set({"LLZO", 3, 150e9, 0.25, 1e-6, 0.037});
    Material li{"Li metal", 1, 4.9e9, 0.42, 1.1e7, 0.0};
    li.molar_volume = 1.3e-5;
    library.set(li);
    return library;
  }

  /// Linear kinetics with alpha_a = 0.35, alpha_c = 0.6 at 310 K and @p i0 (A/m^2).
  std::shared_ptr<const ElectrodeKinetics> linear_kinetics(const double i0)
  {
    auto kinetics         = std::make_shared<LinearKinetics>();
    kinetics->i0_ref      = i0;
    kinetics->c_exponent  = 0;
    kinetics->alpha_a     = 0.35;
    kinetics->alpha_c     = 0.6;
    kinetics->temperature = 310;
    return kinetics;
  }

  template <int dim>
  std::shared_ptr<Function<dim>> constant(const double value)
  {
    return make_function<dim>({[value](const Point<dim> &) { return value; }});
  }

  /// A column of height H = 2 um and width W = 1 um: Li metal below y = 0.5 um
  /// (with @p li_cells; else the bottom boundary is the electrode), the
  /// electrolyte above; the top at potential @p top (V) or with an inward
  /// current density @p top (A/m^2) if @p galvanostatic. Returns the plating
  /// current per width (A/m^2).
  double column_current(const double top, const bool galvanostatic, const double pressure, const bool li_cells)
  {
    constexpr int                             dim = 2;
    parallel::distributed::Triangulation<dim> tria(MPI_COMM_WORLD);
    const double                              bottom = li_cells ? 0.0 : 0.5e-6;
    GridGenerator::subdivided_hyper_rectangle(tria, {2, li_cells ? 4u : 3u}, Point<dim>(0, bottom),
                                              Point<dim>(1e-6, 2.0e-6), true);
    tria.refine_global(3);
    for (const auto &cell : tria.active_cell_iterators()) // hanging nodes, also on the electrode
      if (cell->is_locally_owned() && cell->center()[0] < 0.25e-6)
        cell->set_refine_flag();
    tria.execute_coarsening_and_refinement();
    for (const auto &cell : tria.active_cell_iterators())
      cell->set_material_id(cell->center()[1] < 0.5e-6 ? 1 : 3);
    const MaterialLibrary library = electrolyte_and_li();

    Electrostatics<dim>::Parameters p;
    p.conductivity     = Electrostatics<dim>::ConductivityKind::ionic;
    p.electrolyte_only = li_cells;
    if (galvanostatic)
      p.current[3] = constant<dim>(top);
    else
      p.dirichlet[3] = constant<dim>(top);
    if (li_cells)
      p.electrodes.materials = {"Li metal"};
    else
      p.electrodes.boundaries = {2};
    p.electrodes.kinetics           = linear_kinetics(7.6);
    p.electrodes.interface_pressure = pressure;
    p.solver.relative_tolerance     = 1e-12;
    Electrostatics<dim> field(tria, library, p);
    QuantityRegistry<dim> quantities;
    field.read_quantities(quantities);
    field.setup_dofs();
    field.solve();
    const auto currents = field.electrode_currents();
    CHECK(currents.filling == 0);
    CHECK(currents.interface_area == Approx(1e-6).epsilon(1e-12));
    return currents.interface / 1e-6;
  }
} // namespace

TEST_CASE("A Li surface under pressure plates less by the mechanical overpotential", "[ionic-current]")
{
  // Potentiostatic column, linear kinetics k = i0 (alpha_a + alpha_c) F / RT:
  // j = (V - Omega p / F) / (H / sigma + 1 / k), so a pressure p0 lowers the
  // current by (Omega p0 / F) / (H / sigma + 1 / k), exactly.
  const double V = 0.05, p0 = 180e6, H = 1.5e-6, sigma = 0.037, omega = 1.3e-5;
  const double k        = 7.6 * 0.95 * constants::faraday / (constants::gas * 310);
  const double resistance = H / sigma + 1 / k;
  const double free       = column_current(V, false, 0, false);
  const double pressed    = column_current(V, false, p0, false);
  CHECK(free == Approx(V / resistance).epsilon(1e-9));
  CHECK(free - pressed == Approx(omega * p0 / constants::faraday / resistance).epsilon(1e-8));
  // The same with the Li as cells of Li metal below the electrolyte.
  CHECK(column_current(V, false, p0, true) == Approx(pressed).epsilon(1e-9));
}

TEST_CASE("Galvanostatic Butler-Volmer electrodes conserve the current", "[ionic-current]")
{
  // All of the 12.5 A/m^2 that enters at the top plates on the Li.
  CHECK(column_current(12.5, true, 0, false) == Approx(12.5).epsilon(1e-9));
  CHECK(column_current(12.5, true, 240e6, true) == Approx(12.5).epsilon(1e-9));
}

namespace
{
  /// The plating current density at the top of a Li protrusion of radius R
  /// (a semicircle in 2D, a hemisphere in 3D) on a plane electrode, over the
  /// far-field one, in the field E0 of an ideal (primary) distribution: on the
  /// quarter (octant) shell R < r < 12 R, the exact far field phi = E0 (1 -
  /// R^dim / r^dim) x_dim on the outer boundary, fast linear kinetics.
  template <int dim>
  double apex_focusing(const unsigned int refinements)
  {
    const double                              R = 0.3e-6, E0 = 100, sigma = 0.037;
    parallel::distributed::Triangulation<dim> tria(MPI_COMM_WORLD);
    GridGenerator::quarter_hyper_shell(tria, Point<dim>(), R, 12 * R, 0, true);
    tria.refine_global(1);
    for (unsigned int level = 0; level < refinements; ++level) // graded towards the protrusion
      {
        for (const auto &cell : tria.active_cell_iterators())
          if (cell->is_locally_owned() && cell->center().norm() < R + 2 * cell->diameter())
            cell->set_refine_flag();
        tria.execute_coarsening_and_refinement();
      }
    for (const auto &cell : tria.active_cell_iterators())
      cell->set_material_id(3);
    const MaterialLibrary library = electrolyte_and_li();

    typename Electrostatics<dim>::Parameters p;
    p.conductivity = Electrostatics<dim>::ConductivityKind::ionic;
    p.dirichlet[1] = make_function<dim>({[=](const Point<dim> &x) {
      return E0 * (1 - std::pow(R / x.norm(), dim)) * x[dim - 1];
    }});
    p.electrodes.boundaries     = {0, static_cast<types::boundary_id>(dim == 2 ? 3 : 4)}; // the protrusion, the plane
    p.electrodes.kinetics       = linear_kinetics(1e6);
    p.solver.relative_tolerance = 1e-12;
    Electrostatics<dim> field(tria, library, p);
    QuantityRegistry<dim> quantities;
    field.read_quantities(quantities);
    field.setup_dofs();
    field.solve();
    Point<dim> apex;
    apex[dim - 1]      = R;
    const double at_apex = field.mean_electrode_current_density(
      [&](const Point<dim> &x) { return x.distance(apex) < 0.05 * R; });
    return at_apex / (sigma * E0);
  }
} // namespace

TEST_CASE("The current focuses 2x on a semicircular Li protrusion", "[ionic-current]")
{
  const double factor = apex_focusing<2>(4);
  if (is_root())
    std::cout << "primary focusing, semicircle: " << factor << std::endl;
  CHECK(factor == Approx(2).epsilon(0.03));
}

TEST_CASE("The current focuses 3x on a hemispherical Li protrusion", "[ionic-current]")
{
  const double factor = apex_focusing<3>(4);
  if (is_root())
    std::cout << "primary focusing, hemisphere: " << factor << std::endl;
  CHECK(factor == Approx(3).epsilon(0.03));
}

TEST_CASE("The faces of a Li-filled crack plate as a diffuse surface of twice its length", "[ionic-current]")
{
  // A straight crack across a 4 x 2 um LLZO strip (broken within h of y = 1
  // um, AT1's profile d = (1 - r / 2l)^2 beyond, l = 0.1 um, h = l / 4):
  // int chi |grad d| = 2 L, both faces. With the potential held at phi0 on
  // the boundary and slow kinetics (phi stays uniform), the crack's faces
  // carry -i_n(-phi0 + Omega p / F) each.
  constexpr int                             dim = 2;
  const double                              L = 4e-6, l = 0.1e-6, h = l / 4, phi0 = 0.02, p0 = 50e6;
  parallel::distributed::Triangulation<dim> tria(MPI_COMM_WORLD);
  GridGenerator::subdivided_hyper_rectangle(tria, {8, 4}, Point<dim>(0, 0), Point<dim>(L, 2e-6), true);
  for (bool refined = true; refined;)
    {
      refined = false;
      for (const auto &cell : tria.active_cell_iterators())
        if (cell->is_locally_owned() && cell->extent_in_direction(0) > h * (1 + 1e-9) &&
            std::abs(cell->center()[1] - 1e-6) < h + 2 * l + cell->diameter())
          {
            cell->set_refine_flag();
            refined = true;
          }
      refined = Utilities::MPI::logical_or(refined, MPI_COMM_WORLD);
      tria.execute_coarsening_and_refinement();
    }
  for (const auto &cell : tria.active_cell_iterators())
    cell->set_material_id(3);
  const MaterialLibrary library = electrolyte_and_li();

  const FE_Q<dim> fe(1);
  DoFHandler<dim> damage_dofs(tria);
  damage_dofs.distribute_dofs(fe);
  IndexSet relevant;
  DoFTools::extract_locally_relevant_dofs(damage_dofs, relevant);
  LA::MPI::Vector owned(damage_dofs.locally_owned_dofs(), MPI_COMM_WORLD);
  VectorTools::interpolate(damage_dofs, *make_function<dim>({[=](const Point<dim> &x) {
                             const double r = std::max(std::abs(x[1] - 1e-6) - h * (1 + 1e-9), 0.0);
                             return r < 2 * l ? std::pow(1 - r / (2 * l), 2) : 0.0;
                           }}),
                           owned);
  LA::MPI::Vector damage(damage_dofs.locally_owned_dofs(), relevant, MPI_COMM_WORLD);
  damage = owned;

  Electrostatics<dim>::Parameters p;
  p.conductivity = Electrostatics<dim>::ConductivityKind::ionic;
  for (const types::boundary_id b : {0, 1, 2, 3})
    p.dirichlet[b] = constant<dim>(phi0);
  p.electrodes.kinetics       = linear_kinetics(1e-4);
  p.solver.relative_tolerance = 1e-12;
  Electrostatics<dim>   field(tria, library, p);
  QuantityRegistry<dim> quantities;
  double pressure = p0; // Pa
  quantities.provide(
    cellwise_quantity<dim>(quantity_names::li_pressure, [&pressure](const auto &) { return pressure; }));
  quantities.provide(cellwise_quantity<dim>(quantity_names::li_crack, [](const auto &cell) {
    return std::abs(cell->center()[1] - 1e-6) < 0.5e-6 ? 1.0 : 0.0;
  }));
  quantities.provide(make_fe_gradient_quantity<dim>(quantity_names::damage_gradient, "1/m", "test", damage_dofs, damage));
  field.provide_quantities(quantities);
  field.read_quantities(quantities);
  field.setup_dofs();
  field.solve();

  const auto   currents = field.electrode_currents();
  const double eta      = -phi0 + 1.3e-5 * p0 / constants::faraday;
  const double expected = -linear_kinetics(1e-4)->current_density(eta, 1000) * 2 * L;
  CHECK(currents.filling_area == Approx(2 * L).epsilon(0.02));
  CHECK(currents.filling == Approx(expected).epsilon(0.02));
  CHECK(currents.interface == 0);
  // The filling plating current per cell integrates to the filling's current.
  const double integral = integrate_quantities<dim>(
    {&quantities.require(quantity_names::filling_current, "test")}, tria,
    [](const auto &, const Point<dim> &, const std::vector<const Vector<double> *> &v) { return (*v[0])[0]; });
  CHECK(integral == Approx(currents.filling).epsilon(1e-10));
  if (is_root())
    std::cout << "crack faces: int chi |grad d| / 2L = " << currents.filling_area / (2 * L)
              << ", current / expected = " << currents.filling / expected << std::endl;

  // Solves at other pressures while the inputs but the pressure are held
  // (the bulk system and AMG kept) agree with solves that assemble anew.
  field.hold_inputs_except(quantity_names::li_pressure);
  std::vector<double> held;
  for (const double p1 : {2 * p0, 0.5 * p0})
    {
      pressure = p1;
      field.solve();
      held.push_back(field.electrode_currents().filling);
    }
  field.release_inputs();
  LA::MPI::Vector difference(field.dof_handler().locally_owned_dofs(), MPI_COMM_WORLD), fresh(difference);
  difference = field.solution();
  field.set_solution(fresh); // from phi = 0: Newton iterates
  field.solve();             // at 0.5 p0, assembled anew
  fresh = field.solution();
  CHECK(held[1] == Approx(field.electrode_currents().filling).epsilon(1e-9));
  difference -= fresh;
  CHECK(difference.linfty_norm() < 1e-9 * fresh.linfty_norm());
  const double eta_2p0 = -phi0 + 1.3e-5 * 2 * p0 / constants::faraday;
  CHECK(held[0] == Approx(-linear_kinetics(1e-4)->current_density(eta_2p0, 1000) * 2 * L).epsilon(0.02));
}
