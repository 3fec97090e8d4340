// Elasticity: MMS convergence, Lame cylinder (2D plane strain) and sphere (3D),
// circular/spherical inclusion with eigenstrain, AMG iteration bounds,
// rigid-body modes and the FE-field eigenstrain path.
#include <dendra/base/solvers.h>
#include <dendra/fields/elasticity.h>
#include <dendra/materials/material_library.h>
#include <dendra/materials/phase_interpolation.h>

#include <deal.II/base/mpi.h>
#include <deal.II/base/quadrature_lib.h>
#include <deal.II/dofs/dof_tools.h>
#include <deal.II/fe/fe_dgq.h>
#include <deal.II/fe/fe_q.h>
#include <deal.II/fe/fe_system.h>
#include <deal.II/fe/fe_values.h>
#include <deal.II/grid/grid_generator.h>
#include <deal.II/grid/grid_tools.h>
#include <deal.II/grid/manifold_lib.h>

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

  /// Matrix "LLZO" (id 3) and inclusion "Li metal" (id 1) with simple moduli.
  MaterialLibrary two_materials(const double E_inclusion = 50e9, const double nu_inclusion = 0.3)
  {
    MaterialLibrary library;
    library.set({"LLZO", 3, 150e9, 0.25, 0.0, 0.05});
    library.set({"Li metal", 1, E_inclusion, nu_inclusion, 1e7, 0.0});
    return library;
  }

  template <int dim>
  std::shared_ptr<Function<dim>> constant(const std::vector<double> &values)
  {
    std::vector<typename LambdaFunction<dim>::Component> components;
    for (const double v : values)
      components.push_back([v](const Point<dim> &) { return v; });
    return make_function<dim>(components, [](const Point<dim> &, unsigned int) { return Tensor<1, dim>(); });
  }

  // ---------------------------------------------------------------- MMS
  /// u_c = SineProduct with a component-dependent phase; body force
  /// f = -(mu lap u + (lambda + mu) grad div u); traction on x max.
  template <int dim>
  std::pair<double, std::pair<double, double>> solve_mms(const unsigned int degree, const unsigned int refinements,
                                                         const bool hanging_nodes)
  {
    parallel::distributed::Triangulation<dim> tria(MPI_COMM_WORLD);
    GridGenerator::hyper_cube(tria, 0, 1, true);
    tria.refine_global(refinements);
    if (hanging_nodes)
      {
        for (const auto &cell : tria.active_cell_iterators())
          if (cell->is_locally_owned() && cell->center()[0] < 0.5)
            cell->set_refine_flag();
        tria.execute_coarsening_and_refinement();
      }
    for (const auto &cell : tria.active_cell_iterators())
      cell->set_material_id(3);
    const MaterialLibrary library = two_materials();
    const double          lambda = library.by_id(3).lame_lambda(), mu = library.by_id(3).shear_modulus();

    std::vector<SineProduct<dim>> u(dim);
    for (unsigned int c = 0; c < dim; ++c)
      u[c].shift = 0.4 * c;
    const double                                         scale = 1e-6; // m
    std::vector<typename LambdaFunction<dim>::Component> value, force, traction;
    for (unsigned int c = 0; c < dim; ++c)
      {
        value.push_back([&u, c, scale](const Point<dim> &x) { return scale * u[c].value(x); });
        force.push_back([&u, c, scale, lambda, mu](const Point<dim> &x) {
          double laplacian = 0, grad_div = 0;
          for (unsigned int j = 0; j < dim; ++j)
            {
              laplacian += u[c].hessian(x)[j][j];
              grad_div += u[j].hessian(x)[j][c];
            }
          return -scale * (mu * laplacian + (lambda + mu) * grad_div);
        });
        // traction on x max (n = e_x): t_c = sigma_c0
        traction.push_back([&u, c, scale, lambda, mu](const Point<dim> &x) {
          double div = 0;
          for (unsigned int j = 0; j < dim; ++j)
            div += u[j].gradient(x)[j];
          return scale * ((c == 0 ? lambda * div : 0.0) + mu * (u[c].gradient(x)[0] + u[0].gradient(x)[c]));
        });
      }
    const auto exact =
      make_function<dim>(value, [&u, scale](const Point<dim> &x, unsigned int c) { return scale * u[c].gradient(x); });

    typename Elasticity<dim>::Parameters p;
    p.degree     = degree;
    p.body_force = make_function<dim>(force);
    for (unsigned int b = 0; b < 2 * dim; ++b)
      if (b != 1)
        p.displacement[b] = {exact, ComponentMask()};
    p.traction[1]               = make_function<dim>(traction);
    p.solver.relative_tolerance = 1e-12;
    Elasticity<dim> field(tria, library, p);
    field.setup_dofs();
    field.solve();
    return {1.0 / std::pow(2.0, refinements), field.compute_errors(*exact)};
  }

  template <int dim>
  void check_rates(const unsigned int degree, const unsigned int first, const bool hanging_nodes)
  {
    const auto   a       = solve_mms<dim>(degree, first + 1, hanging_nodes);
    const auto   b       = solve_mms<dim>(degree, first + 2, hanging_nodes);
    const double l2_rate = rate(a.first, a.second.first, b.first, b.second.first);
    const double h1_rate = rate(a.first, a.second.second, b.first, b.second.second);
    if (is_root())
      std::cout << "elasticity " << dim << "D Q" << degree << (hanging_nodes ? " hanging" : " uniform") << ": L2 rate "
                << l2_rate << ", H1 rate " << h1_rate << std::endl;
    INFO(dim << "D Q" << degree << (hanging_nodes ? " with hanging nodes" : ""));
    CHECK(std::abs(l2_rate - (degree + 1)) < 0.1);
    CHECK(std::abs(h1_rate - degree) < 0.1);
  }
} // namespace

