// The pieces of the defect failure loop: defects of equal size, the Li
// region of a defect with the cracks it fills and its Faradaic eigenstrain,
// the refinement box, and the ionic conductivity of damaged electrolyte.
#include <dendra/base/parameters.h>
#include <dendra/coupling/defect_deposit.h>
#include <dendra/fields/electrostatics.h>
#include <dendra/kinetics/electrode_kinetics.h>
#include <dendra/materials/material_library.h>
#include <dendra/mesh/interfacial_defect.h>
#include <dendra/mesh/mesh_builder.h>

#include <deal.II/base/mpi.h>
#include <deal.II/dofs/dof_tools.h>
#include <deal.II/fe/fe_q.h>
#include <deal.II/grid/grid_generator.h>

#include <catch2/catch.hpp>

#include "test_helpers.h"

#include <cmath>

using namespace dealii;
using namespace dendra;
using namespace dendra::testing;

namespace
{
  /// An interfacial defect read from @p settings (lines of subsection Interfacial defect).
  template <int dim>
  InterfacialDefect<dim> make_defect(const std::string &settings)
  {
    ParameterHandler prm;
    prm.enter_subsection("Geometry");
    InterfacialDefect<dim>::declare_parameters(prm);
    prm.leave_subsection();
    read_parameter_string(prm, "subsection Geometry\nsubsection Interfacial defect\n" + settings + "\nend\nend\n");
    InterfacialDefect<dim> defect;
    prm.enter_subsection("Geometry");
    defect.parse_parameters(prm, MaterialLibrary::defaults());
    prm.leave_subsection();
    return defect;
  }

  /// Faradaic plating at 10 A/m^2 with Omega = 1.3e-5 m^3/mol.
  template <int dim>
  typename DefectDeposit<dim>::Parameters faradaic_plating()
  {
    typename DefectDeposit<dim>::Parameters p;
    p.growth          = DefectDeposit<dim>::Growth::faradaic;
    p.current_density = 10;
    p.molar_volume    = 1.3e-5;
    p.opening_damage  = 0.95;
    return p;
  }
} // namespace

TEST_CASE("Defect size sets the opening width: every shape has the requested area or volume", "[failure]")
{
  for (const std::string shape : {"semi-circle", "triangle", "rectangle", "cone"})
    for (const double ratio : {0.2, 1.0, 5.0})
      {
        INFO(shape << " aspect ratio " << ratio);
        const auto flat = make_defect<2>("set Defect shape = " + shape + "\nset Defect size = 1.5e-12\n" +
                                         "set Defect aspect ratio = " + std::to_string(ratio));
        CHECK(flat.size() == Approx(1.5e-12).epsilon(1e-12));
        CHECK(flat.depth() == Approx(ratio * flat.opening_width()).epsilon(1e-12));
        const auto solid = make_defect<3>("set Defect shape = " + shape + "\nset Defect size = 2e-18\n" +
                                          "set Defect aspect ratio = " + std::to_string(ratio));
        CHECK(solid.size() == Approx(2e-18).epsilon(1e-12));
      }
  // The closed forms behind it: a semicircle of width 2 um and depth 1 um.
  const auto semi =
    make_defect<2>("set Defect size = " + std::to_string(numbers::PI / 2 * 1e-12) + "\nset Defect aspect ratio = 0.5");
  CHECK(semi.opening_width() == Approx(2e-6).epsilon(1e-9));
  CHECK_THROWS_WITH(make_defect<2>("set Defect size = -1e-12"), Catch::Contains("Defect size"));
}

