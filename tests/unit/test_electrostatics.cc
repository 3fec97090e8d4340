// Electrostatics: MMS convergence (Q1, Q2; 2D, 3D; uniform and hanging-node
// meshes), a 1e9 conductivity contrast, boundary currents and Robin data.
#include <dendra/fields/electrostatics.h>
#include <dendra/materials/material_library.h>

#include <deal.II/base/mpi.h>
#include <deal.II/grid/grid_generator.h>

#include <catch2/catch.hpp>

#include "test_helpers.h"

#include <iostream>

using namespace dealii;
using namespace dendra;
using namespace dendra::testing;

namespace
{
  constexpr double sigma = 2.0; // S/m

  MaterialLibrary uniform_material()
  {
    MaterialLibrary library;
    library.set({"LLZO", 0, 150e9, 0.25, sigma, 0.0});
    return library;
  }

  /// Refines globally, then once more where x < 1/2 (hanging nodes at x = 1/2).
  template <int dim>
  void make_mesh(parallel::distributed::Triangulation<dim> &tria, const unsigned int refinements,
                 const bool hanging_nodes)
  {
    GridGenerator::hyper_cube(tria, 0, 1, /*colorize=*/true);
    tria.refine_global(refinements);
    if (hanging_nodes)
      {
        for (const auto &cell : tria.active_cell_iterators())
          if (cell->is_locally_owned() && cell->center()[0] < 0.5)
            cell->set_refine_flag();
        tria.execute_coarsening_and_refinement();
      }
  }

  struct MMSResult
  {
    double       h, l2, h1;
    unsigned int iterations;
  };

  /// -div(sigma grad u) = f with u = SineProduct: Dirichlet on all faces but
  /// x max (current density) and y max (Robin).
  template <int dim>
  MMSResult solve_mms(const unsigned int degree, const unsigned int refinements, const bool hanging_nodes)
  {
    parallel::distributed::Triangulation<dim> tria(MPI_COMM_WORLD);
    make_mesh(tria, refinements, hanging_nodes);
    const SineProduct<dim> u;
    const double           h = 5.0; // Robin conductance (S/m^2)

    typename Electrostatics<dim>::Parameters p;
    p.degree = degree;
    p.source =
      make_function<dim>({[&](const Point<dim> &x) { return sigma * dim * numbers::PI * numbers::PI * u.value(x); }});
    const auto exact = make_function<dim>({[&](const Point<dim> &x) { return u.value(x); }},
                                          [&](const Point<dim> &x, unsigned int) { return u.gradient(x); });
    for (unsigned int b = 0; b < 2 * dim; ++b)
      if (b != 1 && b != 3)
        p.dirichlet[b] = exact;
    p.current[1]                = make_function<dim>({[&](const Point<dim> &x) { return sigma * u.gradient(x)[0]; }});
    p.robin[3]                  = make_function<dim>({[&](const Point<dim> &) { return h; },
                                                      [&](const Point<dim> &x) { return u.value(x) + sigma / h * u.gradient(x)[1]; }});
    p.solver.relative_tolerance = 1e-12;

    const MaterialLibrary library = uniform_material();
    Electrostatics<dim>   field(tria, library, p);
    field.setup_dofs();
    const auto report   = field.solve();
    const auto [l2, h1] = field.compute_errors(*exact);
    return {1.0 / std::pow(2.0, refinements), l2, h1, report.iterations};
  }