TEST_CASE("Elasticity converges at optimal rates (MMS)", "[elasticity]")
{
  check_rates<2>(1, 3, false);
  check_rates<2>(2, 2, false);
  check_rates<3>(1, 2, false);
  check_rates<3>(2, 1, false);
}

TEST_CASE("Elasticity converges at optimal rates on meshes with hanging nodes", "[elasticity]")
{
  check_rates<2>(1, 3, true);
  check_rates<2>(2, 2, true);
  check_rates<3>(1, 2, true);
  check_rates<3>(2, 1, true);
}

namespace
{
  // ------------------------------------------------------- Lame solutions
  /// Relative L2 errors of displacement and stress against a radial solution
  /// u_r(r), sigma_rr(r), sigma_tt(r) (sigma_tt: hoop stress).
  template <int dim>
  std::pair<double, double> radial_errors(const Elasticity<dim> &field, const std::function<double(double)> &u_r,
                                          const std::function<double(double)> &s_rr,
                                          const std::function<double(double)> &s_tt)
  {
    std::vector<typename LambdaFunction<dim>::Component> components;
    for (unsigned int d = 0; d < dim; ++d)
      components.push_back([&u_r, d](const Point<dim> &x) { return u_r(x.norm()) * x[d] / x.norm(); });
    const auto exact =
      make_function<dim>(components, [](const Point<dim> &, unsigned int) { return Tensor<1, dim>(); });
    const auto   zero    = constant<dim>(std::vector<double>(dim, 0.0));
    const double u_error = field.compute_errors(*exact).first / field.compute_errors(*zero).first;

    double error2 = 0, norm2 = 0;
    field.visit_stresses(QGauss<dim>(3), [&](const Point<dim> &x, types::material_id, const SymmetricTensor<2, 3> &s) {
      const double r = x.norm();
      Tensor<1, 3> n;
      for (unsigned int d = 0; d < dim; ++d)
        n[d] = x[d] / r;
      SymmetricTensor<2, 3> exact_s;
      for (unsigned int i = 0; i < 3; ++i)
        for (unsigned int j = i; j < 3; ++j)
          exact_s[i][j] = s_tt(r) * (i == j) + (s_rr(r) - s_tt(r)) * n[i] * n[j];
      if (dim == 2)
        exact_s[2][2] = s[2][2]; // sigma_zz is checked through the in-plane ones
      error2 += (s - exact_s).norm() * (s - exact_s).norm();
      norm2 += exact_s.norm() * exact_s.norm();
    });
    return {u_error,
            std::sqrt(Utilities::MPI::sum(error2, MPI_COMM_WORLD) / Utilities::MPI::sum(norm2, MPI_COMM_WORLD))};
  }
} // namespace