TEST_CASE("The Li region of a defect: its area, its exposed surface, the cracks it fills and the Faradaic "
          "eigenstrain",
          "[failure]")
{
  // A 2 x 2 um rectangular defect on a mesh that resolves it exactly (0.5 um cells).
  const auto     defect = make_defect<2>("set Defect shape = rectangle\nset Defect aspect ratio = 1");
  MeshBuilder<2> builder;
  builder.interface_resolution = 0.5e-6;
  builder.refinement_box       = {Point<2>(-3e-6, 0), Point<2>(3e-6, 4e-6)};
  builder.box_resolution       = 0.5e-6;
  parallel::distributed::Triangulation<2> tria(MPI_COMM_WORLD);
  builder.build(defect, tria);

  DefectDeposit<2> deposit(tria, defect, faradaic_plating<2>());
  deposit.update_region();
  CHECK(deposit.region_measure() == Approx(4e-12).epsilon(1e-12));
  // Plating on the two sides and the top, not where the defect opens into the electrode.
  CHECK(deposit.exposed_area() == Approx(6e-6).epsilon(1e-12));
  const double rate = 10 * 1.3e-5 / constants::faraday; // m/s of Li per unit area
  CHECK(deposit.eigenstrain(20) == Approx(rate * 6e-6 * 20 / 4e-12).epsilon(1e-12));
  deposit.commit(20);

  // Cracked LLZO right above the defect (one 2 x 0.5 um row) fills with Li.
  // The deposit reads the damage as a coupled quantity, here cell by cell.
  Vector<float> damage(tria.n_active_cells());
  for (const auto &cell : tria.active_cell_iterators())
    if (!cell->is_artificial() && std::abs(cell->center()[0]) < 1e-6 && cell->center()[1] > 2e-6 &&
        cell->center()[1] < 2.5e-6)
      damage[cell->active_cell_index()] = 0.99;
  QuantityRegistry<2> quantities;
  quantities.provide(
    cellwise_quantity<2>(quantity_names::damage, [&](const auto &cell) { return damage[cell->active_cell_index()]; }));
  deposit.read_quantities(quantities);
  deposit.update_region();
  CHECK(deposit.region_measure() == Approx(5e-12).epsilon(1e-12));
  CHECK(deposit.exposed_area() == Approx(7e-6).epsilon(1e-12));
  // The committed volume stays; growth continues over the larger surface.
  const double plated = rate * 6e-6 * 20 + rate * 7e-6 * 10;
  CHECK(deposit.plated_volume(30) == Approx(plated).epsilon(1e-12));
  CHECK(deposit.eigenstrain(30) == Approx(plated / 5e-12).epsilon(1e-12));

  // Below the opening damage nothing fills.
  damage *= 0.9;
  deposit.update_region();
  CHECK(deposit.region_measure() == Approx(4e-12).epsilon(1e-12));

  // Within a step (grow_region) the region only grows: the cracked row
  // joins, a second row above it joins later, and cells whose damage falls
  // back below the opening damage stay. Nothing new: false, and R is unchanged.
  const auto set_row = [&](const double bottom, const double d) {
    for (const auto &cell : tria.active_cell_iterators())
      if (!cell->is_artificial() && std::abs(cell->center()[0]) < 1e-6 && cell->center()[1] > bottom &&
          cell->center()[1] < bottom + 0.5e-6)
        damage[cell->active_cell_index()] = d;
  };
  set_row(2e-6, 0.99);
  CHECK(deposit.grow_region());
  CHECK(deposit.region_measure() == Approx(5e-12).epsilon(1e-12));
  set_row(2e-6, 0.5);
  set_row(2.5e-6, 0.99);
  CHECK(deposit.grow_region());
  CHECK(deposit.region_measure() == Approx(6e-12).epsilon(1e-12));
  CHECK(deposit.exposed_area() == Approx(8e-6).epsilon(1e-12));
  CHECK_FALSE(deposit.grow_region());
  CHECK(deposit.region_measure() == Approx(6e-12).epsilon(1e-12));
  // A fresh update (after a commit or a mesh change) follows the damage again.
  deposit.update_region();
  CHECK(deposit.region_measure() == Approx(5e-12).epsilon(1e-12));
}