  template <int dim>
  void check_rates(const unsigned int degree, const unsigned int first, const bool hanging_nodes)
  {
    std::vector<MMSResult> results;
    for (unsigned int r = first; r < first + 3; ++r)
      results.push_back(solve_mms<dim>(degree, r, hanging_nodes));
    const auto  &a = results[1], &b = results[2];
    const double l2_rate = rate(a.h, a.l2, b.h, b.l2), h1_rate = rate(a.h, a.h1, b.h, b.h1);
    if (Utilities::MPI::this_mpi_process(MPI_COMM_WORLD) == 0)
      std::cout << "electrostatics " << dim << "D Q" << degree << (hanging_nodes ? " hanging" : " uniform") << ": L2 "
                << b.l2 << " rate " << l2_rate << ", H1 " << b.h1 << " rate " << h1_rate << ", CG " << b.iterations
                << std::endl;
    INFO(dim << "D Q" << degree << (hanging_nodes ? " with hanging nodes" : ""));
    CHECK(std::abs(l2_rate - (degree + 1)) < 0.1);
    CHECK(std::abs(h1_rate - degree) < 0.1);
  }
} // namespace

TEST_CASE("Electrostatics converges at optimal rates (MMS)", "[electrostatics]")
{
  check_rates<2>(1, 4, false);
  check_rates<2>(2, 3, false);
  check_rates<3>(1, 2, false);
  check_rates<3>(2, 1, false);
}

TEST_CASE("Electrostatics converges at optimal rates on meshes with hanging nodes", "[electrostatics]")
{
  check_rates<2>(1, 4, true);
  check_rates<2>(2, 3, true);
  check_rates<3>(1, 2, true);
  check_rates<3>(2, 1, true);
}

namespace
{
  /// Metal (y < 1/2, sigma_e = 1e7 S/m) under an electrolyte (sigma = 1e-2 S/m):
  /// phi = 0 at y = 0, current density J enters at y = 1, sides insulated.
  template <int dim>
  void check_contrast(const bool hanging_nodes)
  {
    parallel::distributed::Triangulation<dim> tria(MPI_COMM_WORLD);
    make_mesh(tria, dim == 2 ? 5 : 3, hanging_nodes);
    MaterialLibrary library;
    library.set({"Li metal", 1, 4.9e9, 0.42, 1e7, 0.0});
    library.set({"LLZO", 3, 150e9, 0.257, 0.0, 1e-2});
    for (const auto &cell : tria.active_cell_iterators())
      cell->set_material_id(cell->center()[1] < 0.5 ? 1 : 3);

    const double                             J = 10.0; // A/m^2
    typename Electrostatics<dim>::Parameters p;
    p.dirichlet[2] = make_function<dim>({[](const Point<dim> &) { return 0.0; }});
    p.current[3]   = make_function<dim>({[J](const Point<dim> &) { return J; }});
    Electrostatics<dim> field(tria, library, p);
    field.setup_dofs();
    const auto report = field.solve();

    const auto exact = make_function<dim>(
      {[J](const Point<dim> &x) { return x[1] < 0.5 ? J * x[1] / 1e7 : J * 0.5 / 1e7 + J * (x[1] - 0.5) / 1e-2; }},
      [J](const Point<dim> &x, unsigned int) {
        Tensor<1, dim> g;
        g[1] = x[1] < 0.5 ? J / 1e7 : J / 1e-2;
        return g;
      });
    const auto   zero     = make_function<dim>({[](const Point<dim> &) { return 0.0; }},
                                         [](const Point<dim> &, unsigned int) { return Tensor<1, dim>(); });
    const double norm     = field.compute_errors(*zero).first; // ||phi||
    const double error    = field.compute_errors(*exact).first;
    const auto   currents = field.boundary_currents();
    if (Utilities::MPI::this_mpi_process(MPI_COMM_WORLD) == 0)
      std::cout << "contrast 1e9 " << dim << "D" << (hanging_nodes ? " hanging" : "") << ": relative L2 error "
                << error / norm << ", CG " << report.iterations << ", currents bottom " << currents.at(2) << " top "
                << currents.at(3) << std::endl;
    CHECK(error / norm < 1e-8);
    CHECK(report.iterations <= 30);
    // Current J enters at the top (area 1) and leaves at the bottom. The
    // bottom value is the reaction in the metal, whose potential drop is 1e-9
    // of the electrolyte's: round-off limits it to about 1e-8 relative.
    CHECK(currents.at(2) == Approx(J).epsilon(1e-6));
    CHECK(currents.at(3) == Approx(-J).epsilon(1e-12));
  }
} // namespace