TEST_CASE("Elasticity matches the Lame thick-walled cylinder (plane strain)", "[elasticity]")
{
  constexpr int                             dim = 2;
  const double                              a = 1e-6, b = 2e-6, p = 1e8; // m, m, Pa
  parallel::distributed::Triangulation<dim> tria(MPI_COMM_WORLD);
  GridGenerator::hyper_shell(tria, Point<dim>(), a, b, 8, /*colorize=*/true);
  tria.refine_global(3);
  for (const auto &cell : tria.active_cell_iterators())
    cell->set_material_id(3);
  const MaterialLibrary library = two_materials();
  const double          lambda = library.by_id(3).lame_lambda(), mu = library.by_id(3).shear_modulus();
  const double          A = p * a * a / (2 * (lambda + mu) * (b * b - a * a)),
               B          = p * a * a * b * b / (2 * mu * (b * b - a * a));
  const auto u_r          = [=](double r) { return A * r + B / r; };
  const auto s_rr         = [=](double r) { return 2 * (lambda + mu) * A - 2 * mu * B / (r * r); };
  const auto s_tt         = [=](double r) { return 2 * (lambda + mu) * A + 2 * mu * B / (r * r); };

  typename Elasticity<dim>::Parameters parameters;
  parameters.degree          = 2;
  parameters.pressure[0]     = constant<dim>({p});
  parameters.displacement[1] = {
    make_function<dim>({[=](const Point<dim> &x) { return u_r(x.norm()) * x[0] / x.norm(); },
                        [=](const Point<dim> &x) { return u_r(x.norm()) * x[1] / x.norm(); }}),
    ComponentMask()};
  Elasticity<dim> field(tria, library, parameters);
  field.setup_dofs();
  field.solve();
  const auto [u_error, s_error] = radial_errors<dim>(field, u_r, s_rr, s_tt);
  if (is_root())
    std::cout << "Lame cylinder: relative L2 errors u " << u_error << ", stress " << s_error << std::endl;
  CHECK(u_error < 0.01);
  CHECK(s_error < 0.01);
}

TEST_CASE("Elasticity matches the Lame thick-walled sphere", "[elasticity]")
{
  constexpr int                             dim = 3;
  const double                              a = 1e-6, b = 2e-6, p = 1e8;
  parallel::distributed::Triangulation<dim> tria(MPI_COMM_WORLD);
  GridGenerator::hyper_shell(tria, Point<dim>(), a, b, 6, /*colorize=*/true);
  tria.refine_global(3);
  for (const auto &cell : tria.active_cell_iterators())
    cell->set_material_id(3);
  const MaterialLibrary library = two_materials();
  const double          lambda = library.by_id(3).lame_lambda(), mu = library.by_id(3).shear_modulus();
  const double          A    = p * a * a * a / ((3 * lambda + 2 * mu) * (b * b * b - a * a * a));
  const double          B    = p * a * a * a * b * b * b / (4 * mu * (b * b * b - a * a * a));
  const auto            u_r  = [=](double r) { return A * r + B / (r * r); };
  const auto            s_rr = [=](double r) { return (3 * lambda + 2 * mu) * A - 4 * mu * B / (r * r * r); };
  const auto            s_tt = [=](double r) { return (3 * lambda + 2 * mu) * A + 2 * mu * B / (r * r * r); };

  typename Elasticity<dim>::Parameters parameters;
  parameters.degree      = 2;
  parameters.pressure[0] = constant<dim>({p});
  std::vector<typename LambdaFunction<dim>::Component> boundary;
  for (unsigned int d = 0; d < dim; ++d)
    boundary.push_back([=](const Point<dim> &x) { return u_r(x.norm()) * x[d] / x.norm(); });
  parameters.displacement[1] = {make_function<dim>(boundary), ComponentMask()};
  Elasticity<dim> field(tria, library, parameters);
  field.setup_dofs();
  field.solve();
  const auto [u_error, s_error] = radial_errors<dim>(field, u_r, s_rr, s_tt);
  if (is_root())
    std::cout << "Lame sphere: relative L2 errors u " << u_error << ", stress " << s_error << std::endl;
  CHECK(u_error < 0.01);
  CHECK(s_error < 0.01);
}