TEST_CASE("Faradaic plating into a defect from the shared kinetics module slows under the Li pressure", "[failure]")
{
  // Linear kinetics, i_n = i0 (alpha_a + alpha_c) f eta, at eta = eta_s + Omega p / F:
  // the pressure shifts the overpotential by 0.135 mV per MPa, and plating
  // stops at p* = -F eta_s / Omega.
  const auto     defect = make_defect<2>("set Defect shape = rectangle\nset Defect aspect ratio = 1");
  MeshBuilder<2> builder;
  builder.interface_resolution = 0.5e-6;
  builder.refinement_box       = {Point<2>(-3e-6, 0), Point<2>(3e-6, 4e-6)};
  builder.box_resolution       = 0.5e-6;
  parallel::distributed::Triangulation<2> tria(MPI_COMM_WORLD);
  builder.build(defect, tria);

  auto kinetics         = std::make_shared<LinearKinetics>();
  kinetics->i0_ref      = 7.6;
  kinetics->c_exponent  = 0;
  kinetics->alpha_a     = 0.4;
  kinetics->alpha_c     = 0.7;
  kinetics->temperature = 330;
  auto parameters                  = faradaic_plating<2>();
  parameters.kinetics              = kinetics;
  parameters.surface_overpotential = -0.013;
  double pressure                  = 0; // Pa, uniform in the Li region
  Quantity<2> stress;
  stress.name           = quantity_names::stress;
  stress.n_components   = 6;
  stress.make_evaluator = [&pressure](const Quadrature<2> &quadrature) {
    return CellEvaluator<2>([&pressure, n = quadrature.size()](const auto &, std::vector<Vector<double>> &values) {
      values.assign(n, Vector<double>(6));
      for (auto &v : values)
        v[0] = v[1] = v[2] = -pressure;
    });
  };
  QuantityRegistry<2> quantities;
  quantities.provide(stress);

  DefectDeposit<2> deposit(tria, defect, parameters);
  deposit.read_quantities(quantities);
  deposit.update_region();
  const double f       = constants::faraday / (constants::gas * 330);
  const auto   current = [&](const double p) { return -7.6 * 1.1 * f * (-0.013 + 1.3e-5 * p / constants::faraday); };
  const double growth  = 1.3e-5 / constants::faraday * 6e-6; // m^2/s per A/m^2 over the exposed 6 um
  CHECK(deposit.plating_current_density() == Approx(current(0)).epsilon(1e-12));
  CHECK(deposit.plated_volume(20) == Approx(current(0) * growth * 20).epsilon(1e-12));

  pressure = 47e6; // the load step's stress: the next step plates less
  deposit.commit(20);
  CHECK(deposit.li_pressure() == Approx(47e6).epsilon(1e-12));
  CHECK(deposit.plating_current_density() == Approx(current(47e6)).epsilon(1e-12));
  CHECK(deposit.plating_current_density() < 0.7 * current(0));
  CHECK(deposit.plated_volume(30) == Approx(current(0) * growth * 20 + current(47e6) * growth * 10).epsilon(1e-12));

  // At p* the deposit neither grows nor dissolves; above it, Li dissolves.
  pressure = 0.013 * constants::faraday / 1.3e-5;
  deposit.commit(30);
  CHECK(std::abs(deposit.plating_current_density()) < 1e-12 * current(0));
  pressure *= 1.5;
  deposit.commit(30);
  CHECK(deposit.plating_current_density() == Approx(-0.5 * current(0)).epsilon(1e-10));
}