TEST_CASE("Electrostatics is exact for a 1e9 conductivity contrast", "[electrostatics]")
{
  check_contrast<2>(false);
  check_contrast<2>(true);
  check_contrast<3>(false);
  check_contrast<3>(true);
}

TEST_CASE("Electrostatics: Robin boundary and conservation of current", "[electrostatics]")
{
  // sigma phi' = h (phi_ref - phi) at y = 1, phi = 0 at y = 0: phi = a y with
  // a = h phi_ref / (sigma + h); a volumetric source adds f to the balance.
  constexpr int                             dim = 2;
  parallel::distributed::Triangulation<dim> tria(MPI_COMM_WORLD);
  make_mesh(tria, 4, true);
  const double                             h = 3.0, phi_ref = 0.5;
  typename Electrostatics<dim>::Parameters p;
  p.degree       = 2;
  p.dirichlet[2] = make_function<dim>({[](const Point<dim> &) { return 0.0; }});
  p.robin[3] =
    make_function<dim>({[h](const Point<dim> &) { return h; }, [phi_ref](const Point<dim> &) { return phi_ref; }});
  const MaterialLibrary library = uniform_material();
  Electrostatics<dim>   field(tria, library, p);
  field.setup_dofs();
  field.solve();
  const double a        = h * phi_ref / (sigma + h);
  const auto   currents = field.boundary_currents();
  CHECK(currents.at(3) == Approx(-sigma * a).epsilon(1e-8)); // enters at the top
  CHECK(currents.at(2) == Approx(sigma * a).epsilon(1e-8));  // leaves at the bottom

  // With a source f, the currents leaving add up to the total source.
  p.source = make_function<dim>({[](const Point<dim> &x) { return 4.0 * x[0]; }}); // integral = 2 A/m
  Electrostatics<dim> with_source(tria, library, p);
  with_source.setup_dofs();
  with_source.solve();
  double total = 0;
  for (const auto &[id, current] : with_source.boundary_currents())
    total += current;
  CHECK(total == Approx(2.0).epsilon(1e-9));
}

TEST_CASE("Electrostatics: solution transfer keeps a linear potential across refinement and coarsening",
          "[electrostatics]")
{
  constexpr int                             dim = 2;
  parallel::distributed::Triangulation<dim> tria(MPI_COMM_WORLD);
  make_mesh(tria, 3, false);
  const MaterialLibrary                    library = uniform_material();
  typename Electrostatics<dim>::Parameters p;
  p.dirichlet[2] = make_function<dim>({[](const Point<dim> &) { return 0.0; }});
  p.dirichlet[3] = make_function<dim>({[](const Point<dim> &) { return 1.0; }});
  Electrostatics<dim> field(tria, library, p);
  field.setup_dofs();
  field.solve();
  const auto exact =
    make_function<dim>({[](const Point<dim> &x) { return x[1]; }}, [](const Point<dim> &, unsigned int) {
      Tensor<1, dim> g;
      g[1] = 1;
      return g;
    });
  for (const auto &cell : tria.active_cell_iterators())
    if (cell->is_locally_owned())
      {
        if (cell->center()[0] < 0.3)
          cell->set_refine_flag();
        else if (cell->center()[0] > 0.7)
          cell->set_coarsen_flag();
      }
  const auto cells_before = tria.n_global_active_cells();
  tria.prepare_coarsening_and_refinement();
  field.prepare_for_transfer();
  tria.execute_coarsening_and_refinement();
  field.finish_transfer();
  CHECK(tria.n_global_active_cells() != cells_before);
  CHECK(field.compute_errors(*exact).first < 1e-12);
}