namespace
{
  // ------------------------------------------------------------ inclusion
  /// A body-fitted disc/ball of radius a (material 1) inside a shell of outer
  /// radius R (material 3): hyper_ball merged with a matching hyper_shell.
  template <int dim>
  void make_inclusion_mesh(parallel::distributed::Triangulation<dim> &tria, const double a, const double R)
  {
    Triangulation<dim> ball, shell, merged;
    GridGenerator::hyper_ball(ball, Point<dim>(), a);
    // The shell's vertices must meet the ball's: 2D ball vertices sit at 45 degrees.
    GridGenerator::hyper_shell(shell, Point<dim>(), a, R, dim == 2 ? 4 : 6);
    if (dim == 2)
      GridTools::rotate(numbers::PI / 4, shell);
    for (const auto &cell : ball.active_cell_iterators())
      cell->set_material_id(1);
    for (const auto &cell : shell.active_cell_iterators())
      cell->set_material_id(3);
    GridGenerator::merge_triangulations(ball, shell, merged, 1e-12 * a);
    tria.copy_triangulation(merged);
    // Straight inner square of the ball; everything curved outside of it.
    tria.set_all_manifold_ids(1);
    for (const auto &cell : tria.active_cell_iterators())
      if (cell->material_id() == 3)
        cell->set_all_manifold_ids(0);
    for (const auto &cell : tria.active_cell_iterators())
      for (const unsigned int f : cell->face_indices())
        if (cell->at_boundary(f))
          cell->face(f)->set_boundary_id(1);
    tria.set_manifold(0, SphericalManifold<dim>(Point<dim>()));
    TransfiniteInterpolationManifold<dim> transfinite;
    transfinite.initialize(tria);
    tria.set_manifold(1, transfinite);
  }

  /// Interface pressure of a circular (plane strain) or spherical inclusion
  /// with linear eigenstrain e in an infinite matrix (see README).
  double inclusion_pressure(const int dim, const Material &inclusion, const Material &matrix, const double e)
  {
    const double three_k = 3 * inclusion.bulk_modulus(); // 3 lambda_1 + 2 mu_1
    if (dim == 3)
      return three_k * e * 4 * matrix.shear_modulus() / (three_k + 4 * matrix.shear_modulus());
    return three_k * e * matrix.shear_modulus() /
           (inclusion.lame_lambda() + inclusion.shear_modulus() + matrix.shear_modulus());
  }