TEST_CASE("The refinement box refines exactly the cells it overlaps", "[failure]")
{
  const auto     defect = make_defect<2>("set Defect shape = rectangle");
  MeshBuilder<2> builder;
  builder.interface_resolution = 0;
  builder.refinement_box       = {Point<2>(-2e-6, 0), Point<2>(2e-6, 3e-6)};
  builder.box_resolution       = 0.25e-6;
  parallel::distributed::Triangulation<2> tria(MPI_COMM_WORLD);
  builder.build(defect, tria);
  double inside = 0, largest_inside = 0, smallest_far = 1;
  for (const auto &cell : tria.active_cell_iterators())
    if (cell->is_locally_owned())
      {
        const Point<2> c = cell->center();
        if (std::abs(c[0]) < 2e-6 && c[1] > 0 && c[1] < 3e-6)
          {
            inside += cell->measure();
            largest_inside = std::max(largest_inside, cell->minimum_vertex_distance());
          }
        if (std::abs(c[0]) > 5e-6 || c[1] > 6e-6)
          smallest_far = std::min(smallest_far, cell->minimum_vertex_distance());
      }
  CHECK(Utilities::MPI::sum(inside, MPI_COMM_WORLD) == Approx(12e-12).epsilon(1e-10));
  CHECK(Utilities::MPI::max(largest_inside, MPI_COMM_WORLD) <= 0.25e-6 * (1 + 1e-9));
  CHECK(Utilities::MPI::min(smallest_far, MPI_COMM_WORLD) >= 1e-6); // the far field stays coarse
}

TEST_CASE("Damaged electrolyte conducts ions as g(d) sigma", "[failure]")
{
  // A 4 x 1 LLZO bar between phi = 0 and 1 V, with d = 0.5 everywhere.
  parallel::distributed::Triangulation<2> tria(MPI_COMM_WORLD);
  GridGenerator::subdivided_hyper_rectangle(tria, {8, 2}, Point<2>(), Point<2>(4, 1), true);
  tria.refine_global(1);
  const MaterialLibrary    materials = MaterialLibrary::defaults();
  const types::material_id llzo      = materials.by_name("LLZO", "test").id;
  for (const auto &cell : tria.active_cell_iterators())
    cell->set_material_id(llzo);

  Electrostatics<2>::Parameters p;
  p.conductivity              = Electrostatics<2>::ConductivityKind::ionic;
  p.dirichlet[0]              = std::make_shared<Functions::ConstantFunction<2>>(0.0);
  p.dirichlet[1]              = std::make_shared<Functions::ConstantFunction<2>>(1.0);
  p.solver.relative_tolerance = 1e-12;

  DoFHandler<2> damage_dofs(tria);
  FE_Q<2>       fe(1);
  damage_dofs.distribute_dofs(fe);
  IndexSet relevant;
  DoFTools::extract_locally_relevant_dofs(damage_dofs, relevant);
  LA::MPI::Vector owned(damage_dofs.locally_owned_dofs(), MPI_COMM_WORLD);
  owned = 0.5;
  LA::MPI::Vector damage(damage_dofs.locally_owned_dofs(), relevant, MPI_COMM_WORLD);
  damage                 = owned;
  const auto degradation = [](const double d) { return (1 - d) * (1 - d) + 1e-6; };

  // The field reads g(d) as the coupled quantity a damage field provides:
  // g(d) in the damageable materials, 1 elsewhere.
  const auto current = [&](const std::set<types::material_id> &damageable) {
    Electrostatics<2>   field(tria, materials, p);
    QuantityRegistry<2> quantities;
    quantities.provide(make_fe_quantity<2>(quantity_names::degradation, "-", "damage", damage_dofs, damage, 0, 1,
                                           [&](const auto &cell, Vector<double> &g) {
                                             g[0] = damageable.count(cell->material_id()) ? degradation(g[0]) : 1.0;
                                           }));
    field.read_quantities(quantities);
    field.setup_dofs();
    field.solve();
    return std::abs(field.boundary_currents().at(1));
  };
  Electrostatics<2> intact(tria, materials, p);
  intact.setup_dofs();
  intact.solve();
  const double sigma = materials.by_id(llzo).ionic_conductivity;
  CHECK(std::abs(intact.boundary_currents().at(1)) == Approx(sigma * 1.0 / 4).epsilon(1e-9)); // sigma A dV / L
  CHECK(current({llzo}) == Approx(degradation(0.5) * sigma / 4).epsilon(1e-9));
  CHECK(current({}) == Approx(sigma / 4).epsilon(1e-9)); // a material that does not damage keeps sigma
}
