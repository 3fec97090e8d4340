// LiFilling: the Li-filled crack band (only open cracks connected to the
// defect fill), the cavity's volumes and the volume balance with its
// flow-stress cap, with quantities given by the test.
#include <dendra/coupling/li_filling.h>
#include <dendra/kinetics/electrode_kinetics.h>

#include <deal.II/base/mpi.h>
#include <deal.II/grid/grid_generator.h>

#include <catch2/catch.hpp>

#include "test_helpers.h"

using namespace dealii;
using namespace dendra;
using namespace dendra::testing;

namespace
{
  constexpr double um = 1e-6;

  /// The defect: the square x, y < 1 um.
  struct CornerDefect : Geometry<2>
  {
    void   parse_parameters(ParameterHandler &, const MaterialLibrary &) override {}
    void   create_coarse_mesh(Triangulation<2> &) const override {}
    types::material_id material_id_at(const Point<2> &p) const override { return in_initial_deposit(p) ? 1 : 3; }
    double initial_li_indicator(const Point<2> &) const override { return 0; }
    bool   in_initial_deposit(const Point<2> &p) const override { return p[0] < um && p[1] < um; }
    std::string description() const override { return "corner defect"; }
  };

  /// A vector quantity with the value @p value at every point.
  Quantity<2> uniform_vector(const std::string &name, const Tensor<1, 2> &value)
  {
    Quantity<2> q;
    q.name           = name;
    q.provider       = "test";
    q.n_components   = 2;
    q.make_evaluator = [value](const Quadrature<2> &quadrature) {
      return CellEvaluator<2>([value, n = quadrature.size()](const auto &, std::vector<Vector<double>> &values) {
        values.assign(n, Vector<double>(2));
        for (auto &v : values)
          for (unsigned int k = 0; k < 2; ++k)
            v[k] = value[k];
      });
    };
    return q;
  }

  /// Two damaged strips (d = 0.4) at y = 0.5 um: A from the defect's wall to
  /// x = 2 um, B apart at 3 < x < 3.5 um; u . grad d = @p u_dot_grad_d (m) everywhere.
  struct Setup
  {
    explicit Setup(const double u_dot_grad_d, const double flow_stress = 0)
      : tria(MPI_COMM_WORLD)
    {
      GridGenerator::subdivided_hyper_rectangle(tria, {16, 8}, Point<2>(), Point<2>(4 * um, 2 * um));
      tria.refine_global(1);
      LiFilling<2>::Parameters p;
      p.flow_stress = flow_stress;
      filling       = std::make_unique<LiFilling<2>>(tria, geometry, p);
      const auto in_strip = [](const Point<2> &x, const double from, const double to) {
        return x[0] > from && x[0] < to && std::abs(x[1] - 0.5 * um) < 0.1 * um;
      };
      quantities.provide(cellwise_quantity<2>(quantity_names::damage, [in_strip](const auto &cell) {
        return in_strip(cell->center(), um, 2 * um) || in_strip(cell->center(), 3 * um, 3.5 * um) ? 0.4 : 0.0;
      }));
      quantities.provide(uniform_vector(quantity_names::damage_gradient, Tensor<1, 2>({0.0, -1e6})));
      quantities.provide(uniform_vector(quantity_names::displacement, Tensor<1, 2>({0.0, -u_dot_grad_d / 1e6})));
      quantities.provide(cellwise_quantity<2>(quantity_names::volumetric_strain, [](const auto &) { return 3e-4; }));
      quantities.provide(cellwise_quantity<2>(quantity_names::filling_current, [](const auto &) { return 2e4; }));
      filling->provide_quantities(quantities);
      filling->read_quantities(quantities);
      filling->update_region();
      for (const auto &cell : tria.active_cell_iterators())
        if (cell->is_locally_owned() && in_strip(cell->center(), um, 2 * um))
          strip_a += cell->measure();
      strip_a = Utilities::MPI::sum(strip_a, MPI_COMM_WORLD);
    }

    parallel::distributed::Triangulation<2> tria;
    CornerDefect                            geometry;
    QuantityRegistry<2>                     quantities;
    std::unique_ptr<LiFilling<2>>           filling;
    double                                  strip_a = 0; ///< measure of strip A (m^2)
  };
} // namespace

TEST_CASE("Li fills the open cracks connected to the defect", "[li-filling]")
{
  Setup open(-1e-3);
  CHECK(open.filling->defect_volume() == Approx(um * um).epsilon(1e-12));
  CHECK(open.filling->crack_measure() == Approx(open.strip_a).epsilon(1e-12)); // A, not B
  // Closed cracks (u . grad d > 0) take no Li.
  Setup closed(1e-3);
  CHECK(closed.filling->crack_measure() == 0);
}

TEST_CASE("The Li filling's volumes and balance", "[li-filling]")
{
  Setup        s(-1e-3);
  const auto   m  = s.filling->measure();
  const double dt = 7.0, K = 10.2e9, omega = 1.3e-5, p = 80e6;
  CHECK(m.defect_growth == Approx(3e-4 * um * um).epsilon(1e-12)); // |D| tr eps
  CHECK(m.crack_opening == Approx(1e-3 * s.strip_a).epsilon(1e-12));
  CHECK(m.plating_current == Approx(2e4 * 8 * um * um).epsilon(1e-12));
  s.filling->set_pressure(p);
  const double plated   = um * um + dt * omega * m.plating_current / constants::faraday;
  const double expected = plated - (um * um + m.defect_growth + m.crack_opening) - plated * p / K;
  CHECK(s.filling->balance_residual(dt, m) == Approx(expected).epsilon(1e-12));
  s.filling->commit(dt, m);
  CHECK(s.filling->li_volume() == Approx(plated).epsilon(1e-14));
}

TEST_CASE("At the Li flow stress the excess Li flows out", "[li-filling]")
{
  Setup        s(-1e-3, 50e6);
  const auto   m = s.filling->measure();
  const double dt = 7000.0; // plates 15 % of the defect's volume, more than the cavity takes
  s.filling->set_pressure(50e6);
  const double excess = s.filling->balance_residual(dt, m);
  REQUIRE(excess > 0);
  s.filling->commit(dt, m);
  // The cavity holds the rest exactly: the balance of a step of no length is 0.
  CHECK(std::abs(s.filling->balance_residual(0, m)) < 1e-12 * s.filling->li_volume());
}