  template <int dim>
  void check_inclusion(const unsigned int refinements)
  {
    const double                              a = 1e-6, R = 4e-6, e = 0.01; // m, m, linear eigenstrain
    parallel::distributed::Triangulation<dim> tria(MPI_COMM_WORLD);
    make_inclusion_mesh(tria, a, R);
    tria.refine_global(refinements);
    const MaterialLibrary library   = two_materials();
    const Material       &inclusion = library.by_id(1), &matrix = library.by_id(3);
    const double          p = inclusion_pressure(dim, inclusion, matrix, e);

    // Exact displacement outside, applied at r = R: u_r = p a^3 / (4 mu r^2)
    // (3D) or p a^2 / (2 mu r) (2D).
    const double mu2     = matrix.shear_modulus();
    const auto   outside = [=](const double r) {
      return dim == 3 ? p * a * a * a / (4 * mu2 * r * r) : p * a * a / (2 * mu2 * r);
    };
    std::vector<typename LambdaFunction<dim>::Component> boundary;
    for (unsigned int d = 0; d < dim; ++d)
      boundary.push_back([=](const Point<dim> &x) { return outside(x.norm()) * x[d] / x.norm(); });

    typename Elasticity<dim>::Parameters parameters;
    parameters.degree                 = 2;
    parameters.volumetric_eigenstrain = constant<dim>({3 * e});
    parameters.eigenstrain_materials  = {"Li metal"};
    parameters.displacement[1]        = {make_function<dim>(boundary), ComponentMask()};
    Elasticity<dim> field(tria, library, parameters);
    field.setup_dofs();
    field.solve();

    // Inside, the stress is uniform: sigma_rr = sigma_tt = -p; average sigma_xx.
    double integral = 0, volume = 0;
    field.visit_stresses(QGauss<dim>(3),
                         [&](const Point<dim> &, types::material_id id, const SymmetricTensor<2, 3> &s) {
                           if (id == 1)
                             {
                               integral += s[0][0];
                               volume += 1;
                             }
                         });
    const double numerical =
      -Utilities::MPI::sum(integral, MPI_COMM_WORLD) / Utilities::MPI::sum(volume, MPI_COMM_WORLD);
    if (is_root())
      std::cout << "inclusion " << dim << "D: interface pressure " << numerical << " Pa, closed form " << p
                << ", relative error " << std::abs(numerical - p) / p << std::endl;
    CHECK(std::abs(numerical - p) / p < 0.01);
  }
} // namespace

TEST_CASE("Elasticity matches the closed-form inclusion pressure", "[elasticity]")
{
  check_inclusion<2>(3);
  check_inclusion<3>(2);
}

TEST_CASE("Elasticity AMG iterations stay bounded under refinement", "[elasticity]")
{
  const auto run = [](auto dimension, const unsigned int refinements) {
    constexpr int                             dim = decltype(dimension)::value;
    parallel::distributed::Triangulation<dim> tria(MPI_COMM_WORLD);
    GridGenerator::hyper_cube(tria, 0, 1e-5, true);
    tria.refine_global(refinements);
    for (const auto &cell : tria.active_cell_iterators())
      cell->set_material_id(3);
    typename Elasticity<dim>::Parameters p;
    p.displacement[0]             = {constant<dim>(std::vector<double>(dim, 0.0)), ComponentMask()};
    p.pressure[2 * dim - 1]       = constant<dim>({1e6});
    p.volumetric_eigenstrain      = make_function<dim>({[](const Point<dim> &x) { return 1e-3 * x[0] / 1e-5; }});
    const MaterialLibrary library = two_materials();
    Elasticity<dim>       field(tria, library, p);
    field.setup_dofs();
    const unsigned int iterations = field.solve().iterations;
    if (is_root())
      std::cout << "elasticity AMG " << dim << "D, " << field.n_dofs() << " dofs: " << iterations << " CG iterations"
                << std::endl;
    return iterations;
  };
  for (unsigned int r = 3; r <= 6; ++r)
    CHECK(run(std::integral_constant<int, 2>(), r) <= 15);
  for (unsigned int r = 2; r <= 4; ++r)
    CHECK(run(std::integral_constant<int, 3>(), r) <= 15);
}

TEST_CASE("Rigid-body modes are orthonormal and strain-free", "[elasticity]")
{
  constexpr int                             dim = 3;
  parallel::distributed::Triangulation<dim> tria(MPI_COMM_WORLD);
  GridGenerator::hyper_cube(tria, -1, 2);
  tria.refine_global(2);
  const FESystem<dim> fe(FE_Q<dim>(2), dim);
  DoFHandler<dim>     dofs(tria);
  dofs.distribute_dofs(fe);
  const auto modes = rigid_body_modes(dofs, MPI_COMM_WORLD);
  REQUIRE(modes.size() == 6);
  IndexSet relevant;
  DoFTools::extract_locally_relevant_dofs(dofs, relevant);
  const FEValuesExtractors::Vector     u(0);
  FEValues<dim>                        fe_values(fe, QGauss<dim>(3), update_gradients);
  std::vector<SymmetricTensor<2, dim>> strains(fe_values.n_quadrature_points);
  for (unsigned int i = 0; i < modes.size(); ++i)
    {
      for (unsigned int j = 0; j < modes.size(); ++j)
        CHECK(modes[i] * modes[j] == Approx(i == j ? 1.0 : 0.0).margin(1e-12));
      LA::MPI::Vector ghosted(dofs.locally_owned_dofs(), relevant, MPI_COMM_WORLD);
      ghosted           = modes[i];
      double max_strain = 0;
      for (const auto &cell : dofs.active_cell_iterators())
        if (cell->is_locally_owned())
          {
            fe_values.reinit(cell);
            fe_values[u].get_function_symmetric_gradients(ghosted, strains);
            for (const auto &s : strains)
              max_strain = std::max(max_strain, s.norm());
          }
      CHECK(max_strain < 1e-12);
    }
}

TEST_CASE("An eigenstrain FE field acts like the same eigenstrain function", "[elasticity]")
{
  constexpr int                             dim = 2;
  parallel::distributed::Triangulation<dim> tria(MPI_COMM_WORLD);
  GridGenerator::hyper_cube(tria, 0, 1e-5, true);
  tria.refine_global(4);
  for (const auto &cell : tria.active_cell_iterators())
    cell->set_material_id(cell->center()[0] < 5e-6 ? 1 : 3);
  const MaterialLibrary library = two_materials();

  typename Elasticity<dim>::Parameters p;
  p.displacement[2]           = {constant<dim>({0.0, 0.0}), ComponentMask()};
  p.solver.relative_tolerance = 1e-12;

  // Function path: eps_v = 0.03 in material 1.
  auto by_function                   = p;
  by_function.volumetric_eigenstrain = constant<dim>({0.03});
  by_function.eigenstrain_materials  = {"Li metal"};
  Elasticity<dim> a(tria, library, by_function);
  a.setup_dofs();
  a.solve();

  // Field path: a cell-wise indicator of material 1, scaled by 0.03.
  const FE_DGQ<dim> fe(0);
  DoFHandler<dim>   dofs(tria);
  dofs.distribute_dofs(fe);
  IndexSet relevant;
  DoFTools::extract_locally_relevant_dofs(dofs, relevant);
  LA::MPI::Vector                      indicator(dofs.locally_owned_dofs(), MPI_COMM_WORLD);
  std::vector<types::global_dof_index> index(1);
  for (const auto &cell : dofs.active_cell_iterators())
    if (cell->is_locally_owned())
      {
        cell->get_dof_indices(index);
        indicator(index[0]) = cell->material_id() == 1 ? 1.0 : 0.0;
      }
  indicator.compress(VectorOperation::insert);
  LA::MPI::Vector ghosted(dofs.locally_owned_dofs(), relevant, MPI_COMM_WORLD);
  ghosted = indicator;
  Elasticity<dim>       b(tria, library, p);
  QuantityRegistry<dim> quantities;
  quantities.provide(make_fe_quantity<dim>(quantity_names::deposit_eigenstrain, "-", "test", dofs, ghosted, 0, 1,
                                           [](const auto &, Vector<double> &v) { v[0] *= 0.03; }));
  b.read_quantities(quantities);
  b.setup_dofs();
  b.solve();

  LA::MPI::Vector difference(a.dof_handler().locally_owned_dofs(), MPI_COMM_WORLD), other(difference);
  difference        = a.solution();
  other             = b.solution();
  const double norm = difference.l2_norm();
  difference -= other;
  CHECK(norm > 0);
  CHECK(difference.l2_norm() / norm < 1e-10);
}

TEST_CASE("Plated Li carries the growth eigenstrain and Li's moduli", "[elasticity]")
{
  // A clamped 3D cube of LLZO with a uniform phase field xi (1 = Li): the
  // strain is zero, so sigma = -C(h(xi)) : eps* with C mixed by h(xi) and
  // eps* = eps_g (h(xi) - h(xi_ref)) (I / 3 or n n).
  constexpr int                             dim = 3;
  parallel::distributed::Triangulation<dim> tria(MPI_COMM_WORLD);
  GridGenerator::hyper_cube(tria, 0, 1e-5, true);
  tria.refine_global(1);
  for (const auto &cell : tria.active_cell_iterators())
    cell->set_material_id(3);
  const MaterialLibrary library = two_materials(); // Li metal: E 50 GPa, nu 0.3

  const FE_Q<dim> fe(1);
  DoFHandler<dim> phase_dofs(tria);
  phase_dofs.distribute_dofs(fe);
  IndexSet relevant;
  DoFTools::extract_locally_relevant_dofs(phase_dofs, relevant);
  LA::MPI::Vector phase(phase_dofs.locally_owned_dofs(), relevant, MPI_COMM_WORLD);

  const auto stress_at_center = [&](const double xi, const double xi_ref, const bool directional) {
    LA::MPI::Vector owned(phase_dofs.locally_owned_dofs(), MPI_COMM_WORLD);
    owned = xi;
    phase = owned;
    typename Elasticity<dim>::Parameters p;
    p.displacement.clear();
    for (types::boundary_id b = 0; b < 6; ++b)
      p.displacement[b] = {constant<dim>({0.0, 0.0, 0.0}), ComponentMask()};
    p.growth_strain      = 0.04;
    p.growth_directional = directional;
    p.growth_direction   = Tensor<1, dim>({0.0, 0.0, 1.0});
    Elasticity<dim>       field(tria, library, p);
    QuantityRegistry<dim> quantities;
    quantities.provide(make_fe_quantity<dim>(quantity_names::li_phase, "-", "test", phase_dofs, phase));
    quantities.provide(cellwise_quantity<dim>(
      quantity_names::plated_li, [&](const auto &) { return phase_interpolation(xi) - phase_interpolation(xi_ref); }));
    field.read_quantities(quantities);
    field.setup_dofs();
    field.solve();
    SymmetricTensor<2, 3> stress;
    field.visit_stresses(QGauss<dim>(2), [&](const Point<dim> &, types::material_id, const SymmetricTensor<2, 3> &s) {
      stress = s; // uniform: any point will do
    });
    return stress;
  };
  const auto h = [](const double x) { return x * x * x * (6 * x * x - 15 * x + 10); };
  // Moduli mixed by h(xi) between Li metal (50 GPa, 0.3) and LLZO (150 GPa, 0.25).
  const auto lame = [&](const double xi) {
    const double li_lambda = 50e9 * 0.3 / (1.3 * 0.4), li_mu = 50e9 / 2.6;
    const double ll_lambda = 150e9 * 0.25 / (1.25 * 0.5), ll_mu = 150e9 / 2.5;
    return std::make_pair(h(xi) * li_lambda + (1 - h(xi)) * ll_lambda, h(xi) * li_mu + (1 - h(xi)) * ll_mu);
  };
  {
    const auto [lambda, mu] = lame(1.0);
    const auto s            = stress_at_center(1.0, 0.0, false); // volumetric: -K eps_g I
    for (unsigned int i = 0; i < 3; ++i)
      CHECK(s[i][i] == Approx(-(lambda + 2 * mu / 3) * 0.04).epsilon(1e-9));
    CHECK(std::abs(s[0][1]) < 1e-6 * std::abs(s[0][0]));
  }
  {
    const auto [lambda, mu] = lame(0.7);
    const double e          = 0.04 * (h(0.7) - h(0.2));
    const auto   s          = stress_at_center(0.7, 0.2, true); // directional along z
    CHECK(s[2][2] == Approx(-(lambda + 2 * mu) * e).epsilon(1e-9));
    CHECK(s[0][0] == Approx(-lambda * e).epsilon(1e-9));
    CHECK(s[1][1] == Approx(-lambda * e).epsilon(1e-9));
  }
  // No plating since the reference state: no stress.
  CHECK(stress_at_center(0.6, 0.6, false).norm() < 1e-3);
}
